"""`dataset shots export`: a dataset's clips as an EDL, OTIO or CSV shot list, read back."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.dataset.manifest import read_manifest
from clearreel.dataset.shots import export_shots
from clearreel.rights.shotlists import read_shots
from dataset.test_dataset_files import _build


@pytest.fixture
def built(workspace: Settings) -> tuple[Settings, Path]:
    return workspace, _build(workspace)


@pytest.mark.parametrize("suffix", [".edl", ".otio", ".csv"])
def test_shots_round_trip(built: tuple[Settings, Path], tmp_path: Path, suffix: str) -> None:
    settings, root = built
    out = tmp_path / f"tiny{suffix}"
    r = export_shots(settings, "tiny", out)
    clips = read_manifest(root)["clips"]
    assert r["shots"] == len(clips) and r["work"] == "w-a"
    back = read_shots(out, Fraction(24))
    assert [(s.start, s.end - 1, s.performers, s.characters) for s in back] == [
        (c["start_frame"], c["end_frame"], c["performers"], c["characters"]) for c in clips]


def test_shots_cli(built: tuple[Settings, Path], tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("dataset", "shots", "export", "tiny", "-o", str(tmp_path / "t.otio"),
                       "--json")
    assert code == 0 and json.loads(out)["shots"] == 5
    code, _, err = cli("dataset", "shots", "export", "tiny", "-o", str(tmp_path / "t.edl"),
                       "--work", "w-b")
    assert code == 2 and "w-a (media 0)" in err
