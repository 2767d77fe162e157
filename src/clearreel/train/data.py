"""Training samples from clips: decode, resample in time, bucket by size and frame count.

A clip is a `clearreel.dataset.ManifestClip` (from a loaded dataset, or built with just `id`,
`path` and `caption` for tests and ad-hoc runs); `.sha256` is hashed from the file when empty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.errors import MediaError


@dataclass(frozen=True)
class Window:
    """One training sample: frames [start, start + frames*stride) of a clip, in one bucket."""

    clip: str
    start: int
    stride: int
    bucket: tuple[int, int, int]  # (frames, height, width)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clips_digest(clips: Sequence[Any]) -> str:
    """A manifest hash for clips that come without one (ids, file hashes, captions)."""
    rows = [
        [
            c.id,
            c.sha256 or file_sha256(c.path),
            c.caption,
            sorted(c.characters),
        ]
        for c in clips
    ]
    return hashlib.sha256(json.dumps(sorted(rows), sort_keys=True).encode()).hexdigest()


def decode_clip(path: Path, width: int, height: int) -> tuple[np.ndarray, float]:
    """All frames (T, H, W, 3) uint8 at width x height, and the clip's fps (clearreel.media)."""
    from clearreel.media import decode

    d = decode(path, width, height)
    if d.count == 0:
        raise MediaError(f"{path}: no video frames")
    return d.frames, float(d.fps)


def choose_bucket(
    buckets: Sequence[tuple[int, int, int]], n_frames: int, stride: int, aspect: float
) -> tuple[int, int, int] | None:
    """The bucket with the nearest aspect ratio, then the most frames the clip can fill."""
    usable = [b for b in buckets if (b[0] - 1) * stride + 1 <= n_frames]
    if not usable:
        return None
    return min(usable, key=lambda b: (round(abs(np.log(b[2] / b[1]) - np.log(aspect)), 3), -b[0]))


def plan_windows(
    clip_id: str,
    n_frames: int,
    src_fps: float,
    target_fps: int,
    aspect: float,
    buckets: Sequence[tuple[int, int, int]],
    max_windows: int,
) -> list[Window]:
    """Non-overlapping windows of a clip, evenly spread, at the target frame rate."""
    stride = max(1, round(src_fps / target_fps))
    b = choose_bucket(buckets, n_frames, stride, aspect)
    if b is None:
        return []
    span = (b[0] - 1) * stride + 1
    count = min(max_windows, n_frames // span)
    if count <= 1:
        return [Window(clip_id, (n_frames - span) // 2, stride, b)]
    gap = (n_frames - count * span) / count
    return [Window(clip_id, round(gap / 2 + i * (span + gap)), stride, b) for i in range(count)]


def window_frames(frames: np.ndarray, w: Window) -> np.ndarray:
    """(F, H, W, 3) uint8 frames of one window."""
    return frames[w.start : w.start + (w.bucket[0] - 1) * w.stride + 1 : w.stride]


def names_caption(clip: Any, trigger: str | None, names: dict[str, str]) -> str:
    """The short caption: trigger word and the names of the characters in the clip."""
    parts = [trigger] if trigger else []
    parts += [names.get(c, c) for c in sorted(clip.characters)]
    return " ".join(parts)


def full_caption(clip: Any, trigger: str | None) -> str:
    return f"{trigger} {clip.caption}" if trigger else str(clip.caption)


__all__ = [
    "Window",
    "choose_bucket",
    "clips_digest",
    "decode_clip",
    "file_sha256",
    "full_caption",
    "names_caption",
    "plan_windows",
    "window_frames",
]
