"""`decode`: the ONE low-resolution decode pass that feeds every analyser.

FFmpeg's swscale does the scaling (`VideoFrame.to_ndarray(width=, height=, format="rgb24")`),
so a 4K file never exists in Python at full size. Optional "stills" keep every Nth frame at a
larger size from the same pass (face recognition needs more pixels than shot detection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from clearreel.media._probe import _stream_fps, media_error

# A file is "complete" when it decoded at least this share of the frames its container
# announces (less a couple of frames: some muxers count a trailing frame they never store).
_COMPLETE_SHARE = 0.99
_COMPLETE_SLACK = 2


@dataclass
class Decoded:
    """Frames of one file at analysis size: `frames` is (T, H, W, 3) uint8 RGB."""

    frames: np.ndarray  # (T, H, W, 3) uint8
    fps: Fraction
    source_width: int
    source_height: int
    expected_frames: int  # what the container announced (0 when unknown)
    complete: bool  # decoded every announced frame
    stills: dict[int, np.ndarray] = field(default_factory=dict)  # frame index -> (h, w, 3) uint8

    @property
    def count(self) -> int:
        return int(self.frames.shape[0])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def fps_float(self) -> float:
        return float(self.fps)

    def ms(self, frame: int) -> float:
        """Presentation time of a frame index, in milliseconds."""
        return frame * 1000.0 / float(self.fps)


def decode(
    path: str | Path,
    width: int,
    height: int,
    *,
    stills_every: int | None = None,
    stills_size: tuple[int, int] | None = None,
    max_frames: int | None = None,
    strict: bool = True,
    threads: int = 0,
) -> Decoded:
    """Decode every frame of the first video stream, scaled to `width` x `height` RGB.

    `strict` (default): a file that stops decoding midway (truncated, corrupt packets that end
    the stream, or fewer frames than the container announces) raises `MediaError` with
    `.reason` "truncated" or "corrupt"; with `strict=False` the frames decoded so far are
    returned with `complete=False`. `threads=0` lets FFmpeg pick (frame + slice threading).
    """
    import av

    p = Path(path)
    if width <= 0 or height <= 0:
        raise ValueError(f"decode size must be positive, got {width}x{height}")
    try:
        container = av.open(str(p))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
        raise media_error(p, "unreadable", f"FFmpeg cannot open it ({e})") from e
    try:
        if not container.streams.video:
            raise media_error(p, "no_video", "the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        fps = _stream_fps(stream)
        if fps is None or fps <= 0:
            raise media_error(p, "corrupt", "the video stream has no frame rate")
        expected = int(stream.frames or 0)
        if expected <= 0 and stream.duration and stream.time_base:
            expected = round(float(stream.duration * stream.time_base) * float(fps))
        src_w, src_h = int(stream.codec_context.width), int(stream.codec_context.height)

        cap = max(expected + 8, 64)
        if max_frames is not None:
            cap = min(cap, max_frames)
        buf = np.empty((cap, height, width, 3), dtype=np.uint8)
        stills: dict[int, np.ndarray] = {}
        n = 0
        error: Exception | None = None
        try:
            for frame in container.decode(stream):
                if max_frames is not None and n >= max_frames:
                    break
                if n >= buf.shape[0]:
                    grown = np.empty((buf.shape[0] * 2, height, width, 3), dtype=np.uint8)
                    grown[:n] = buf[:n]
                    buf = grown
                # swscale converts and scales in one step; AREA averages on downscale.
                buf[n] = frame.to_ndarray(
                    width=width, height=height, format="rgb24", interpolation="AREA"
                )
                if stills_every and n % stills_every == 0:
                    sw, sh = stills_size or (src_w, src_h)
                    stills[n] = frame.to_ndarray(width=sw, height=sh, format="rgb24")
                n += 1
        except (av.FFmpegError, EOFError) as e:
            error = e
        frames = buf[:n].copy() if n < buf.shape[0] // 2 else buf[:n]
    finally:
        container.close()

    reached_end = max_frames is None or n < max_frames
    complete = error is None and (
        not reached_end or expected <= 0 or n >= expected * _COMPLETE_SHARE - _COMPLETE_SLACK
    )
    if n == 0:
        detail = f"no frame could be decoded ({error})" if error else "no frame could be decoded"
        raise media_error(p, "corrupt", detail)
    if strict and not complete:
        why = (
            f"decoding failed after frame {n} ({error})"
            if error
            else (f"decoded {n} of {expected} frames the container announces")
        )
        raise media_error(p, "truncated", why)
    return Decoded(
        frames=frames,
        fps=fps,
        source_width=src_w,
        source_height=src_h,
        expected_frames=expected,
        complete=complete,
        stills=stills,
    )
