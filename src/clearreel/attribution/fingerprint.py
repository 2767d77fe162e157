"""The perceptual fingerprint kept on each output record, and whether a video matches it.

The watermark says which output a video claims to be; the fingerprint says whether the frames
are that output's. It is this package's `clearreel-vd` descriptor (docs/attribution.md): one
111-value row per 1/8 s of content (low DCT frequencies of the luma, a colour layout, a motion
layout, each invariant to what copies change), the same rows the copy guard compares. Stored
compactly: rows quantised to int8 (cosine error under 1e-3), base64 in the `outputs` row's
JSON `fingerprint` (~12 kB per 10 s).

A match is attribution's temporal alignment score (best mean cosine of aligned rows over a
1.5 s window, across playback speeds, the mirror image included): a re-encoded, rescaled,
cropped or colour-graded copy of the output stays near 1, unrelated footage falls well below
`MATCH_THRESHOLD` (docs/provenance.md).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

FORMAT = "clearreel-vd-int8/1"
# Below this alignment score the frames are not the output's. Measured on the tests' footage
# (48x32 x 9 to 480x270 x 48): CRF 28 copies and flips ~0.99, 20 % centred crops restored by
# the watermark's geometry 0.68-0.99, unrelated footage at most 0.56 (48x32) and 0.35 (480x270).
# (The copy guard calls 0.71 a copy of a training clip: it sees no crop geometry.)
MATCH_THRESHOLD = 0.6


def compute(frames: np.ndarray, fps: float) -> dict[str, Any]:
    """The fingerprint document of (T, H, W, 3) uint8 frames played at `fps`."""
    from clearreel.attribution.embedders import get_embedder

    emb = get_embedder()
    rows = emb.embed(frames, fps).frames
    q = np.clip(np.rint(rows * 127.0), -127, 127).astype(np.int8)
    return {"format": FORMAT, "embedder": emb.config(), "sample_fps": emb.sample_fps,
            "rows": int(q.shape[0]), "dim": int(q.shape[1]),
            "data": base64.b64encode(q.tobytes()).decode("ascii")}


def rows(doc: dict[str, Any]) -> np.ndarray:
    """The stored rows, (N, d) float32 with unit norms."""
    if doc.get("format") != FORMAT:
        raise ValueError(f"unknown fingerprint format {doc.get('format')!r}")
    q = np.frombuffer(base64.b64decode(doc["data"]), dtype=np.int8)
    r = q.reshape(int(doc["rows"]), int(doc["dim"])).astype(np.float32)
    return r / np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-8)


def restore(frames: np.ndarray, geometry: dict[str, Any] | None) -> np.ndarray:
    """Frames put back where they lay in the original picture, by the geometry the watermark
    was found under (un-flipped; a crop box scaled back, the lost border replicated), so a
    cropped copy is compared with the output where their pictures overlap."""
    if not geometry:
        return frames
    import cv2

    flip = bool(geometry.get("flip"))
    x0, w = float(geometry.get("x0", 0.0)), float(geometry.get("width", 1.0))
    y0, h = float(geometry.get("y0", 0.0)), float(geometry.get("height", 1.0))
    if flip:
        frames = frames[:, :, ::-1]
    if (x0, w, y0, h) == (0.0, 1.0, 0.0, 1.0):
        return np.ascontiguousarray(frames)
    rh, rw = frames.shape[1:3]
    ow, oh = max(1, round(rw / w)), max(1, round(rh / h))
    shift = np.array([[1.0, 0.0, x0 * ow], [0.0, 1.0, y0 * oh]], dtype=np.float32)
    return np.stack([cv2.warpAffine(np.ascontiguousarray(f), shift, (ow, oh),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                     for f in frames])


def similarity(doc: dict[str, Any], frames: np.ndarray, fps: float,
               geometry: dict[str, Any] | None = None) -> float:
    """How well frames match a stored fingerprint: the alignment score in [-1, 1] of the
    frames (restored by `geometry` when the watermark says how they were flipped or cropped),
    or of their mirror image, whichever is higher."""
    from clearreel.attribution.embedders import embedder_from_config
    from clearreel.attribution.matching import align

    emb = embedder_from_config(doc["embedder"])
    ref = rows(doc)
    frames = restore(frames, geometry)
    fp = emb.embed(frames, fps)
    mirrored = emb.mirrored(fp, frames, fps)
    return max(align(fp.frames, ref).score, align(mirrored.frames, ref).score)


__all__ = ["FORMAT", "MATCH_THRESHOLD", "compute", "restore", "rows", "similarity"]
