"""`cut_clip` / `cut_clips`: write training clips (mp4, H.264) at the training size and rate.

Frame-accurate: frames are addressed by their index in presentation order (the same index
`decode` gives them). A clip that knows its presentation times (`ClipSpec.start_s`, `end_s`,
from the analysis) is found by them after a seek to the keyframe before it, and resampled to
the training rate by time: output frame i shows the source frame on screen at
`start + i / fps` (its PTS, so variable-frame-rate sources keep their timing). A display
matrix is honoured as `decode` honours it. A crop rectangle (displayed pixels, e.g. letterbox
removal) is applied first, then the picture is scaled to cover `width` x `height` and
centre-cropped, so the aspect ratio is never distorted.

Encoding is deterministic: x264 runs with a fixed thread count and no wall-clock or
machine-dependent input, so the same clip gives the same bytes in any process on any machine
with the same FFmpeg build (the dataset's Merkle root depends on it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.errors import UsageError
from clearreel.media._probe import (
    _stream_fps,
    environment_fault,
    media_error,
    rotation_of,
    sha256_file,
)

Crop = tuple[int, int, int, int]  # (x, y, w, h) in source pixels


@dataclass(frozen=True)
class ClipSpec:
    """One clip to cut: inclusive source frame range, output path, optional crop (x, y, w, h)."""

    start_frame: int
    end_frame: int
    out: Path
    crop: Crop | None = None
    # Presentation times (seconds from the stream's start) of the first frame and of the end
    # of the last one, when known (the analysis records them); None: count frames instead.
    start_s: float | None = None
    end_s: float | None = None


def resampled_indices(start: int, end: int, src_fps: Fraction, fps: Fraction | None) -> list[int]:
    """Source frame indices for a clip written at `fps`.

    At the source rate every frame of [start, end] is kept. At another rate the clip keeps its
    duration as closely as a 4k+1 frame count allows (Wan-style VAEs compress time by 4 after
    the first frame), each output frame taking the source frame showing at its time.
    """
    n_src = end - start + 1
    if fps is None or fps == src_fps:
        return list(range(start, end + 1))
    n_out = int(Fraction(n_src) * Fraction(fps) / Fraction(src_fps))
    n_out = max(1, ((n_out - 1) // 4) * 4 + 1)
    step = Fraction(src_fps) / Fraction(fps)
    return [min(end, start + int(i * step)) for i in range(n_out)]


def resampled_count(start_s: float, end_s: float, fps: Fraction | float) -> int:
    """Frames in a clip of source time [start_s, end_s) written at `fps`: as many as its
    duration holds, as a 4k+1 count (the same count `resampled_indices` gives a constant-rate
    source). The small tolerance absorbs the microsecond rounding of recorded times."""
    n_out = int((end_s - start_s) * float(fps) + 1e-4)
    return max(1, ((n_out - 1) // 4) * 4 + 1)


def _fit(img: np.ndarray, crop: Crop | None, width: int, height: int) -> np.ndarray:
    import cv2

    if crop is not None:
        x, y, w, h = crop
        img = img[y : y + h, x : x + w]
    h0, w0 = img.shape[:2]
    scale = max(width / w0, height / h0)  # cover, then centre-crop the excess
    sw, sh = max(width, round(w0 * scale)), max(height, round(h0 * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    img = cv2.resize(img, (sw, sh), interpolation=interp)
    ox, oy = (sw - width) // 2, (sh - height) // 2
    return np.ascontiguousarray(img[oy : oy + height, ox : ox + width])


class _Writer:
    def __init__(self, out: Path, width: int, height: int, fps: Fraction, crf: int):
        import av

        out.parent.mkdir(parents=True, exist_ok=True)
        self.path = out
        self.container = av.open(str(out), "w", format="mp4")
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream: Any = self.container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        self.stream = stream
        # One encoder thread, always: x264's automatic thread count follows the CPUs the
        # process may use (1.5 per core), changes the bitstream (frame threads, lookahead)
        # and is written into it (the SEI options string), so clips cut on a 2-core worker
        # and a 64-core one differed. Clips are cut in parallel by the engine's workers.
        stream.codec_context.thread_count = 1
        if codec == "libx264":
            # Deterministic x264 (no --non-deterministic), fixed threads: the same clip has
            # the same bytes whichever engine, worker or machine cut it.
            stream.options = {"crf": str(crf), "preset": "veryfast", "threads": "1"}
        self.count = 0

    def write(self, rgb: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.count
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.count += 1

    def close(self) -> str:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        return sha256_file(self.path)


def cut_clips(
    src: str | Path,
    specs: Sequence[ClipSpec],
    width: int,
    height: int,
    fps: Fraction | float | None = None,
    *,
    crf: int = 18,
    threads: int = 0,
) -> list[str]:
    """Cut several clips from one file in ONE sequential decode; returns their sha256s in order.

    `fps=None` keeps the source rate and every frame (end - start + 1 frames); another rate
    resamples: by presentation time when every spec has `start_s` and `end_s`, else by frame
    index at the average rate (see `resampled_indices`). `threads`: the decoder's (0: FFmpeg
    picks); decoding is exact whatever the count, so the clips' bytes do not depend on it.
    """
    import av

    if width % 2 or height % 2 or width <= 0 or height <= 0:
        raise UsageError(f"clip size must be positive and even for yuv420p, got {width}x{height}")
    if not specs:
        return []
    for s in specs:
        if s.start_frame < 0 or s.end_frame < s.start_frame:
            raise UsageError(f"bad frame range {s.start_frame}..{s.end_frame} for {s.out}")
    p = Path(src)
    try:
        container = av.open(str(p))
    except (av.FFmpegError, OSError) as e:
        raise media_error(p, "unreadable", f"FFmpeg cannot open it ({e})") from e
    writers: dict[int, _Writer] = {}
    hashes: dict[int, str] = {}
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        src_fps = _stream_fps(stream)
        if src_fps is None:
            raise media_error(p, "corrupt", "the video stream has no frame rate")
        out_fps = Fraction(fps).limit_denominator(1001) if fps is not None else src_fps
        timed = all(s.start_s is not None and s.end_s is not None for s in specs)
        picks = [_Picker(s, (width, height), src_fps, out_fps, fps is None, timed) for s in specs]
        first = min(specs, key=lambda s: s.start_frame)
        last = max(s.end_frame for s in specs)
        tb = stream.time_base or Fraction(0)
        start_pts = stream.start_time or 0
        # Seek only when the first wanted frame is well into the file; then the decoded frames
        # are numbered from the first one at the first clip's start: by its presentation time
        # (exact on any frame rate) or, for specs without times, by pts x average rate.
        tol = Fraction(1, 4000)  # recorded times are rounded to the microsecond
        seek_t = (
            Fraction(first.start_s) - tol  # type: ignore[arg-type]
            if timed
            else Fraction(first.start_frame) / src_fps
        )
        seek = tb > 0 and seek_t > 2
        if seek:
            target = start_pts + int(seek_t / tb)
            container.seek(max(start_pts, target), stream=stream, backward=True)
        from av.video.reformatter import VideoReformatter

        reformatter = VideoReformatter()  # one SwsContext for the stream, not one per frame
        n = -1
        found = not seek
        for frame in container.decode(stream):
            pts = frame.pts if frame.pts is not None else frame.dts
            t = Fraction(pts - start_pts) * tb if pts is not None and tb else None
            if not found:
                if timed:
                    if t is None or t < Fraction(first.start_s) - tol:  # type: ignore[arg-type]
                        continue
                    n, found = first.start_frame, True
                elif pts is not None:
                    n = round(float((pts - start_pts) * tb * src_fps))
                    if n < first.start_frame:
                        continue
                    found = True
                else:
                    continue
            else:
                n += 1
            if t is None:
                t = Fraction(n) / src_fps
            to_rgb = _Displayed(frame, reformatter)  # converted once, when a clip wants it
            for k, pk in enumerate(picks):
                if k in hashes:
                    continue
                for img in pk.feed(n, t, to_rgb):
                    if k not in writers:
                        writers[k] = _Writer(Path(specs[k].out), width, height, out_fps, crf)
                    writers[k].write(img)
                if pk.done:
                    hashes[k] = writers.pop(k).close()
            if n > last and all(k in hashes for k in range(len(specs))):
                break
        for k, pk in enumerate(picks):  # the file ended just after a clip's last frame
            if k in hashes or not pk.started or pk.last_n < pk.spec.end_frame:
                continue
            for img in pk.flush():
                writers[k].write(img)
            if pk.done:
                hashes[k] = writers.pop(k).close()
    except av.FFmpegError as e:
        fault = environment_fault(e)
        if fault is not None:  # a full disk or an I/O error: the run stops, nothing is corrupt
            raise fault from e
        raise media_error(p, "corrupt", f"decoding failed while cutting ({e})") from e
    finally:
        for w in writers.values():
            with contextlib.suppress(av.FFmpegError, OSError):  # cut again on resume
                w.container.close()
        container.close()
    missing = [str(specs[k].out) for k in range(len(specs)) if k not in hashes]
    if missing:
        raise media_error(
            p, "truncated", f"the file ended before these clips were complete: {missing}"
        )
    return [hashes[k] for k in range(len(specs))]


class _Displayed:
    """A decoded frame as displayed RGB (display matrix applied), converted on first use."""

    def __init__(self, frame: Any, reformatter: Any):
        self.frame, self.reformatter = frame, reformatter
        self.rgb: np.ndarray | None = None

    def __call__(self) -> np.ndarray:
        if self.rgb is None:
            rgb = self.reformatter.reformat(self.frame, format="rgb24").to_ndarray()
            k = rotation_of(self.frame) // 90
            self.rgb = np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb
        return self.rgb


class _Picker:
    """Which decoded frames one clip writes, and how often (resampling repeats or skips).

    By index: the frames `resampled_indices` names. By time: output frame i shows the source
    frame on screen at `start + i / fps`, the last one whose time is <= it; a frame is only
    known to be that one when the next frame arrives, so the picker holds one frame back.
    """

    def __init__(
        self,
        spec: ClipSpec,
        size: tuple[int, int],
        src_fps: Fraction,
        fps: Fraction,
        keep_all: bool,
        timed: bool,
    ):
        self.spec, self._size = spec, size
        self.fps = fps
        self.last_n = -1
        self.started = False
        self.done = False
        self.by_time = timed and not keep_all and fps != src_fps
        self.want: dict[int, int] = {}
        if self.by_time:
            assert spec.start_s is not None and spec.end_s is not None
            self.n_out = resampled_count(spec.start_s, spec.end_s, fps)
        else:
            rate = None if keep_all else fps
            for i in resampled_indices(spec.start_frame, spec.end_frame, src_fps, rate):
                self.want[i] = self.want.get(i, 0) + 1
            self.last_wanted = max(self.want)
            self.n_out = sum(self.want.values())
        self.written = 0
        self.t0: Fraction | None = None
        self.held: np.ndarray | None = None

    def _image(self, rgb: _Displayed) -> np.ndarray:
        return _fit(rgb(), self.spec.crop, *self._size)

    def feed(self, n: int, t: Fraction, to_rgb: _Displayed) -> list[np.ndarray]:
        s = self.spec
        self.last_n = n
        if n < s.start_frame:
            return []
        if not self.by_time:
            times = self.want.get(n, 0)
            out = [self._image(to_rgb)] * times if times else []
            self.started = self.started or bool(out)
            self.written += len(out)
            self.done = n >= self.last_wanted
            return out
        out: list[np.ndarray] = []
        if self.held is not None:  # frames shown before `t` are the held one
            while self.written < self.n_out and self._due(self.written) < t:
                out.append(self.held)
                self.written += 1
        if n > s.end_frame or self.written >= self.n_out:
            out += self.flush()
            return out
        if self.t0 is None:
            self.t0 = t
            self.started = True
        self.held = self._image(to_rgb)
        return out

    def _due(self, i: int) -> Fraction:
        assert self.t0 is not None
        return self.t0 + Fraction(i) / self.fps

    def flush(self) -> list[np.ndarray]:
        """The clip's remaining output frames: the held frame shown to the end."""
        out: list[np.ndarray] = []
        if self.by_time and self.held is not None:
            out = [self.held] * (self.n_out - self.written)
            self.written = self.n_out
        self.done = self.written >= self.n_out
        return out


def cut_clip(
    src: str | Path,
    start_frame: int,
    end_frame: int,
    out: str | Path,
    width: int,
    height: int,
    fps: Fraction | float | None = None,
    crop: Crop | None = None,
    *,
    crf: int = 18,
) -> str:
    """Write source frames [start_frame, end_frame] (inclusive) as an mp4; return its sha256."""
    spec = ClipSpec(start_frame, end_frame, Path(out), crop)
    return cut_clips(src, [spec], width, height, fps, crf=crf)[0]
