"""The tiny base learns something visible (slow: minutes of CPU)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import NAMES, make_clips, new_workspace


@pytest.mark.slow
def test_tiny_learns_each_characters_colours(tmp_path: Path) -> None:
    from clearreel.demo_metric import character_resemblance
    from clearreel.train import TINY_DEMO_CONFIG, train_on_clips

    s = new_workspace(tmp_path / "home")
    clips = make_clips(tmp_path / "clips", per_character=2, frames=40)
    cfg = {**TINY_DEMO_CONFIG, "steps": 300}
    rec = train_on_clips(
        s, clips, base="tiny", name="m", config=cfg, character_names=NAMES, show_progress=False
    )
    assert rec is not None
    assert rec.metrics["final_loss"] < 0.5 * rec.metrics["first_loss"]
    report = character_resemblance(s, "m", clips, NAMES)
    assert report["recognised"] == report["total"] == 3, report
    for row in report["characters"]:
        assert row["mean_colour_distance_own"] < 0.5 * row["mean_colour_distance_other"]


@pytest.mark.slow
def test_demo_training_on_the_sample_studio(tmp_path: Path, workspace) -> None:  # type: ignore[no-untyped-def]
    """The demo's path: sample studio, curation, `train_and_evaluate`, within 5 minutes."""
    from clearreel.curate import curate
    from clearreel.demo_metric import train_and_evaluate
    from clearreel.rights.catalog import import_catalog
    from clearreel.sample import make_sample_studio

    import_catalog(workspace, make_sample_studio(tmp_path / "studio"))
    curate(workspace, "ds")
    t = time.perf_counter()
    report = train_and_evaluate(workspace, "ds", name="studio-tiny", show_progress=False)
    assert time.perf_counter() - t < 300
    assert report["model"]["name"] == "studio-tiny"
    assert report["resemblance"]["total"] >= 1
    assert report["resemblance"]["recognised"] == report["resemblance"]["total"], report
