"""Small pure pieces of the pipeline: ids, timecodes, JSON reduction, cut runs."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np

from clearreel.curate.analyse import plain
from clearreel.curate.plan import clip_key, timecode
from clearreel.curate.tasks import SEEK_GAP, runs


def test_clip_key_has_no_dots_and_sorts_by_frame() -> None:
    k = clip_key("w.harbor/2", 0, 54, 70)
    assert k == "w-harbor-2_m0_0000054_0000070" and "." not in k
    assert clip_key("w", 0, 9, 20) < clip_key("w", 0, 100, 120)


def test_timecode_non_drop_frame() -> None:
    assert timecode(0, 24.0) == "00:00:00:00"
    assert timecode(24 * 3661 + 5, 24.0) == "01:01:01:05"
    assert timecode(30, 29.97) == "00:00:01:00"  # nominal 30 fps


def test_plain_json_values() -> None:
    v = plain({"a": np.float32("nan"), "b": (np.int64(3), 1.23456789), "c": Fraction(1, 4)})
    assert v == {"a": None, "b": [3, 1.234568], "c": 0.25}
    json.dumps(v, allow_nan=False)


def test_runs_split_distant_clips() -> None:
    clips = (
        ("c", 1000, 1016, "o", None),
        ("a", 0, 16, "o", None),
        ("b", 20 + SEEK_GAP, 150, "o", None),
        ("d", 1017, 1030, "o", None),
    )
    assert [[c[0] for c in r] for r in runs(clips)] == [["a"], ["b"], ["c", "d"]]


def test_cut_jobs_split_long_runs_and_the_longest_go_first() -> None:
    from types import SimpleNamespace

    from clearreel.curate.config import CurateConfig
    from clearreel.curate.cut import CUT_BATCH, CUT_SPAN, _largest_first, _tasks

    run = SimpleNamespace(config=CurateConfig())
    # One run of adjacent clips spanning 2.5 x CUT_SPAN, another of CUT_BATCH + 2 short
    # clips, and one clip far from both.
    long_run = [(f"l{i}", i * 60, i * 60 + 56, "o", None, None, None)
                for i in range(CUT_SPAN * 5 // 2 // 60)]
    base = 10 * CUT_SPAN
    short = [(f"s{i}", base + 10 * i, base + 10 * i + 8, "o", None, None, None)
             for i in range(CUT_BATCH + 2)]
    far = [("f", 40 * CUT_SPAN, 40 * CUT_SPAN + 30, "o", None, None, None)]
    tasks = _tasks(run, "m.mp4", long_run + short + far)  # type: ignore[arg-type]
    jobs = [[c[0] for c in t.clips] for t in tasks]
    # Every clip once, in source order; no job spans CUT_SPAN frames or holds more than
    # CUT_BATCH clips; jobs break only where a limit or a seek gap says so.
    assert [c for j in jobs for c in j] == [c[0] for c in long_run + short + far]
    for t in tasks:
        assert len(t.clips) <= CUT_BATCH
        assert max(c[2] for c in t.clips) - t.clips[0][1] < CUT_SPAN
    assert len([j for j in jobs if j[0].startswith("l")]) == 3
    assert [len(j) for j in jobs if j[0].startswith("s")] == [CUT_BATCH, 2]
    assert jobs[-1] == ["f"]
    # Longest source span first, after every analysis.
    order = sorted(range(len(tasks)), key=lambda i: _largest_first(tasks[i], i))
    spans = [max(c[2] for c in tasks[i].clips) - min(c[1] for c in tasks[i].clips) for i in order]
    assert spans == sorted(spans, reverse=True)
    assert all(_largest_first(t, 0) > (0, 0, 0) for t in tasks)  # below any (ANALYSE, i)
