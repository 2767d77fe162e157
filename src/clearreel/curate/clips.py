"""Clip ranges: shots trimmed (black frames, letterbox) and split into training-length clips.

A clip never crosses a shot boundary. Lengths are within `[clip_min_s, clip_max_s]` at the
source rate, and frame counts have the form k * frame_multiple + 1 (Wan-style causal video
VAEs encode the first frame alone and then 4 frames per latent, so 4k+1 frames use every
latent fully). A shot longer than `clip_max_s` becomes several equal clips spread over it
without overlap; a shot shorter than `clip_min_s` (after trimming) is dropped with reason
`too_short`; a shot that is black throughout with `all_black`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clearreel.curate.shots import Shot

if TYPE_CHECKING:
    from clearreel.curate.config import CurateConfig

Rect = tuple[int, int, int, int]  # (x, y, w, h)


@dataclass(frozen=True)
class ClipRange:
    start_frame: int
    end_frame: int  # inclusive
    shot: int  # index of the shot it comes from
    crop: Rect | None  # letterbox crop in analysis pixels, None when the picture is full

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1


@dataclass(frozen=True)
class Dropped:
    start_frame: int
    end_frame: int
    shot: int
    reason: str  # too_short | all_black


def luma(frames: np.ndarray) -> np.ndarray:
    """BT.601 luma of (..., 3) uint8 RGB frames, float32 in 0..255."""
    f = frames.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def snap_down(n: int, multiple: int) -> int:
    """Largest k * multiple + 1 <= n (n itself when multiple is 1); 0 when n < 1."""
    if n < 1:
        return 0
    return ((n - 1) // multiple) * multiple + 1 if multiple > 1 else n


def snap_up(n: int, multiple: int) -> int:
    """Smallest k * multiple + 1 >= n."""
    if multiple <= 1:
        return max(1, n)
    return max(1, math.ceil((n - 1) / multiple) * multiple + 1)


def detect_letterbox(
    frames: np.ndarray, black_luma: float = 16.0, min_bar: float = 0.02, samples: int = 12
) -> Rect | None:
    """The picture inside black bars (letterbox top/bottom, pillarbox left/right).

    A row (column) is bar when it is dark (mean luma < `black_luma`) and flat in every sampled
    frame; bars thinner than `min_bar` of the frame are ignored. Returns (x, y, w, h) in the
    frames' pixels, or None when there are no bars (or the whole frame is dark).
    """
    t, h, w = frames.shape[:3]
    idx = np.linspace(0, t - 1, min(samples, t)).round().astype(int)
    y = luma(frames[idx])  # (S, H, W)
    row_dark = ((y.mean(axis=2) < black_luma) & (y.std(axis=2) < 6)).all(axis=0)  # (H,)
    col_dark = ((y.mean(axis=1) < black_luma) & (y.std(axis=1) < 6)).all(axis=0)  # (W,)
    if row_dark.all() or col_dark.all():
        return None

    def bars(dark: np.ndarray) -> tuple[int, int]:
        n = len(dark)
        lead = int(np.argmin(dark)) if not dark.all() else n
        trail = int(np.argmin(dark[::-1])) if not dark.all() else n
        limit = max(1, math.ceil(n * min_bar))
        return (lead if lead >= limit else 0), (trail if trail >= limit else 0)

    top, bottom = bars(row_dark)
    left, right = bars(col_dark)
    if not (top or bottom or left or right):
        return None
    return (left, top, w - left - right, h - top - bottom)


def black_frames(frames: np.ndarray, black_luma: float = 16.0) -> np.ndarray:
    """(T,) bool: frames whose mean luma is below `black_luma`."""
    return luma(frames).reshape(len(frames), -1).mean(axis=1) < black_luma


def plan_clips(
    shots: list[Shot], frames: np.ndarray, fps: float, config: CurateConfig
) -> tuple[list[ClipRange], list[Dropped]]:
    """Trim each shot and split it into clip ranges; return (clips, dropped shots)."""
    mult = max(1, config.frame_multiple)
    min_len = snap_up(math.ceil(config.clip_min_s * fps - 1e-9), mult)
    max_len = snap_down(math.floor(config.clip_max_s * fps + 1e-9), mult)
    clips: list[ClipRange] = []
    dropped: list[Dropped] = []
    for si, shot in enumerate(shots):
        s, e = shot.start_frame, shot.end_frame
        view = frames[s : e + 1]
        crop = detect_letterbox(view, config.black_luma) if config.detect_letterbox else None
        if config.trim_black:
            inner = view
            if crop is not None:
                x, y, w, h = crop
                inner = view[:, y : y + h, x : x + w]
            black = black_frames(inner, config.black_luma)
            if black.all():
                dropped.append(Dropped(s, e, si, "all_black"))
                continue
            s += int(np.argmax(~black))
            e -= int(np.argmax(~black[::-1]))
        n = e - s + 1
        if n < min_len or max_len < min_len:
            dropped.append(Dropped(shot.start_frame, shot.end_frame, si, "too_short"))
            continue
        k = math.ceil(n / max_len)
        while k > 1 and snap_down(n // k, mult) < min_len:
            k -= 1
        length = min(max_len, snap_down(n // k, mult))
        spare = n - k * length
        for i in range(k):
            offset = spare // 2 if k == 1 else (i * spare) // (k - 1)
            start = s + i * length + offset
            clips.append(ClipRange(start, start + length - 1, si, crop))
    return clips, dropped
