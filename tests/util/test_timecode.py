"""The one timecode parser: SMPTE (non-drop and drop-frame), milliseconds, seconds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearreel.util.timecode import (
    TimecodeError,
    format_ms,
    frame_to_smpte,
    parse_seconds,
    rate,
    smpte_to_frame,
    to_frame,
)


def test_rates_are_exact() -> None:
    assert rate(23.976) == rate("24000/1001") == rate(24000 / 1001)
    assert rate(29.97).denominator == 1001 and rate(25) == 25


@pytest.mark.parametrize(
    ("tc", "fps", "frame"),
    [
        ("00:00:01:00", 24, 24),
        ("00:00:01:00", 23.976, 24),  # non-drop at the nominal rate
        ("01:00:00:00", 25, 90000),
        ("00:01:00;02", 29.97, 1800),  # the first frame of minute 1 in drop-frame
        ("00:10:00;00", 29.97, 17982),  # minute 10 drops nothing
        ("01:00:00;00", 29.97, 107892),  # one hour of 29.97 DF is 107892 frames
        ("00:01:00;04", 59.94, 3600),
    ],
)
def test_smpte(tc: str, fps: float, frame: int) -> None:
    assert smpte_to_frame(tc, fps) == frame
    assert frame_to_smpte(frame, fps, drop=";" in tc) == tc


@given(st.integers(0, 30 * 3600 * 24), st.sampled_from([29.97, 59.94]))
def test_drop_frame_round_trips(frame: int, fps: float) -> None:
    assert smpte_to_frame(frame_to_smpte(frame, fps, drop=True), fps) == frame


@given(st.integers(0, 10**7), st.sampled_from([23.976, 24, 25, 30, 50, 60]))
def test_non_drop_round_trips(frame: int, fps: float) -> None:
    assert smpte_to_frame(frame_to_smpte(frame, fps), fps) == frame


def test_clock_forms_and_seconds() -> None:
    assert parse_seconds("00:01:04.500") == 64.5
    assert parse_seconds("01:04.5") == 64.5 and parse_seconds("4.25") == 4.25
    assert parse_seconds(4.5) == 4.5
    assert parse_seconds("00:00:01:12", 24) == 1.5
    assert to_frame("00:00:02.000", 25) == 50 and to_frame("00:00:02:03", 25) == 53
    assert format_ms(64.5) == "00:01:04.500"


@pytest.mark.parametrize(
    ("value", "fps", "match"),
    [
        ("00:00:01:00", None, "frame rate"),
        ("00:00:01:24", 24, "frames < 24"),
        ("00:61:00.000", None, "< 60"),
        ("00:01:00;00", 29.97, "does not exist"),
        ("00:00:01;00", 25, "only at 29.97"),
        ("1h", None, "HH:MM:SS:FF"),
        (-1, None, ">= 0"),
        (float("nan"), None, "finite"),
        (True, None, "expected a time"),
    ],
)
def test_bad_times_say_how_to_fix_them(value: object, fps: float | None, match: str) -> None:
    with pytest.raises(TimecodeError, match=match):
        parse_seconds(value, fps)


def test_frame_seconds_is_the_exact_quotient_rounded_once() -> None:
    """The integer fast path gives the float of the exact fraction, at NTSC and whole rates."""
    from fractions import Fraction

    from clearreel.util.timecode import frame_seconds, rate

    for fps in (23.976, 29.97, 59.94, 24.0, 25, "30000/1001", 8.0):
        for frame in (0, 1, 17, 1001, 86_399, 2_589_407, 10**9 + 7):
            assert frame_seconds(frame, fps) == float(Fraction(frame) / rate(fps))
    assert rate(23.976) is rate(23.976)  # memoised
