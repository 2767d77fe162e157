"""Buckets and windows: which size and frame count each clip trains at."""

from __future__ import annotations

import itertools
from pathlib import Path

from clearreel.train.data import choose_bucket, plan_windows

from .conftest import FAST, make_clips, new_workspace, render_clip

BUCKETS = [(9, 32, 48), (17, 32, 48), (9, 48, 32)]


def test_nearest_aspect_then_most_frames() -> None:
    assert choose_bucket(BUCKETS, 40, 1, 48 / 32) == (17, 32, 48)
    assert choose_bucket(BUCKETS, 12, 1, 48 / 32) == (9, 32, 48)  # too short for 17
    assert choose_bucket(BUCKETS, 40, 1, 32 / 48) == (9, 48, 32)  # portrait
    assert choose_bucket(BUCKETS, 40, 3, 16 / 9) == (9, 32, 48)  # stride 3: 17 needs 49
    assert choose_bucket(BUCKETS, 8, 1, 1.5) is None


def test_windows_are_spread_and_never_overlap() -> None:
    wins = plan_windows("c", 100, 24.0, 8, 1.5, BUCKETS, max_windows=4)
    assert [w.stride for w in wins] == [3] * len(wins)  # 24 fps resampled to 8
    spans = [(w.start, w.start + (w.bucket[0] - 1) * w.stride) for w in wins]
    assert len(wins) == 2 and all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert all(s >= 0 and e < 100 for s, e in spans)
    assert plan_windows("c", 5, 8.0, 8, 1.5, BUCKETS, 4) == []


def test_training_uses_several_buckets(tmp_path: Path) -> None:
    from clearreel.train import train_on_clips

    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=20)
    tall = render_clip(tmp_path / "tall.mp4", "c-ruby", seed=9, frames=12, width=32, height=48)
    clips.append(type(clips[0])(id="tall", path=tall, caption="Ruby", characters=["c-ruby"]))
    cfg = {**FAST, "steps": 4, "buckets": [list(b) for b in BUCKETS], "windows_per_clip": 2}
    rec = train_on_clips(s, clips, base="tiny", name="multi", config=cfg, show_progress=False)
    assert rec is not None and rec.metrics["buckets"] == [list(b) for b in BUCKETS]
    assert rec.metrics["windows"] == 3 + 1  # three 20-frame clips (17 frames), one tall clip
