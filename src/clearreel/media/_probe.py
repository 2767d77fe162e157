"""`probe`: what a media file is (container, codec, duration, fps, size, rotation, audio, sha256).

A header can announce any picture size, and decoding one 16000x16000 frame takes gigabytes:
`probe` refuses (`MediaError`, reason `too_large`) a picture over `max_pixels` before any
frame is decoded. Below the limit it decodes the first frame, only to read its display matrix
(phones store portrait video as landscape frames plus a rotation); `width` and `height` are
the picture as displayed, after that rotation.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from clearreel.errors import MediaError

# The default limit on a video's picture (width x height, in pixels): 8K UHD is 7680x4320.
DEFAULT_MAX_PIXELS = 8192 * 8192


def media_error(path: str | Path, reason: str, detail: str) -> MediaError:
    """A `MediaError` whose `.reason` is a short code: unreadable, no_video, truncated, corrupt,
    too_large."""
    err = MediaError(f"{path}: {reason}: {detail}")
    err.reason = reason  # type: ignore[attr-defined]
    return err


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None


@dataclass(frozen=True)
class Probe:
    """What `probe` found. `frames` is the container's count, or duration x fps when it has none."""

    path: str
    container: str  # FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # video codec, e.g. "h264"
    duration_s: float
    fps: Fraction  # average frame rate of the first video stream
    width: int  # as displayed (after `rotation`)
    height: int
    frames: int
    pix_fmt: str | None
    size_bytes: int
    sha256: str
    audio: list[AudioStream] = field(default_factory=list)
    frames_exact: bool = True  # False when `frames` was estimated from the duration
    # Counter-clockwise degrees (0, 90, 180, 270) the coded picture is turned for display.
    rotation: int = 0

    @property
    def fps_float(self) -> float:
        return float(self.fps)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "container": self.container,
            "codec": self.codec,
            "duration_s": self.duration_s,
            "fps": f"{self.fps.numerator}/{self.fps.denominator}",
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "pix_fmt": self.pix_fmt,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "audio": [a.__dict__ for a in self.audio],
            "rotation": self.rotation,
        }


def _stream_fps(stream: object) -> Fraction | None:
    for attr in ("average_rate", "base_rate", "guessed_rate"):
        rate = getattr(stream, attr, None)
        if rate:
            return Fraction(rate.numerator, rate.denominator)
    return None


# errno values that mean the machine, not the media, failed: a full disk or quota, a file
# size limit, an I/O error, a read-only filesystem, memory.
ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.ENOMEM}
)


def environment_fault(e: BaseException) -> OSError | None:
    """A plain `OSError` (picklable across engine workers) when `e` is an environment
    fault (see ENVIRONMENT_ERRNOS), else None: such a fault stops the run (exit 3); it never
    makes a clip or a file count as corrupt."""
    code = getattr(e, "errno", None)
    if isinstance(e, OSError) and code in ENVIRONMENT_ERRNOS:
        return OSError(code, os.strerror(code), getattr(e, "filename", None))
    return None


def rotation_of(frame: object) -> int:
    """A decoded frame's display rotation, counter-clockwise, as 0, 90, 180 or 270."""
    deg = int(getattr(frame, "rotation", 0) or 0)
    return (round(deg / 90) * 90) % 360


def probe(path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Probe:
    """Probe a media file with PyAV; raise `MediaError` (with `.reason`) when it is not video,
    or when its picture is larger than `max_pixels` (`too_large`, before decoding a frame)."""
    import av

    p = Path(path)
    if not p.is_file():
        raise media_error(p, "unreadable", "no such file")
    try:
        container = av.open(str(p))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as e:
        raise media_error(p, "unreadable", f"FFmpeg cannot open it ({e})") from e
    try:
        if not container.streams.video:
            raise media_error(p, "no_video", "the file has no video stream")
        v = container.streams.video[0]
        fps = _stream_fps(v)
        if fps is None or fps <= 0:
            raise media_error(p, "corrupt", "the video stream has no frame rate")
        duration_s = 0.0
        if v.duration is not None and v.time_base is not None:
            duration_s = float(v.duration * v.time_base)
        elif container.duration is not None:
            duration_s = container.duration / 1_000_000  # AV_TIME_BASE
        cw, ch = int(v.codec_context.width), int(v.codec_context.height)
        if max_pixels is not None and cw * ch > max_pixels:
            raise media_error(
                p,
                "too_large",
                f"the picture is {cw}x{ch} ({cw * ch} pixels), over the limit of {max_pixels} "
                "(raise max_pixels in the curation config to accept it)",
            )
        rotation = _first_rotation(container, v)
        if rotation in (90, 270):
            cw, ch = ch, cw
        frames, exact = int(v.frames or 0), True
        if frames <= 0:
            frames, exact = round(duration_s * float(fps)), False
        if duration_s <= 0 and frames > 0:
            duration_s = frames / float(fps)
        audio = [
            AudioStream(
                codec=a.codec_context.name,
                sample_rate=int(a.codec_context.sample_rate or 0),
                channels=int(a.codec_context.channels or 0),
                duration_s=float(a.duration * a.time_base) if a.duration and a.time_base else None,
            )
            for a in container.streams.audio
        ]
        return Probe(
            path=str(p),
            container=container.format.name,
            codec=v.codec_context.name,
            duration_s=duration_s,
            fps=fps,
            width=cw,
            height=ch,
            frames=frames,
            pix_fmt=v.codec_context.pix_fmt,
            size_bytes=p.stat().st_size,
            sha256=sha256_file(p),
            audio=audio,
            frames_exact=exact,
            rotation=rotation,
        )
    finally:
        container.close()


def _first_rotation(container: object, stream: object) -> int:
    """The display rotation carried by the first decoded frame (0 when none decodes)."""
    import av

    try:
        for frame in container.decode(stream):  # type: ignore[attr-defined]
            return rotation_of(frame)
    except (av.FFmpegError, EOFError):
        pass
    return 0
