"""Tiny synthetic footage for provenance tests: textured, moving, deterministic."""

from __future__ import annotations

import numpy as np


def footage(frames: int = 24, height: int = 90, width: int = 160, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: a smooth coloured background with texture and a moving figure."""
    import cv2

    rng = np.random.default_rng(seed)
    base = cv2.resize(rng.uniform(40, 215, (9, 16, 3)).astype(np.float32), (width, height),
                      interpolation=cv2.INTER_CUBIC)
    noise = rng.normal(0, 14, (height, width)).astype(np.float32)
    texture = cv2.GaussianBlur(noise, (0, 0), 1.2)[..., None]
    out = np.empty((frames, height, width, 3), dtype=np.uint8)
    for t in range(frames):
        f = base + texture
        x = int((t / max(1, frames - 1)) * (width - 30))
        f[height // 3: height // 3 + 30, x: x + 20] = (200, 60, 50)
        out[t] = np.clip(f, 0, 255).astype(np.uint8)
    return out
