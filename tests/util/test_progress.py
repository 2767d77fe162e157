"""The one progress module: plain lines without a terminal, rich bars on one, nothing when
disabled; frames within a file reach it from engine workers."""

from __future__ import annotations

import io

from clearreel.util.progress import Progress, report_frames, set_frame_sink, track


def test_plain_lines_without_a_terminal() -> None:
    out = io.StringIO()
    with Progress(stream=out, interval=0, prefix="curate ") as p:
        p.stage("analyse", 2)
        p.frames("analyse", "/m/film.mp4", 1200, 172800)
        p.advance("analyse", key="/m/film.mp4")
        p.advance("analyse")
    lines = out.getvalue().splitlines()
    assert lines[0] == "curate analyse: 2 files"
    assert "frames 1200/172800 (0%) of 1 in progress" in lines[1]
    assert lines[-1].startswith("curate analyse: done, 2/2 files in ")
    assert len(lines) == 4


def test_plain_lines_are_rate_limited() -> None:
    out = io.StringIO()
    with Progress(stream=out, interval=3600) as p:
        p.stage("cut", 1000, unit="clips")
        for _ in range(1000):
            p.advance("cut")
    assert out.getvalue().splitlines() == [
        "cut: 1000 clips", out.getvalue().splitlines()[1]]
    assert out.getvalue().splitlines()[1].startswith("cut: done, 1000/1000 clips")


def test_bars_on_a_terminal_show_the_frames_of_a_file() -> None:
    out = io.StringIO()
    p = Progress(stream=out, terminal=True)
    p.stage("analyse", 1)
    p.frames("analyse", "/m/harbor.mp4", 500, 1000)
    p.close()
    text = out.getvalue()
    assert "analyse" in text and "harbor.mp4" in text and "500/1000" in text


def test_disabled_writes_nothing() -> None:
    out = io.StringIO()
    with Progress(False, stream=out) as p:
        p.stage("x", 3)
        p.advance("x")
    assert out.getvalue() == ""
    assert list(track(range(3), "x", enabled=False)) == [0, 1, 2]


def test_track_and_the_frame_sink() -> None:
    out = io.StringIO()
    assert list(track(range(3), "encoding clips", stream=out)) == [0, 1, 2]
    assert out.getvalue().splitlines()[-1].startswith("encoding clips: done, 3/3 items")
    got: list[tuple[str, int, int]] = []
    set_frame_sink(lambda *a: got.append(a))
    try:
        report_frames("k", 1, 2)
    finally:
        set_frame_sink(None)
    report_frames("k", 2, 2)  # nobody listens: nothing happens
    assert got == [("k", 1, 2)]
