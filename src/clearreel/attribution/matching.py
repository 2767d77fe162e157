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
    best = Alignment(-1.0, 0, 0, 0, 1.0)
    best_diag: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None = None
    for s in speeds:
        step = np.rint(s * np.arange(n)).astype(np.int64)  # (n,) reference advance per sample
        length = max(1, min(window, n, max(1, int(m / s))))
        # Only the query samples that land inside the reference matter: for offset o they are
        # the contiguous run k0(o) ... (step is monotonic), at most ~m/s + 1 of them; working
        # on (offsets, m/s) instead of (offsets, n) keeps a 60 s output against a 2 s clip cheap.
        offsets = np.arange(-int(step[-1]), m)                    # every placement with overlap
        k0 = np.searchsorted(step, -offsets, side="left")         # first k with o + step[k] >= 0
        run = min(n, int(np.ceil(m / s)) + 2)
        kk = k0[:, None] + np.arange(run)[None, :]                # (O, run) query samples
        inside = kk < n
        j = offsets[:, None] + step[np.minimum(kk, n - 1)]        # (O, run) reference samples
        valid = inside & (j >= 0) & (j < m)
        vals = np.where(valid, sim[np.minimum(kk, n - 1), np.clip(j, 0, m - 1)], 0.0)
        if run < length:
            continue
        means = _windows(vals, valid, length)
        o, st = np.unravel_index(int(np.argmax(means)), means.shape)
        if means[o, st] > best.score:
            k_first = int(kk[o, st])
            best = Alignment(float(means[o, st]), k_first, k_first + length - 1,
                             int(j[o, st]), float(s))
            best_diag = (vals[o], valid[o], j[o], int(kk[o, 0]))
    if best_diag is None:
        return best
    return _extend(best, *best_diag)


def _extend(a: Alignment, vals: np.ndarray, valid: np.ndarray, j: np.ndarray,
            k_base: int) -> Alignment:
    """The longest window on the best diagonal that contains the best one and scores within
    EXTEND_TOLERANCE of it: where the copy starts and ends. ``vals``/``valid``/``j`` run over
    query samples k_base, k_base + 1, ..."""
    cs = np.concatenate([[0.0], np.cumsum(vals)])
    cv = np.concatenate([[0], np.cumsum(valid)])
    lo, hi = a.q_start - k_base, a.q_end - k_base                  # the best window, local
    starts = np.arange(0, lo + 1)[:, None]                          # (S, 1)
    ends = np.arange(hi, len(vals))[None, :]                        # (1, E)
    size = ends - starts + 1
    full = (cv[ends + 1] - cv[starts]) == size
    mean = np.where(full, (cs[ends + 1] - cs[starts]) / size, -np.inf)
    ok = mean >= a.score - EXTEND_TOLERANCE
    if not ok.any():
        return a
    size_ok = np.where(ok, size, 0)
    si, ei = np.unravel_index(int(np.argmax(size_ok)), size_ok.shape)
    st, en = int(starts[si, 0]), int(ends[0, ei])
    return Alignment(a.score, k_base + st, k_base + en, int(j[st]), a.speed)
