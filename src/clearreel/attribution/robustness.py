"""Transformed copies and procedural videos, to measure the copy guard (bench and tests).

The transforms are the ways a copy of a training clip can come back out of a generator or
off the internet: re-encoded at a low bitrate, rescaled, cropped by 10-20 %, colour-shifted,
mirrored, played at 0.8x or 1.25x, with text over it, or only a segment of it.
``bench/copy_detection.py`` measures recall and precision over all of them; the tests check
each one finds its source at rank 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.media import write_video

Frames = np.ndarray  # (T, H, W, 3) uint8 RGB


def render_procedural(seed: int, width: int = 160, height: int = 90, frames: int = 48) -> Frames:
    """A synthetic shot: a panned colour field with stripes and a few moving shapes (seeded)."""
    import cv2

    rng = np.random.default_rng(seed)
    bw, bh = int(width * 1.6), int(height * 1.6)
    field = rng.integers(0, 256, size=(rng.integers(2, 5), rng.integers(2, 6), 3)).astype(np.uint8)
    bg = cv2.resize(field, (bw, bh), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    yy, xx = np.mgrid[0:bh, 0:bw].astype(np.float32)
    theta, freq = rng.uniform(0, np.pi), rng.uniform(0.03, 0.15)
    stripes = np.sin((xx * np.cos(theta) + yy * np.sin(theta)) * freq) * rng.uniform(10, 40)
    bg = np.clip(bg + stripes[..., None], 0, 255)
    room = np.array([bw - width, bh - height])
    pan = rng.uniform(-1.0, 1.0, size=2) * room / max(frames, 1) * 0.8
    start = np.array([(bw - width) / 2, (bh - height) / 2]) - pan * frames / 2
    shapes: list[dict[str, Any]] = []
    for _ in range(int(rng.integers(2, 5))):
        shapes.append({
            "kind": int(rng.integers(0, 2)),
            "pos": rng.uniform([0, 0], [width, height]),
            "vel": rng.uniform(-1.5, 1.5, size=2) * width / 80,
            "size": rng.uniform(0.08, 0.25) * np.array([width, height]),
            "colour": tuple(int(v) for v in rng.integers(0, 256, size=3)),
        })
    out = np.empty((frames, height, width, 3), dtype=np.uint8)
    for t in range(frames):
        x0, y0 = (start + pan * t).astype(int)
        img = np.ascontiguousarray(bg[y0:y0 + height, x0:x0 + width].astype(np.uint8))
        for s in shapes:
            cx, cy = (s["pos"] + s["vel"] * t).astype(int)
            ax, ay = s["size"].astype(int)
            if s["kind"] == 0:
                cv2.ellipse(img, (int(cx), int(cy)), (int(ax), int(ay)), 0, 0, 360, s["colour"], -1)
            else:
                cv2.rectangle(img, (int(cx - ax), int(cy - ay)), (int(cx + ax), int(cy + ay)),
                              s["colour"], -1)
        out[t] = img
    return out


def _resize(frames: Frames, w: int, h: int) -> Frames:
    import cv2

    return np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames])


def reencode(frames: Frames, rng: np.random.Generator) -> Frames:
    return frames  # the damage is done by the low-bitrate encode (see ENCODE)


def rescale(frames: Frames, rng: np.random.Generator) -> Frames:
    _t, h, w, _ = frames.shape
    f = rng.choice([0.5, 0.75, 1.5])
    return _resize(frames, int(w * f) // 2 * 2, int(h * f) // 2 * 2)


def crop(frames: Frames, rng: np.random.Generator) -> Frames:
    """Remove 10-20 % of each dimension at a random position, then scale back up."""
    _t, h, w, _ = frames.shape
    keep = 1.0 - rng.uniform(0.10, 0.20)
    cw, ch = int(w * keep), int(h * keep)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return _resize(np.ascontiguousarray(frames[:, y0:y0 + ch, x0:x0 + cw]), w, h)


def colour_shift(frames: Frames, rng: np.random.Generator) -> Frames:
    """Hue rotation, saturation, brightness and contrast changes (a colour grade)."""
    import cv2

    hue = int(rng.integers(8, 20)) * int(rng.choice([-1, 1]))  # OpenCV hue units: 2 degrees
    sat, gain, bias = rng.uniform(0.7, 1.3), rng.uniform(0.8, 1.2), rng.uniform(-25, 25)
    out = []
    for f in frames:
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV).astype(np.int32)
        hsv[..., 0] = (hsv[..., 0] + hue) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * sat, 0, 255)
        rgb = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
        out.append(np.clip(rgb * gain + bias, 0, 255).astype(np.uint8))
    return np.stack(out)


def flip(frames: Frames, rng: np.random.Generator) -> Frames:
    return np.ascontiguousarray(frames[:, :, ::-1])


def _speed(factor: float) -> Callable[[Frames, np.random.Generator], Frames]:
    def apply(frames: Frames, rng: np.random.Generator) -> Frames:
        idx = np.rint(np.arange(0, len(frames) - 0.5, factor)).astype(int)
        return frames[np.clip(idx, 0, len(frames) - 1)]
    apply.__name__ = f"speed_{factor}"
    return apply


def overlay(frames: Frames, rng: np.random.Generator) -> Frames:
    """A caption band with text over the lower part of the picture."""
    import cv2

    _t, h, w, _ = frames.shape
    out = frames.copy()
    y0 = int(h * rng.uniform(0.6, 0.75))
    band = out[:, y0:y0 + h // 5].astype(np.float32)
    out[:, y0:y0 + h // 5] = (band * 0.4).astype(np.uint8)
    scale = max(w / 320, 0.3)
    text = str(rng.choice(["EXCLUSIVE", "BREAKING NEWS", "@copycat", "WATCH NOW"]))
    for f in out:
        cv2.putText(f, text, (int(w * 0.05), y0 + h // 7), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), max(1, int(scale * 2)), cv2.LINE_AA)
    return out


def segment(frames: Frames, rng: np.random.Generator) -> Frames:
    """A contiguous 40-60 % of the clip, starting anywhere."""
    t = len(frames)
    n = max(2, int(t * rng.uniform(0.4, 0.6)))
    s = int(rng.integers(0, t - n + 1))
    return frames[s:s + n]


# name -> (frame transform, H.264 CRF of the copy)
TRANSFORMS: dict[str, tuple[Callable[[Frames, np.random.Generator], Frames], int]] = {
    "exact": (reencode, 18),
    "reencode": (reencode, 45),
    "rescale": (rescale, 28),
    "crop": (crop, 28),
    "colour": (colour_shift, 28),
    "flip": (flip, 28),
    "speed_0.8": (_speed(0.8), 28),
    "speed_1.25": (_speed(1.25), 28),
    "overlay": (overlay, 28),
    "segment": (segment, 28),
}


def make_copy(frames: Frames, fps: float, transform: str, out: Path, seed: int = 0) -> Path:
    """Write a transformed copy of ``frames`` to ``out`` (mp4) and return its path."""
    fn, crf = TRANSFORMS[transform]
    return write_video(out, fn(frames, np.random.default_rng(seed)), fps, crf=crf)
