"""Shot lists as scenes: CMX 3600 EDL and OTIO through OpenTimelineIO's own adapters,
PySceneDetect CSV as scenedetect's own writer makes it; one timecode form everywhere."""

from __future__ import annotations

import dataclasses
import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from clearreel.errors import CatalogError, UsageError
from clearreel.rights.shotlists import Shot, import_scenes, read_shots, write_shots
from rights.conftest import base, find

EDL = """TITLE: ONE
FCM: NON-DROP FRAME

001  AX       V     C        01:00:04:00 01:00:11:12 01:00:04:00 01:00:11:12
* FROM CLIP NAME:  one.mov
* PERFORMERS: p-ava
* CHARACTERS: c-mara
002  AX       V     C        01:00:20:00 01:00:25:00 01:00:11:12 01:00:16:12
* FROM CLIP NAME:  one.mov
* PERFORMERS: -
003  AX       V     C        01:00:30:00 01:00:31:00 01:00:16:12 01:00:17:12
* FROM CLIP NAME:  one.mov
"""


@pytest.fixture
def reg(registry):  # type: ignore[no-untyped-def]
    doc = base()
    find(doc, "works", "w-one")["fps"] = 24
    r = registry(doc)
    r.settings = dataclasses.replace(r.settings, org=r.org)
    return r


def _scenes(reg: Any, work: str = "w-one") -> list[tuple[str, str, list[str], list[str]]]:
    from clearreel.rights.catalog import show_entry

    with reg.session() as s:
        doc = show_entry(s, work)
    return [(sc["start"], sc["end"], sc.get("performers", []), sc.get("characters", []))
            for sc in doc.get("scenes", [])]


def test_an_edl_becomes_scenes_with_its_cast(reg: Any, tmp_path: Path) -> None:
    path = tmp_path / "one.edl"
    path.write_text(EDL)
    r = import_scenes(reg.settings, "w-one", path, offset="01:00:00:00")
    assert r["scenes"] == 2 and [s["where"] for s in r["skipped"]] == ["event 3"]
    assert _scenes(reg) == [
        ("00:00:04.000", "00:00:11.500", ["p-ava"], ["c-mara"]),
        ("00:00:20.000", "00:00:25.000", [], []),
    ]
    again = import_scenes(reg.settings, "w-one", path, offset="01:00:00:00")
    assert again["changes"] == []  # idempotent: merged by (start, end)


def test_shots_that_state_no_cast_need_one(reg: Any, tmp_path: Path) -> None:
    path = tmp_path / "one.edl"
    path.write_text(EDL)
    import_scenes(reg.settings, "w-one", path, offset="01:00:00:00", performers=["p-ben"])
    assert ("00:00:30.000", "00:00:31.000", ["p-ben"], []) in _scenes(reg)
    with pytest.raises(UsageError, match="--nobody"):
        import_scenes(reg.settings, "w-one", path, nobody=True, performers=["p-ben"])


def test_a_bad_edl_is_refused_whole_and_nothing_is_written(reg: Any, tmp_path: Path) -> None:
    path = tmp_path / "one.edl"
    path.write_text(EDL.replace("01:00:04:00 01:00:11:12 01:00", "00:00:04:00 00:00:11:12 01:00")
                    .replace("PERFORMERS: -", "PERFORMERS: p-avaa"))
    before = _scenes(reg)
    with pytest.raises(CatalogError) as e:
        import_scenes(reg.settings, "w-one", path, offset="01:00:00:00")
    text = "\n".join(e.value.problems)
    assert f"{path}:event 2: unknown performer 'p-avaa': did you mean 'p-ava'?" in text
    assert f"{path}:event 1: starts before the media does" in text and "--offset" in text
    assert _scenes(reg) == before


def test_otio_round_trip_through_opentimelineio(reg: Any, tmp_path: Path) -> None:
    otio = pytest.importorskip("opentimelineio")
    fps = Fraction(24000, 1001)
    shots = [Shot(100, 180, "a", ["p-ava"], ["c-mara"], name="s1"),
             Shot(240, 300, "b", [], [], name="s2")]
    for suffix in (".otio", ".edl"):
        path = tmp_path / f"shots{suffix}"
        write_shots(shots, path, fps)
        # OpenTimelineIO's own reader sees the shots at their source frames.
        tl = otio.adapters.read_from_file(str(path), rate=float(fps)) if suffix == ".edl" else \
            otio.adapters.read_from_file(str(path))
        clips = [c for c in tl.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
        got = [(round(c.source_range.start_time.to_frames()),
                round(c.source_range.end_time_exclusive().to_frames())) for c in clips]
        assert got == [(100, 180), (240, 300)]
        back = read_shots(path, fps)
        assert [(s.start, s.end, s.performers, s.characters) for s in back] == [
            (100, 180, ["p-ava"], ["c-mara"]), (240, 300, [], [])]


def test_a_scenedetect_csv_becomes_scenes(reg: Any, tmp_path: Path) -> None:
    from scenedetect import FrameTimecode
    from scenedetect.output import write_scene_list

    fps = Fraction(24)
    scenes = [(FrameTimecode(0, fps=fps), FrameTimecode(36, fps=fps)),
              (FrameTimecode(36, fps=fps), FrameTimecode(120, fps=fps))]
    for cut_list in (True, False):  # with and without scenedetect's cut-list first row
        path = tmp_path / f"scenes-{cut_list}.csv"
        with open(path, "w", newline="") as f:
            write_scene_list(f, scenes, include_cut_list=cut_list)
        assert [(s.start, s.end) for s in read_shots(path, fps)] == [(0, 36), (36, 120)]
    r = import_scenes(reg.settings, "w-one", tmp_path / "scenes-True.csv",
                      performers=["p-ava"])
    assert r["scenes"] == 2
    assert _scenes(reg)[:2] == [("00:00:00.000", "00:00:01.500", ["p-ava"], []),
                                ("00:00:01.500", "00:00:05.000", ["p-ava"], [])]


def test_our_csv_is_scenedetects_with_two_more_columns(tmp_path: Path) -> None:
    import csv

    from scenedetect import FrameTimecode
    from scenedetect.output import write_scene_list

    fps = Fraction(25)
    shots = [Shot(0, 50, "a", ["p-ava"], []), Shot(60, 61, "b", [], ["c-mara"])]
    path = tmp_path / "ours.csv"
    write_shots(shots, path, fps)
    ref = io.StringIO()
    write_scene_list(ref, [(FrameTimecode(s.start, fps=fps), FrameTimecode(s.end, fps=fps))
                           for s in shots], include_cut_list=False)
    ours = list(csv.reader(path.open()))
    theirs = list(csv.reader(io.StringIO(ref.getvalue())))
    assert [r[:-2] for r in ours] == theirs
    assert ours[0][-2:] == ["Performers", "Characters"] and ours[2][-2:] == ["-", "c-mara"]


def test_the_rate_comes_from_the_work_or_is_asked_for(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = registry(base())  # w-one has no fps and no probed media
    settings = dataclasses.replace(r.settings, org=r.org)
    path = tmp_path / "one.edl"
    path.write_text(EDL)
    with pytest.raises(UsageError, match="--fps"):
        import_scenes(settings, "w-one", path)
    res = import_scenes(settings, "w-one", path, fps="25", offset="01:00:00:00")
    assert res["fps"] == "25"
    with pytest.raises(UsageError, match="did you mean 'w-one'"):
        import_scenes(settings, "w-onr", path)


def test_catalog_scenes_take_smpte_at_the_works_rate(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from clearreel.rights.catalog import load_catalog
    from rights.conftest import write

    doc = base()
    w = find(doc, "works", "w-two")
    w["fps"] = "24000/1001"
    w["scenes"] = [{"start": "00:00:01:00", "end": "00:00:02.500", "performers": ["p-ava"]}]
    cat = load_catalog(write(tmp_path / "ok.yaml", doc))
    scene = next(x for x in cat.works if x.id == "w-two").scenes[0]
    assert scene.start == pytest.approx(1.001) and scene.end == 2.5
    del w["fps"]
    with pytest.raises(CatalogError) as e:
        load_catalog(write(tmp_path / "bad.yaml", doc))
    assert any("scenes[0].start" in p and "frame rate" in p for p in e.value.problems)


def test_eidr_ids_on_works_are_checked(tmp_path: Path) -> None:
    from clearreel.rights.catalog import load_catalog
    from rights.conftest import write

    doc = base()
    find(doc, "works", "w-one")["eidr"] = "urn:eidr:10.5240:7ec7-228a-510a-053e-cbb8-j"
    cat = load_catalog(write(tmp_path / "ok.yaml", doc))
    assert cat.works[0].eidr == "10.5240/7EC7-228A-510A-053E-CBB8-J"
    find(doc, "works", "w-one")["eidr"] = "10.5240/7EC7-228A-510A-053E-CBB8-K"
    find(doc, "works", "w-two")["eidr"] = "10.5240/1F2A-E1C5-680A-14C6-E76B-I"
    with pytest.raises(CatalogError, match="wrong EIDR check character 'K'"):
        load_catalog(write(tmp_path / "bad.yaml", doc))
    find(doc, "works", "w-one")["eidr"] = "10.5240/1F2A-E1C5-680A-14C6-E76B-I"
    with pytest.raises(CatalogError, match="one id names one work"):
        load_catalog(write(tmp_path / "dup.yaml", doc))


def test_cli_scenes_import(reg: Any, tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    monkeypatch.setenv("CLEARREEL_HOME", str(reg.settings.home))
    path = tmp_path / "one.edl"
    path.write_text(EDL)
    code, out, err = cli("--org", reg.org, "catalog", "scenes", "import", "w-one", str(path),
                         "--offset", "01:00:00:00", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["scenes"] == 2 and "event 3" in err
    code, _, err = cli("--org", reg.org, "catalog", "scenes", "import", "w-one",
                       str(tmp_path / "x.txt"))
    assert code == 2 and "--format" in err
