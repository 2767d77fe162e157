"""The ONE low-resolution decode pass that feeds every analyser.

FFmpeg's swscale does the scaling and the colour conversion in one step, so a 4K file never
exists in Python at full size. One `VideoReformatter` (one SwsContext) serves the whole stream:
`VideoFrame.to_ndarray(width=, height=, ...)` builds a new SwsContext for every frame, and
initialising its filters cost 2.1 ms per 720p frame (more than decoding it) against 0.48 ms
for the scale itself, bit-for-bit the same output (measured on 200 frames). Optional "stills"
keep every Nth frame at a larger size from the same pass (face recognition needs more pixels
than shot detection).

`DecodeStream` yields the frames in chunks so a feature-length file can be analysed in
bounded memory (an hour at 160x90 is 3.7 GB as one array); `decode` collects them into one
array for short files and tests.

Time is presentation time: every frame comes with its presentation timestamp, in seconds
from the stream's start (`(pts - start_time) * time_base`), in presentation order, so a
variable-frame-rate file places scenes and subtitles on the right frames (never index /
average rate). A display matrix is honoured: frames come out as they are displayed (a phone's
portrait video is portrait), and `source_width` x `source_height` is the displayed size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.media._probe import _stream_fps, environment_fault, media_error, rotation_of

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
    # (T,) float64: each frame's presentation time in seconds, increasing.
    times: np.ndarray = field(default_factory=lambda: np.empty(0))
    rotation: int = 0  # counter-clockwise degrees applied to the coded picture

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
        """Presentation time of a frame index, in milliseconds (its PTS)."""
        return float(self.times[frame]) * 1000.0


@dataclass
class Chunk:
    start: int  # index of the first frame
    frames: np.ndarray  # (N, H, W, 3) uint8
    stills: dict[int, np.ndarray]  # absolute frame index -> larger RGB frame
    times: np.ndarray  # (N,) float64 presentation times, seconds


class DecodeStream:
    """Iterate over a file's frames in chunks of `chunk` frames, scaled to width x height.

    Open it as a context manager; `fps` and `expected_frames` are known on entry, `rotation`
    and `source_width` x `source_height` (as displayed) from the first chunk, `count`,
    `complete` and `times` (every frame's presentation time, seconds) after the last one.
    `width` x `height` is the output as displayed (`probe` gives the displayed size). With
    `strict` (default) a file that stops decoding midway raises `MediaError` (`.reason`
    "truncated", or "corrupt" when no frame decodes) when the stream ends.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        *,
        chunk: int = 1024,
        stills_every: int | None = None,
        stills_size: tuple[int, int] | None = None,
        max_frames: int | None = None,
        strict: bool = True,
        threads: int = 0,
    ):
        if width <= 0 or height <= 0:
            raise ValueError(f"decode size must be positive, got {width}x{height}")
        self.path = Path(path)
        self.width, self.height, self.chunk = width, height, max(1, chunk)
        self.stills_every, self.stills_size = stills_every, stills_size
        self.max_frames, self.strict, self.threads = max_frames, strict, threads
        self.count = 0
        self.complete = False
        self.times: list[float] = []
        self.error: Exception | None = None
        self._container: Any = None

    def __enter__(self) -> DecodeStream:
        import av

        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise media_error(self.path, "unreadable", f"FFmpeg cannot open it ({e})") from e
        c = self._container
        if not c.streams.video:
            self.close()
            raise media_error(self.path, "no_video", "the file has no video stream")
        self._stream = s = c.streams.video[0]
        s.thread_type = "AUTO"
        s.codec_context.thread_count = self.threads
        fps = _stream_fps(s)
        if fps is None or fps <= 0:
            self.close()
            raise media_error(self.path, "corrupt", "the video stream has no frame rate")
        self.fps: Fraction = fps
        expected = int(s.frames or 0)
        if expected <= 0 and s.duration and s.time_base:
            expected = round(float(s.duration * s.time_base) * float(fps))
        self.expected_frames = expected
        self.time_base = s.time_base or Fraction(1, 1)
        self.start_pts = int(s.start_time or 0)
        self.rotation = 0  # known from the first frame (its display matrix)
        self.source_width = int(s.codec_context.width)
        self.source_height = int(s.codec_context.height)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __iter__(self) -> Iterator[Chunk]:
        import av

        if self._container is None:
            raise RuntimeError("use DecodeStream as a context manager")
        from av.video.reformatter import VideoReformatter

        k, cw, ch, lw, lh = 0, self.width, self.height, 0, 0
        # Reused across frames: swscale keeps its context while the geometry stays the same.
        small, large = VideoReformatter(), VideoReformatter()
        buf = np.empty((self.chunk, self.height, self.width, 3), dtype=np.uint8)
        times = np.empty(self.chunk, dtype=np.float64)
        stills: dict[int, np.ndarray] = {}
        n = 0  # frames in buf
        start = 0
        tb, t0 = self.time_base, self.start_pts
        last = -1.0
        try:
            for frame in self._container.decode(self._stream):
                if self.max_frames is not None and self.count >= self.max_frames:
                    break
                if self.count == 0:
                    k, cw, ch, lw, lh = self._geometry(frame)
                # swscale converts and scales in one step; AREA averages on downscale.
                img = small.reformat(frame, cw, ch, "rgb24", interpolation="AREA").to_ndarray()
                buf[n] = np.rot90(img, k) if k else img
                pts = frame.pts if frame.pts is not None else frame.dts
                # A frame without a timestamp is shown one average frame after the last.
                t = float((pts - t0) * tb) if pts is not None else last + 1 / float(self.fps)
                times[n] = last = t
                if self.stills_every and self.count % self.stills_every == 0:
                    still = large.reformat(frame, lw, lh, "rgb24").to_ndarray()
                    stills[self.count] = np.ascontiguousarray(np.rot90(still, k)) if k else still
                n += 1
                self.count += 1
                if n == self.chunk:
                    self.times.extend(times.tolist())
                    yield Chunk(start, buf.copy(), stills, times.copy())
                    start, n, stills = self.count, 0, {}
        except (av.FFmpegError, EOFError) as e:
            fault = environment_fault(e)
            if fault is not None:  # EIO, ENOMEM...: the machine failed, not the file
                raise fault from e
            self.error = e
        if n:
            self.times.extend(times[:n].tolist())
            yield Chunk(start, buf[:n].copy(), stills, times[:n].copy())
        self._finish()

    def _geometry(self, first: Any) -> tuple[int, int, int, int, int]:
        """From the first frame's display matrix: quarter turns, and the coded-orientation
        sizes swscale scales to (the output sizes, turned back when rotated by 90 or 270)."""
        self.rotation = rotation_of(first)
        k = self.rotation // 90  # np.rot90 turns counter-clockwise, as the display matrix does
        if k % 2:
            self.source_width, self.source_height = self.source_height, self.source_width
        sw, sh = self.stills_size or (self.source_width, self.source_height)
        if k % 2:
            return k, self.height, self.width, sh, sw
        return k, self.width, self.height, sw, sh

    def _finish(self) -> None:
        reached_end = self.max_frames is None or self.count < self.max_frames
        exp = self.expected_frames
        self.complete = self.error is None and (
            not reached_end or exp <= 0 or self.count >= exp * _COMPLETE_SHARE - _COMPLETE_SLACK
        )
        if self.count == 0:
            why = f"no frame could be decoded ({self.error})" if self.error else "no frame decoded"
            raise media_error(self.path, "corrupt", why)
        if self.strict and not self.complete:
            why = (
                f"decoding failed after frame {self.count} ({self.error})"
                if self.error
                else f"decoded {self.count} of {exp} frames the container announces"
            )
            raise media_error(self.path, "truncated", why)


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
    chunks: list[np.ndarray] = []
    stills: dict[int, np.ndarray] = {}
    with DecodeStream(
        path,
        width,
        height,
        chunk=4096,
        stills_every=stills_every,
        stills_size=stills_size,
        max_frames=max_frames,
        strict=strict,
        threads=threads,
    ) as ds:
        for c in ds:
            chunks.append(c.frames)
            stills.update(c.stills)
    frames = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
    return Decoded(
        times=np.asarray(ds.times, dtype=np.float64),
        rotation=ds.rotation,
        frames=frames,
        fps=ds.fps,
        source_width=ds.source_width,
        source_height=ds.source_height,
        expected_frames=ds.expected_frames,
        complete=ds.complete,
        stills=stills,
    )
