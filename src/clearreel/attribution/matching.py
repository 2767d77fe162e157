"""Temporal alignment of two frame-descriptor sequences: the re-ranking score of a match.

The clip vector finds candidates; the score that ranks them, that the copy guard thresholds,
and that locates the copy in time comes from aligning the frame descriptors. A query played at
speed s shows, at its sample k, the reference's sample offset + s*k; for every speed in a
small set and every offset (including those where only part of either video overlaps), the
score is the best mean cosine similarity over a window of ``WINDOW`` aligned samples (1.5 s at
8 samples per second): "some 1.5 s of this video is a copy of some 1.5 s of that clip". So a
short copy inside a long output and a short segment of a long clip are both found. The
matching segment reported is the longest window, on the best diagonal, whose mean stays
within ``EXTEND_TOLERANCE`` of that score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPEEDS = (1.0, 0.8, 1.25, 0.67, 1.5)
WINDOW = 12             # samples; a sequence shorter than this is compared whole
EXTEND_TOLERANCE = 0.05


@dataclass(frozen=True)
class Alignment:
    score: float      # best mean cosine over a WINDOW of aligned samples, in [-1, 1]
    q_start: int      # first query sample of the matching segment
    q_end: int        # last query sample of the matching segment (inclusive)
    r_start: int      # reference sample aligned with q_start
    speed: float      # reference samples advanced per query sample


def _windows(vals: np.ndarray, valid: np.ndarray, length: int) -> np.ndarray:
    """Mean of every fully valid window of ``length`` along axis 1; -1 elsewhere. (O, n-L+1)"""
    cs = np.concatenate([np.zeros((len(vals), 1)), np.cumsum(vals, axis=1)], axis=1)
    cv = np.concatenate([np.zeros((len(vals), 1), np.int64), np.cumsum(valid, axis=1)], axis=1)
    s = cs[:, length:] - cs[:, :-length]
    c = cv[:, length:] - cv[:, :-length]
    return np.where(c == length, s / length, -1.0)


def align(q: np.ndarray, r: np.ndarray, speeds: tuple[float, ...] = SPEEDS,
          window: int = WINDOW) -> Alignment:
    """Best alignment of query rows ``q`` (n, d) against reference rows ``r`` (m, d)."""
    sim = (q @ r.T).astype(np.float64)  # (n, m) cosine similarities (rows are unit vectors)
    n, m = sim.shape
    k = np.arange(n)
    best = Alignment(-1.0, 0, 0, 0, 1.0)
    best_diag: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for s in speeds:
        step = np.rint(s * k).astype(np.int64)   # (n,) reference advance per query sample
        span = int(step[-1]) + 1
        length = max(1, min(window, n, max(1, int(m / s))))
        if length > n:
            continue
        offsets = np.arange(-span + 1, m)        # every placement with some overlap
        j = offsets[:, None] + step[None, :]     # (O, n) reference index per query sample
        valid = (j >= 0) & (j < m)
        vals = np.where(valid, sim[k[None, :], np.clip(j, 0, m - 1)], 0.0)
        means = _windows(vals, valid, length)
        o, start = np.unravel_index(int(np.argmax(means)), means.shape)
        if means[o, start] > best.score:
            best = Alignment(float(means[o, start]), int(start), int(start) + length - 1,
                             int(j[o, start]), float(s))
            best_diag = (vals[o:o + 1], valid[o:o + 1], j[o])
    if best_diag is None:
        return best
    return _extend(best, *best_diag)


def _extend(a: Alignment, vals: np.ndarray, valid: np.ndarray, j: np.ndarray) -> Alignment:
    """The longest window on the best diagonal that contains the best one and scores within
    EXTEND_TOLERANCE of it: where the copy starts and ends."""
    length = a.q_end - a.q_start + 1
    n = vals.shape[1]
    for L in range(n, length, -1):
        means = _windows(vals, valid, L)[0]
        lo, hi = max(0, a.q_end - L + 1), min(a.q_start, n - L)
        if lo > hi:
            continue
        cand = means[lo:hi + 1]
        i = int(np.argmax(cand))
        if cand[i] >= a.score - EXTEND_TOLERANCE:
            st = lo + i
            return Alignment(a.score, st, st + L - 1, int(j[st]), a.speed)
    return a
