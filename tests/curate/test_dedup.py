"""Perceptual hashes and near-duplicate grouping across files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from clearreel.curate.config import CurateConfig
from clearreel.curate.dedup import (
    choose_keepers,
    clip_fingerprint,
    hamming,
    near_duplicate_groups,
    phash,
)
from clearreel.media import Decoded
from clearreel.media.synth import ShotSpec, render_frames


def bits(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def test_phash_survives_scaling_and_brightness_but_not_other_content() -> None:
    frames, _ = render_frames([ShotSpec(1, seed=1), ShotSpec(1, seed=2)], 160, 90)
    a, other = frames[0], frames[1]
    h = phash(a)
    small = cv2.resize(a, (80, 45), interpolation=cv2.INTER_AREA)
    brighter = np.clip(a.astype(int) + 20, 0, 255).astype(np.uint8)
    assert bits(h, phash(small)) <= 4
    assert bits(h, phash(brighter)) <= 4
    assert bits(h, phash(other)) > 16


def test_the_sample_studio_repeat_shot_is_grouped_across_files(
    sample_studio: dict[str, Any], decoded: Callable[[str], Decoded]
) -> None:
    """Each film repeats a shot (truth: near_duplicates); fingerprints of every scene shot of
    every film, grouped together, put exactly the repeated pairs together."""
    fps: list[list[str]] = []
    keys: list[tuple[str, int]] = []
    for work, t in sorted(sample_studio["truth"]["works"].items()):
        d = decoded(work)
        for s in t["shots"]:
            if s["kind"] == "scene":
                a, b = s["start_frame"] + 8, s["end_frame"] - 8  # clear of any dissolve
                fps.append(clip_fingerprint(d.frames[a : b + 1]))
                keys.append((work, s["index"]))
    groups = [g for g in near_duplicate_groups(fps, CurateConfig()) if len(g) > 1]
    found = sorted(tuple(sorted(keys[i] for i in g)) for g in groups)
    want = sorted(
        tuple((w, i) for i in pair)
        for w, t in sample_studio["truth"]["works"].items()
        for pair in t["near_duplicates"]
    )
    assert found == want


def test_grouping_is_transitive_and_keeps_the_sharpest() -> None:
    base = 0x0F0F_0F0F_0F0F_0F0F
    fp = [
        [f"{base:016x}"],
        [f"{base ^ 0b1111111:016x}"],
        [f"{base ^ 0x3FFF:016x}"],
        [f"{~base & (2**64 - 1):016x}"],
        None,
    ]
    # 0-1: 7 bits, 1-2: 7 bits, 0-2: 14 bits; 3 is the complement; 4 has no hash.
    assert hamming(fp[0], fp[2]) == 14  # type: ignore[arg-type]
    assert near_duplicate_groups(fp, max_distance=8) == [[0, 1, 2], [3], [4]]
    assert near_duplicate_groups(fp, max_distance=6) == [[0], [1], [2], [3], [4]]
    keep = choose_keepers(fp, [10.0, 30.0, 20.0, 5.0, 1.0], max_distance=8)
    assert [(g.keep, g.drop) for g in keep] == [(1, [0, 2]), (3, []), (4, [])]
    assert near_duplicate_groups([], CurateConfig()) == []
