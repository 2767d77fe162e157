"""`probe`: what a media file is (container, codec, duration, fps, size, audio, sha256)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from clearreel.errors import MediaError


def media_error(path: str | Path, reason: str, detail: str) -> MediaError:
    """A `MediaError` whose `.reason` is a short code: unreadable, no_video, truncated, corrupt."""
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
    width: int
    height: int
    frames: int
    pix_fmt: str | None
    size_bytes: int
    sha256: str
    audio: list[AudioStream] = field(default_factory=list)
    frames_exact: bool = True  # False when `frames` was estimated from the duration

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
        }


def _stream_fps(stream: object) -> Fraction | None:
    for attr in ("average_rate", "base_rate", "guessed_rate"):
        rate = getattr(stream, attr, None)
        if rate:
            return Fraction(rate.numerator, rate.denominator)
    return None


def probe(path: str | Path) -> Probe:
    """Probe a media file with PyAV; raise `MediaError` (with `.reason`) when it is not video."""
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
            width=int(v.codec_context.width),
            height=int(v.codec_context.height),
            frames=frames,
            pix_fmt=v.codec_context.pix_fmt,
            size_bytes=p.stat().st_size,
            sha256=sha256_file(p),
            audio=audio,
            frames_exact=exact,
        )
    finally:
        container.close()
