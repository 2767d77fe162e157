"""Frames to H.264 mp4, and an mp4 back to frames at its own size: the one implementation
that generation, attribution, the benchmarks and the test fixtures share."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.errors import MediaError


def write_video(
    path: str | Path,
    frames: np.ndarray,
    fps: float | Fraction = 24,
    *,
    codec: str = "libx264",
    crf: int = 18,
    preset: str = "veryfast",
    bitrate: int | None = None,
    faststart: bool = False,
) -> Path:
    """Encode (T, H, W, 3) uint8 RGB frames as yuv420p (H.264 by default); returns the path.

    4:2:0 chroma needs even dimensions: an odd width or height is padded by one replicated
    edge pixel rather than cropped, so no pixel of the input is lost. `bitrate` (bits/s)
    replaces constant-quality `crf` when given.
    """
    import av

    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got shape {frames.shape}")
    _, h, w, _ = frames.shape
    if h % 2 or w % 2:
        frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        h, w = frames.shape[1:3]
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(p), "w", options={"movflags": "+faststart"} if faststart else {}) as out:
        stream: Any = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if bitrate:
            stream.bit_rate = bitrate
        elif codec == "libx264":
            stream.options = {"crf": str(crf), "preset": preset}
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return p


def read_frames(path: str | Path, max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """Decode up to `max_frames` RGB frames (T, H, W, 3) uint8 at the file's own size, and
    the frame rate. For analysis at a chosen size in one pass, use `decode`."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path} has no video stream")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 24)
            frames = []
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if max_frames is not None and len(frames) >= max_frames:
                    break
    except MediaError:
        raise
    except Exception as e:  # av.error.* and friends, converted at the boundary
        raise MediaError(f"cannot decode {path}: {e}") from e
    if not frames:
        raise MediaError(f"{path} has no decodable video frames")
    return np.stack(frames), fps
