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
