"""Minimal PyAV helpers: frames to H.264 mp4, and mp4 back to frames."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from clearreel.errors import MediaError


def write_mp4(frames: np.ndarray, fps: float, path: Path, crf: int = 18,
              preset: str = "medium") -> None:
    """Encode (T, H, W, 3) uint8 RGB frames as H.264 yuv420p in an mp4 (faststart).

    H.264 4:2:0 needs even dimensions: an odd width or height is padded by one pixel
    (edge replicated) rather than cropped, so no generated pixel is lost.
    """
    import av

    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError("frames must be (T, H, W, 3)")
    _, h, w, _ = frames.shape
    if h % 2 or w % 2:
        frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        h, w = frames.shape[1:3]
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame),
                                                                   format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def read_frames(path: Path, max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """Decode up to `max_frames` RGB frames (T, H, W, 3) uint8 and the frame rate."""
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
