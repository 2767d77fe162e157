"""Times and timecodes: the one parser and formatter every entry point uses.

Accepted everywhere a time is taken (catalog `scenes`, `catalog scenes import`, shot list
files, `dataset shots export`):

- SMPTE 12M timecode `HH:MM:SS:FF`, counted in the work's frame rate (`fps`): non-drop-frame
  at the nominal (rounded) rate, so `00:00:01:00` at 23.976 fps is frame 24, 1.001 s;
- drop-frame `HH:MM:SS;FF` (also `HH;MM;SS;FF`, `HH:MM:SS.FF` is *not* drop-frame: a dot
  means milliseconds) at 29.97 or 59.94 fps: frame numbers 0 and 1 (0-3 at 59.94) of every
  minute except each tenth are skipped (SMPTE ST 12-1 §4.2.2);
- milliseconds `HH:MM:SS.mmm`, `MM:SS.mmm`, `SS.mmm` (any number of decimals);
- a number of seconds (YAML reads an unquoted `00:00:04.5` as sexagesimal 4.5: also seconds).

A timecode with frames needs the rate: without one, the error says how to give it. Frames
count from 0; a timecode names the start of its frame.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

from clearreel.errors import UsageError

_SMPTE = re.compile(r"(\d{1,3})[:;](\d{2})[:;](\d{2})([:;])(\d{2,3})")
_CLOCK = re.compile(r"(?:(\d+):)?(?:(\d{1,2}):)?(\d{1,2}(?:\.\d+)?)")


class TimecodeError(UsageError, ValueError):
    """A time that cannot be read (a ValueError too, so pydantic validators report it)."""


def rate(fps: float | Fraction | str) -> Fraction:
    """A frame rate as an exact fraction: 23.976 -> 24000/1001, 29.97 -> 30000/1001."""
    return _rate(fps)


@functools.lru_cache(maxsize=1024)
def _rate(fps: float | Fraction | str) -> Fraction:
    # Memoised: a listing converts thousands of frame numbers at a handful of rates, and
    # limit_denominator costs tens of microseconds each time. Fractions are immutable.
    if isinstance(fps, str):
        fps = Fraction(fps) if "/" in fps else float(fps)
    f = Fraction(fps).limit_denominator(1001)
    if f <= 0:
        raise TimecodeError(f"a frame rate must be positive, got {fps}")
    nominal = round(f)
    ntsc = Fraction(nominal * 1000, 1001)
    return ntsc if abs(f - ntsc) < Fraction(1, 500) and f != nominal else f


def nominal(fps: float | Fraction) -> int:
    """The timecode's frames per second: the rate rounded (24 for 23.976, 30 for 29.97); 1
    for an unknown (zero) rate, as the manifest has always written it."""
    if not fps or (isinstance(fps, int | float | Fraction) and fps <= 0):
        return 1
    return max(1, round(rate(fps)))


def _drop_frames(fps: float | Fraction) -> int:
    n = nominal(fps)
    r = rate(fps)
    if r.denominator != 1001 or n % 30:
        raise TimecodeError(f"drop-frame timecode (with ';') exists only at 29.97 and 59.94 fps, "
                            f"not {float(r):g}: write HH:MM:SS:FF")
    return n // 15  # 2 at 29.97, 4 at 59.94


def smpte_to_frame(tc: str, fps: float | Fraction) -> int:
    """Frame number of an `HH:MM:SS:FF` (or drop-frame `HH:MM:SS;FF`) timecode at `fps`."""
    m = _SMPTE.fullmatch(tc.strip())
    if not m:
        raise TimecodeError(f"{tc!r} is not a timecode: write HH:MM:SS:FF")
    h, mi, s, sep, ff = (int(g) if g not in (":", ";") else g for g in m.groups())
    n = nominal(fps)
    assert isinstance(h, int) and isinstance(mi, int) and isinstance(s, int)
    assert isinstance(ff, int)
    if mi >= 60 or s >= 60 or ff >= n:
        raise TimecodeError(f"{tc!r} is not a valid timecode at {float(rate(fps)):g} fps "
                            f"(minutes and seconds < 60, frames < {n})")
    total_minutes = 60 * h + mi
    frame = (3600 * h + 60 * mi + s) * n + ff
    if sep == ";" or ";" in tc:
        drop = _drop_frames(fps)
        if s == 0 and ff < drop and mi % 10:
            raise TimecodeError(f"{tc!r} does not exist in drop-frame timecode "
                                f"(frames 0-{drop - 1} of minute {mi} are dropped)")
        frame -= drop * (total_minutes - total_minutes // 10)
    return frame


def frame_to_smpte(frame: int, fps: float | Fraction, *, drop: bool = False) -> str:
    """`HH:MM:SS:FF` of a frame number at `fps` (`HH:MM:SS;FF` when `drop`)."""
    if frame < 0:
        raise TimecodeError("a frame number cannot be negative")
    n = nominal(fps)
    if drop:
        d = _drop_frames(fps)
        per10 = n * 600 - d * 9  # frames in ten minutes
        per1 = n * 60 - d  # frames in a dropped minute
        tens, rest = divmod(frame, per10)
        frame += d * 9 * tens + (d * ((rest - d) // per1) if rest >= d else 0)
    ff = frame % n
    s = frame // n
    sep = ";" if drop else ":"
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{sep}{ff:02d}"


def seconds_to_smpte(seconds: float, fps: float | Fraction) -> str:
    """`HH:MM:SS:FF` of a presentation time: the clock second, and FF the frame within it at
    the nominal rate (on variable-rate media, the time the frame is shown). The 1e-3 frame
    tolerance absorbs the microsecond rounding of recorded times."""
    n = nominal(fps)
    s, ff = divmod(int(seconds * n + 1e-3), n)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


def parse_seconds(value: object, fps: float | Fraction | None = None) -> float:
    """Seconds from any accepted form (see the module docstring); `fps` for SMPTE frames."""
    if isinstance(value, bool):
        raise TimecodeError("expected a time")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise TimecodeError(f"a time must be a finite number of seconds >= 0, got {value}")
        return float(value)
    if not isinstance(value, str):
        raise TimecodeError(f"expected a time, got {type(value).__name__}")
    v = value.strip()
    if _SMPTE.fullmatch(v):
        if fps is None:
            raise TimecodeError(f"{value!r} counts frames (HH:MM:SS:FF): give the work's frame "
                                "rate (`fps:` on the work, or --fps) or write HH:MM:SS.mmm")
        return float(smpte_to_frame(v, fps) / rate(fps))
    m = _CLOCK.fullmatch(v)
    if m:
        h, mi, s = m.groups()
        if mi is None and h is not None:  # "MM:SS.mmm"
            h, mi = None, h
        if (mi is not None and int(mi) >= 60) or (float(s) >= 60 and (h or mi)):
            raise TimecodeError(f"{value!r} is not a valid time (minutes and seconds are < 60)")
        return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s)
    raise TimecodeError(f"{value!r} is not a time: write HH:MM:SS:FF (frames, at the work's "
                        'rate), HH:MM:SS.mmm (e.g. "00:01:04.500") or seconds')


def is_smpte(value: object) -> bool:
    """Whether a value is written as an SMPTE timecode `HH:MM:SS:FF` (frames, not seconds)."""
    return isinstance(value, str) and _SMPTE.fullmatch(value.strip()) is not None


def to_frame(value: object, fps: float | Fraction) -> int:
    """The frame that a time falls in (SMPTE exactly; clock times rounded to the nearest)."""
    if isinstance(value, str) and _SMPTE.fullmatch(value.strip()):
        return smpte_to_frame(value, fps)
    return round(Fraction(parse_seconds(value)) * rate(fps))


def format_ms(seconds: float) -> str:
    """`HH:MM:SS.mmm` (milliseconds, rounded)."""
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{sec:02d}.{milli:03d}"


def frame_seconds(frame: int, fps: float | Fraction) -> float:
    r = rate(fps)
    if isinstance(frame, int):  # int / int is correctly rounded: float(Fraction(frame) / r)
        return frame * r.denominator / r.numerator
    return float(frame / r)


__all__ = [
    "TimecodeError",
    "format_ms",
    "frame_seconds",
    "frame_to_smpte",
    "is_smpte",
    "nominal",
    "parse_seconds",
    "rate",
    "seconds_to_smpte",
    "smpte_to_frame",
    "to_frame",
]
