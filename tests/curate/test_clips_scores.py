"""Clip planning and per-clip scores on synthetic shots with known defects, and the studio."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from clearreel.curate.clips import detect_letterbox, plan_clips, snap_down, snap_up
from clearreel.curate.config import CurateConfig, Thresholds
from clearreel.curate.scores import compute_scores, filter_reasons, text_area
from clearreel.curate.shots import Shot
from clearreel.media import Decoded
from clearreel.media.synth import ShotSpec, render_frames

FPS = 24.0


def codes(reasons: list[dict[str, Any]]) -> set[str]:
    return {r["code"] for r in reasons}


def test_snap_to_4k_plus_1() -> None:
    assert [snap_down(n, 4) for n in (1, 4, 5, 8, 9, 240)] == [1, 1, 5, 5, 9, 237]
    assert [snap_up(n, 4) for n in (1, 2, 5, 6, 48)] == [1, 5, 5, 9, 49]
    assert snap_down(10, 1) == 10


def test_long_shot_splits_into_equal_4k1_clips_within_bounds() -> None:
    frames = np.full((600, 18, 32, 3), 120, np.uint8)
    shots = [Shot(0, 99), Shot(100, 129), Shot(130, 599)]  # 100, 30 (too short), 470 frames
    cfg = CurateConfig(clip_min_s=2.0, clip_max_s=5.0)
    clips, dropped = plan_clips(shots, frames, FPS, cfg)
    assert [(d.start_frame, d.reason) for d in dropped] == [(100, "too_short")]
    for c in clips:
        assert (c.frames - 1) % 4 == 0
        assert 2.0 * FPS <= c.frames <= 5.0 * FPS
        shot = shots[c.shot]
        assert shot.start_frame <= c.start_frame and c.end_frame <= shot.end_frame
    long = [c for c in clips if c.shot == 2]
    # 470 frames, at most 117 (4k+1 <= 5 s): ceil(470 / 117) = 5 clips of 93 frames.
    assert len(long) == 5 and {c.frames for c in long} == {93}
    assert long[0].start_frame == 130 and long[-1].end_frame == 599  # spread over the shot
    for a, b in itertools.pairwise(long):
        assert a.end_frame < b.start_frame


def test_black_frames_trimmed_and_letterbox_found() -> None:
    frames, _ = render_frames([ShotSpec(80, seed=2, letterbox=0.125)], 96, 48)
    frames = frames.copy()
    frames[:5] = 0
    frames[-3:] = 0
    assert detect_letterbox(frames) == (0, 6, 96, 36)
    clips, dropped = plan_clips(
        [Shot(0, 79)], frames, FPS, CurateConfig(clip_min_s=1, clip_max_s=10)
    )
    assert not dropped and len(clips) == 1
    c = clips[0]
    assert c.crop == (0, 6, 96, 36)
    assert c.start_frame >= 5 and c.end_frame <= 76 and (c.frames - 1) % 4 == 0
    all_black = np.zeros((60, 18, 32, 3), np.uint8)
    _, dropped = plan_clips([Shot(0, 59)], all_black, FPS, CurateConfig(clip_min_s=1))
    assert dropped[0].reason == "all_black"


@pytest.fixture(scope="module")
def defects() -> dict[str, np.ndarray]:
    kinds = {
        "scene": ShotSpec(48, seed=1),
        "static": ShotSpec(48, "static", seed=3),
        "blur": ShotSpec(48, "blur", seed=4),
        "title": ShotSpec(48, "title"),
        "black": ShotSpec(48, "black"),
        "scene2": ShotSpec(48, seed=7),
    }
    frames, truth = render_frames(list(kinds.values()), 160, 90)
    return {
        k: frames[s["start_frame"] : s["end_frame"] + 1]
        for k, s in zip(kinds, truth["shots"], strict=True)
    }


def test_each_defect_fails_its_own_filter(defects: dict[str, np.ndarray]) -> None:
    cfg = CurateConfig()
    got = {k: compute_scores(v, FPS, cfg) for k, v in defects.items()}
    reasons = {k: codes(filter_reasons(s, cfg.thresholds)) for k, s in got.items()}
    assert reasons["scene"] == set() and reasons["scene2"] == set()
    assert "low_motion" in reasons["static"] and "blurry" not in reasons["static"]
    assert "blurry" in reasons["blur"]
    assert "text_on_screen" in reasons["title"]
    assert {"black_frames", "flat_frames", "too_dark"} <= reasons["black"]
    assert got["scene"]["motion"] > 10 * got["static"]["motion"]
    assert got["scene"]["sharpness"] > 10 * got["blur"]["sharpness"]


def test_thresholds_are_the_only_judge() -> None:
    scores = {"motion": 0.05, "sharpness": 50.0, "brightness": 100.0, "text_fraction": 0.0}
    assert filter_reasons(scores, Thresholds()) == []
    r = filter_reasons(scores, Thresholds(min_sharpness=80.0))
    assert r == [
        {
            "code": "blurry",
            "score": "sharpness",
            "value": 50.0,
            "threshold": 80.0,
            "detail": "out of focus or soft: sharpness 50 < 80",
        }
    ]
    assert filter_reasons({}, Thresholds()) == []  # unscored: not judged


def test_text_detector_on_the_sample_studio(
    sample_studio: dict[str, Any], decoded: Callable[[str], Decoded]
) -> None:
    """Title cards and credits are text; no scene frame is."""
    for work, t in sample_studio["truth"]["works"].items():
        d = decoded(work)
        text = {i for a, b in t["text_frames"] for i in range(a, b + 1)}
        idx = range(0, d.count, 6)
        flagged = {i for i in idx if text_area(d.frames[i]) >= Thresholds().text_min_area}
        on_text = [i for i in idx if i in text]
        assert len(flagged & set(on_text)) >= 0.9 * len(on_text), work
        assert not (flagged - text), (work, sorted(flagged - text))
