"""Reading frames for fingerprinting: one low-resolution decode, sampled at a fixed rate.

Fingerprints compare videos at a common *time* base (``sample_fps`` samples per second of
content), not a common frame base, so a 24 fps training clip and a 16 fps generated output
line up. Decoding uses PyAV with libswscale doing the downscale (cheap), so a fingerprint
never needs the full-resolution frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clearreel.errors import MediaError, UsageError


def decode(path: str | Path, width: int, height: int) -> tuple[np.ndarray, float]:
    """All frames of the first video stream as ``(T, height, width, 3)`` uint8 RGB, and the fps.

    The media stage's one low-resolution decode pass (libswscale does the scaling).
    """
    from clearreel.media import decode as media_decode

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such file; give the path of a video file (mp4, mov, mkv, webm)")
    d = media_decode(p, width, height, strict=False)
    if d.count == 0:
        raise MediaError(f"{p}: contains no decodable video frame")
    return d.frames, d.fps_float


def sample_indices(n_frames: int, fps: float, sample_fps: float) -> np.ndarray:
    """Indices of the frames nearest to t = k / sample_fps, k = 0, 1, ... (at least one)."""
    duration = n_frames / fps
    times = np.arange(0.0, duration, 1.0 / sample_fps)
    idx = np.clip(np.rint(times * fps).astype(np.int64), 0, n_frames - 1)
    return idx if len(idx) else np.zeros(1, dtype=np.int64)


def resize_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize ``(T, H, W, 3)`` frames with area averaging (what a downscaling decoder does)."""
    import cv2

    if frames.shape[1] == height and frames.shape[2] == width:
        return frames
    return np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames])
