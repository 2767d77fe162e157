"""The sample studio: deterministic, its truth matches its video, its catalog is valid."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from clearreel.sample import load_truth, make_sample_studio

SMALL = {"films": 2, "width": 96, "height": 54, "fps": 12, "seconds": 15.0, "bbb": False}


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("studio")
    make_sample_studio(d, seed=3, **SMALL)
    return d


def _frames(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def _digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in [d / "catalog.yaml", d / "truth.json", *sorted((d / "media").glob("*.srt"))]}


def test_same_seed_same_studio(studio: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    make_sample_studio(again, seed=3, **SMALL)
    assert _digest(again) == _digest(studio)
    first = sorted((studio / "media").glob("*.mp4"))[0]
    assert np.array_equal(_frames(first), _frames(again / "media" / first.name))


def test_another_seed_another_studio(studio: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    make_sample_studio(other, seed=4, **SMALL)
    assert _digest(other)["truth.json"] != _digest(studio)["truth.json"]


def test_truth_matches_the_video(studio: Path) -> None:
    truth = load_truth(studio)
    for work in truth["works"].values():
        frames = _frames(studio / work["media"]).astype(np.float32)
        assert len(frames) == work["frames"]
        diff = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))  # diff[i]: frame i -> i+1
        dissolving = {i for a, b in work["dissolves"] for i in range(a - 1, b + 1)}
        cut_steps = {c - 1 for c in work["cuts"]}
        steady = [d for i, d in enumerate(diff) if i not in cut_steps and i not in dissolving]
        # Every hard cut is a jump far above the motion inside shots.
        assert min(diff[c - 1] for c in work["cuts"]) > 3 * float(np.median(steady))
        # Shots tile the film in order, and boundaries are the cuts plus the dissolves.
        shots = work["shots"]
        assert shots[0]["start_frame"] == 0 and shots[-1]["end_frame"] == work["frames"] - 1
        for a, b in itertools.pairwise(shots):
            assert b["start_frame"] > a["end_frame"]


def test_dissolve_frames_are_blends(studio: Path) -> None:
    truth = load_truth(studio)
    work = next(w for w in truth["works"].values() if w["dissolves"])
    frames = _frames(studio / work["media"]).astype(np.float32)
    a, b = work["dissolves"][0]
    before, after, mid = frames[a - 1], frames[b + 1], frames[(a + b) // 2]
    # The middle of a cross-fade is nearer the average of its ends than either end is.
    blend = (before + after) / 2
    assert np.abs(mid - blend).mean() < min(np.abs(mid - before).mean(), np.abs(mid - after).mean())


def test_subtitles_name_characters_on_screen(studio: Path) -> None:
    from clearreel.media import read_subtitles

    truth = load_truth(studio)
    names = {c["name"].upper() for c in truth["characters"].values()}
    labelled = 0
    for work in truth["works"].values():
        if not work.get("subtitles"):
            continue
        for cue in read_subtitles(studio / work["subtitles"]):
            if cue.speaker:
                labelled += 1
                assert cue.speaker.upper() in names
    assert labelled > 0


def test_catalog_is_valid_and_clearance_meets_expectations(studio: Path, workspace, cli) -> None:
    """The catalog imports, and the engine reaches every decision truth.json expects."""
    import datetime as dt

    from clearreel.db import open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.clearance import check_use

    import_catalog(workspace, studio / "catalog.yaml")
    truth = load_truth(studio)
    with open_session(workspace) as s:
        for e in truth["expectations"]["clearance"]:
            d = check_use(s, e["work"], e["use"], on=dt.date.fromisoformat(e["on"]),
                          territory=e["territory"], performers=e["performers"], audit=False)
            assert d.allowed == e["allowed"], (e, [r.code for r in d.reasons])


def test_cli_writes_a_studio(tmp_path: Path, cli) -> None:
    code, out, _ = cli("sample-studio", str(tmp_path / "s"), "--films", "1", "--width", "64",
                       "--height", "36", "--fps", "8", "--seconds", "15", "--no-bbb", "--json")
    assert code == 0
    doc = json.loads(out)
    assert Path(doc["catalog"]).exists() and doc["works"] and doc["frames"] == 8 * 15


def test_bad_size_is_refused(tmp_path: Path, cli) -> None:
    code, _, err = cli("sample-studio", str(tmp_path / "s"), "--width", "95")
    assert code == 2 and "even" in err
