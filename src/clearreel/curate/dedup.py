"""Near-duplicate clips: perceptual hashes and Hamming-distance grouping, across files.

A clip's fingerprint is the DCT perceptual hash (pHash; Zauner, 2010) of `phash_frames`
frames spread over it: each frame's luma is shrunk to 32x32, its 2-D DCT taken, and the 8x8
lowest frequencies (DC excluded from the median) compared with their median: 64 bits that
survive re-encoding, scaling and small brightness changes. Two clips are near-duplicates
when the mean Hamming distance over their aligned frames is at most `max_distance` bits.
Groups are the connected components of that relation (union-find), so the grouping can run
once over every file's clips after analysis (`near_duplicate_groups`).

Hashes travel as 16-digit hex strings (JSON-safe; 64-bit integers are not, in every
database's JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clearreel.curate.config import CurateConfig

Fingerprint = list[str]  # one 16-hex-digit pHash per sampled frame


def phash(frame: np.ndarray) -> int:
    """64-bit DCT pHash of an RGB (H, W, 3) or grey (H, W) uint8 frame."""
    import cv2

    g = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(g, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].ravel()
    med = np.median(low[1:])
    bits = low > med
    return int(np.packbits(bits).view(">u8")[0])


def clip_fingerprint(frames: np.ndarray, n: int = 3) -> Fingerprint:
    """pHashes of `n` frames at (i + 0.5) / n of the clip, as hex strings."""
    t = len(frames)
    idx = [min(t - 1, int((i + 0.5) * t / n)) for i in range(n)]
    return [f"{phash(frames[i]):016x}" for i in idx]


def _as_array(fps: Sequence[Fingerprint]) -> np.ndarray:
    width = max((len(f) for f in fps), default=0)
    arr = np.zeros((len(fps), width), dtype=np.uint64)
    for i, f in enumerate(fps):
        if len(f) != width:
            raise ValueError("all fingerprints must have the same number of frame hashes")
        arr[i] = [int(h, 16) for h in f]
    return arr


def hamming(a: Fingerprint, b: Fingerprint) -> float:
    """Mean Hamming distance (bits, 0..64) between two fingerprints' aligned frame hashes."""
    return float(
        np.mean([bin(int(x, 16) ^ int(y, 16)).count("1") for x, y in zip(a, b, strict=True)])
    )


def near_duplicate_groups(
    fingerprints: Sequence[Fingerprint | None],
    config: CurateConfig | None = None,
    max_distance: float | None = None,
    chunk: int = 2048,
) -> list[list[int]]:
    """Group indices of near-duplicate fingerprints; every index appears in exactly one group.

    `max_distance` defaults to `config.dedup_max_distance` (10 bits). Pairs are compared
    with vectorised XOR + popcount in blocks of `chunk` rows (O(n²) bit operations: about a
    second for 10^4 clips). Entries that are None form groups of their own.
    """
    if max_distance is None:
        max_distance = (config or CurateConfig()).dedup_max_distance
    limit = float(max_distance)
    valid = [i for i, f in enumerate(fingerprints) if f]
    parent = list(range(len(fingerprints)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if valid:
        arr = _as_array([fingerprints[i] for i in valid])  # type: ignore[misc]
        n, k = arr.shape
        for s in range(0, n, chunk):
            block = arr[s : s + chunk]  # (B, K)
            x = block[:, None, :] ^ arr[None, :, :]  # (B, N, K)
            dist = np.bitwise_count(x).sum(axis=2) / k  # (B, N) mean bits
            rows, cols = np.nonzero(dist <= limit)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                a, b = find(valid[s + r]), find(valid[c])
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(fingerprints)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


@dataclass(frozen=True)
class DuplicateGroup:
    keep: int  # index of the clip kept
    drop: list[int]  # indices excluded as near-duplicates of `keep`


def choose_keepers(
    fingerprints: Sequence[Fingerprint | None],
    sharpness: Sequence[float],
    config: Any = None,
    max_distance: float | None = None,
) -> list[DuplicateGroup]:
    """One clip kept per near-duplicate group: the sharpest (the first on ties)."""
    out = []
    for g in near_duplicate_groups(fingerprints, config, max_distance):
        keep = max(g, key=lambda i: (sharpness[i], -i))
        out.append(DuplicateGroup(keep, [i for i in g if i != keep]))
    return out
