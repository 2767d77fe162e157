"""Captioners (metadata and a real, tiny, local vision-language model) and the config."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clearreel.curate.captions import (
    CAPTIONERS,
    CaptionInput,
    caption,
    colour_name,
    dominant_colours,
    save_tiny_vlm,
)
from clearreel.curate.config import CurateConfig, Thresholds
from clearreel.errors import UsageError


def test_colour_names() -> None:
    named = [
        colour_name(c)
        for c in [
            (200, 30, 30),
            (30, 160, 40),
            (30, 60, 210),
            (110, 70, 25),
            (250, 250, 250),
            (5, 5, 5),
            (128, 128, 128),
            (230, 120, 20),
        ]
    ]
    assert named == ["red", "green", "blue", "brown", "white", "black", "grey", "orange"]
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :30] = (30, 60, 210)
    img[:, 30:] = (230, 120, 20)
    assert dominant_colours(img) == [("blue", 0.75), ("orange", 0.25)]


def test_metadata_caption_says_what_the_studio_knows() -> None:
    frames = np.zeros((5, 18, 32, 3), np.uint8)
    frames[:] = (30, 60, 210)
    inp = CaptionInput(
        frames,
        title="Harbor Lights",
        characters=["Mara", "Jonah"],
        dialogue=[("MARA", "Where were you?"), (None, "(thunder)")],
        notes=["Night, on the pier"],
        scores={"motion": 0.1},
        shot_scale="medium shot",
    )
    text = caption("metadata", inp, CurateConfig())
    assert text == (
        "Mara and Jonah in a medium shot from Harbor Lights, moderate motion, mostly "
        "blue. Night, on the pier. Dialogue: Mara: \u201cWhere were you?\u201d "
        "\u201c(thunder)\u201d"
    )
    assert caption("metadata", CaptionInput(frames), CurateConfig()) == "A shot, mostly blue."


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_vlm(tmp_path_factory.mktemp("vlm") / "tiny-blip")


def test_vlm_captioner_loads_locally_and_generates_words(tiny_vlm: Path) -> None:
    assert (tiny_vlm / "config.json").is_file()
    cfg = CurateConfig(captioner="vlm", caption_model=str(tiny_vlm)).validate()
    frames = (np.random.default_rng(0).random((3, 36, 64, 3)) * 255).astype(np.uint8)
    text = caption("vlm", CaptionInput(frames, characters=["Mara"]), cfg)
    assert text.startswith("Mara: ")
    words = text.removeprefix("Mara: ").split()
    assert len(words) >= 3 and all(w.isalpha() for w in words)
    # Deterministic: greedy decoding of the same frame gives the same words.
    assert caption("vlm", CaptionInput(frames, characters=["Mara"]), cfg) == text


def test_vlm_needs_a_local_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="caption_model"):
        CurateConfig(captioner="vlm").validate()
    cfg = CurateConfig(captioner="vlm", caption_model=str(tmp_path / "absent"))
    with pytest.raises(UsageError, match="not a directory"):
        caption("vlm", CaptionInput(np.zeros((1, 8, 8, 3), np.uint8)), cfg)
    assert set(CAPTIONERS) == {"metadata", "vlm"}


def test_config_round_trips_and_rejects_unknown_keys() -> None:
    cfg = CurateConfig(
        detector="pyscenedetect", clip_max_s=6.0, thresholds=Thresholds(min_motion=0.02)
    )
    data = json.loads(json.dumps(cfg.to_dict()))
    assert CurateConfig.from_dict(data) == cfg
    assert CurateConfig.from_dict({}) == CurateConfig()
    with pytest.raises(UsageError, match="unknown key"):
        CurateConfig.from_dict({**data, "shot_detector": "x"})
    with pytest.raises(UsageError, match=r"thresholds.*unknown key"):
        CurateConfig.from_dict({"thresholds": {"min_motoin": 1}})
    with pytest.raises(UsageError, match="expected an integer"):
        CurateConfig.from_dict({"analysis_width": "160"})
    with pytest.raises(UsageError, match="expected true/false"):
        CurateConfig.from_dict({"trim_black": 1})
    assert CurateConfig.from_dict({"clip_min_s": 3}).clip_min_s == 3.0


def test_config_validation() -> None:
    assert CurateConfig().validate().detector == "transnetv2-cascade"
    for bad in (
        {"detector": "nope"},
        {"captioner": "nope"},
        {"clip_min_s": 5, "clip_max_s": 2},
        {"analysis_width": 15},
        {"train_width": 833},
    ):
        with pytest.raises(UsageError):
            CurateConfig(**bad).validate()  # type: ignore[arg-type]
