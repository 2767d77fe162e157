"""Signal processing shared by embedding and extraction: luma, the canonical canvas, the
high-pass, chip cells, and the detector's (linear) reading of an added pattern."""

from __future__ import annotations

import functools

import numpy as np

from clearreel.provenance.watermark._profiles import Profile


def _luma(frames: np.ndarray) -> np.ndarray:
    f = frames.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def _highpass(y_canon: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return y_canon - cv2.GaussianBlur(y_canon, (0, 0), sigma)


def _canon(y: np.ndarray, profile: Profile) -> np.ndarray:
    import cv2

    c = profile.canon
    return cv2.resize(y, (c, c), interpolation=cv2.INTER_AREA)


def _cell_means(a: np.ndarray, profile: Profile) -> np.ndarray:
    g = profile.grid
    c = profile.canon // g
    return a.reshape(g, c, g, c).mean(axis=(1, 3))


def _up(cells: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(cells.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


@functools.cache
def _response_gain(sigma: float, profile: Profile) -> float:
    """How much of a random ±1 chip pattern survives upsampling + the detector's high-pass."""
    rng = np.random.default_rng(0)
    g = profile.grid
    p = rng.choice(np.array([-1.0, 1.0]), (g, g))
    r = _cell_means(_highpass(_up(p, profile.canon, profile.canon), sigma), profile)
    return float((r * p).mean())


def _reading(delta: np.ndarray, sigma: float, profile: Profile) -> np.ndarray:
    """What the detector reads (per chip) from an added chip pattern alone: it is linear."""
    g, c = profile.grid, profile.canon
    return _cell_means(_highpass(_up(delta.reshape(g, g), c, c), sigma), profile).ravel()


def _mean_luma(frames: np.ndarray) -> np.ndarray:
    """Mean luma over time, (H, W) float32; frames are summed one at a time (memory)."""
    acc = np.zeros(frames.shape[1:], dtype=np.float32)
    for frame in frames:
        acc += frame
    return _luma(acc[None] / len(frames))[0]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
