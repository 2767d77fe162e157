"""`cut_clip` / `cut_clips`: write training clips (mp4, H.264) at the training size and rate.

Frame-accurate: frames are addressed by their index in presentation order (the same index
`decode` gives them), found from each frame's pts after a seek to the keyframe before the
first wanted frame. A crop rectangle (source pixels, e.g. letterbox removal) is applied
first, then the picture is scaled to cover `width` x `height` and centre-cropped, so the
aspect ratio is never distorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.errors import UsageError
from clearreel.media._probe import _stream_fps, media_error, sha256_file

Crop = tuple[int, int, int, int]  # (x, y, w, h) in source pixels


@dataclass(frozen=True)
class ClipSpec:
    """One clip to cut: inclusive source frame range, output path, optional crop (x, y, w, h)."""

    start_frame: int
    end_frame: int
    out: Path
    crop: Crop | None = None


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
        if codec == "libx264":
            # Deterministic x264 (no --non-deterministic): the same clip hashes the same
            # whichever engine or worker cut it.
            stream.options = {"crf": str(crf), "preset": "veryfast"}
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
) -> list[str]:
    """Cut several clips from one file in ONE sequential decode; returns their sha256s in order.

    `fps=None` keeps the source rate and every frame (end - start + 1 frames); another rate
    resamples (see `resampled_indices`).
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
        src_fps = _stream_fps(stream)
        if src_fps is None:
            raise media_error(p, "corrupt", "the video stream has no frame rate")
        out_fps = Fraction(fps).limit_denominator(1001) if fps is not None else src_fps
        # For each spec: source index -> how many times it is written (resampling may repeat).
        wanted: list[dict[int, int]] = []
        for s in specs:
            counts: dict[int, int] = {}
            for i in resampled_indices(s.start_frame, s.end_frame, src_fps, out_fps):
                counts[i] = counts.get(i, 0) + 1
            wanted.append(counts)
        last_wanted = [max(c) for c in wanted]
        first = min(s.start_frame for s in specs)
        last = max(s.end_frame for s in specs)
        tb = stream.time_base or Fraction(0)
        start_pts = stream.start_time or 0
        # Seek only when the first wanted frame is well into the file; index frames by pts.
        use_pts = tb > 0 and first > 2 * float(src_fps)
        if use_pts:
            target = start_pts + int(Fraction(first) / src_fps / tb)
            container.seek(target, stream=stream, backward=True)
        from av.video.reformatter import VideoReformatter

        to_rgb = VideoReformatter()  # one SwsContext for the stream, not one per frame
        n = -1
        for frame in container.decode(stream):
            if use_pts and frame.pts is not None:
                n = round(float((frame.pts - start_pts) * tb * src_fps))
            else:
                n += 1
            if n < first:
                continue
            if n > last:
                break
            rgb: np.ndarray | None = None
            for k, s in enumerate(specs):
                times = wanted[k].get(n, 0)
                if not times:
                    continue
                if rgb is None:
                    rgb = to_rgb.reformat(frame, format="rgb24").to_ndarray()
                if k not in writers:
                    writers[k] = _Writer(Path(s.out), width, height, out_fps, crf)
                img = _fit(rgb, s.crop, width, height)
                for _ in range(times):
                    writers[k].write(img)
            for k in [k for k in writers if last_wanted[k] <= n]:
                hashes[k] = writers.pop(k).close()
    except av.FFmpegError as e:
        raise media_error(p, "corrupt", f"decoding failed while cutting ({e})") from e
    finally:
        for w in writers.values():
            w.container.close()
        container.close()
    missing = [str(specs[k].out) for k in range(len(specs)) if k not in hashes]
    if missing:
        raise media_error(
            p, "truncated", f"the file ended before these clips were complete: {missing}"
        )
    return [hashes[k] for k in range(len(specs))]


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
