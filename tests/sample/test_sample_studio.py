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
    from clearreel.rights.names import label_candidates

    truth = load_truth(studio)
    names = {c["name"].upper() for c in truth["characters"].values()}
    labelled = 0
    for work in truth["works"].values():
        if not work.get("subtitles"):
            continue
        for cue in read_subtitles(studio / work["subtitles"]):
            for line in cue.lines:
                for name in label_candidates(line).names:
                    labelled += 1
                    assert name.upper() in names
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


def _plan(studio: Path, work: str):  # type: ignore[no-untyped-def]
    from clearreel.sample._studio import plan_film, scenarios

    truth = load_truth(studio)
    i, sc = next((i, sc) for i, sc in enumerate(scenarios(SMALL["films"])) if sc.work == work)
    return plan_film(sc, i, seed=truth["seed"], width=truth["width"], height=truth["height"],
                     fps=truth["fps"], seconds=SMALL["seconds"])


def test_decoded_frames_are_the_rendered_ones(studio: Path) -> None:
    """The video holds what the plan says: every frame close to the pure renderer's."""
    from clearreel.sample._render import render_frame

    film = _plan(studio, "w-harbor")
    frames = _frames(studio / "media" / "harbor.mp4").astype(np.float32)
    assert len(frames) == film.frames == load_truth(studio)["works"]["w-harbor"]["frames"]
    errors = [np.abs(frames[t] - render_frame(film, t)).mean() for t in range(film.frames)]
    assert max(errors) < 6.0, max(errors)


def test_dissolve_is_a_blend_of_its_two_shots(studio: Path) -> None:
    from clearreel.sample._render import dissolve_alpha, render_shot_frame

    film = _plan(studio, "w-harbor")
    frames = _frames(studio / "media" / "harbor.mp4").astype(np.float32)
    d = film.dissolves[0]
    assert d.last - d.first + 1 == 12
    for t in range(d.first, d.last + 1):
        alpha = dissolve_alpha(film, t)
        assert alpha is not None and 0 < alpha < 1
        a = render_shot_frame(film, d.shot_a, t).astype(np.float32)
        b = render_shot_frame(film, d.shot_b, t).astype(np.float32)
        blend_err = np.abs(frames[t] - ((1 - alpha) * a + alpha * b)).mean()
        assert blend_err < 0.5 * min(np.abs(frames[t] - a).mean(), np.abs(frames[t] - b).mean())


def test_black_text_and_repeated_shots(studio: Path) -> None:
    truth = load_truth(studio)
    for work in truth["works"].values():
        frames = _frames(studio / work["media"]).astype(np.float32)
        for a, b in work["black_frames"]:
            assert b - a + 1 >= 16 and frames[a : b + 1].max() <= 8
        for a, b in work["text_frames"]:  # light text on a card: pixels far above its median
            card = frames[a : b + 1].mean(axis=-1)
            assert (card > np.median(card) + 60).mean() > 0.002
        shots = {s["index"]: s for s in work["shots"]}
        [(orig, rep)] = work["near_duplicates"]
        o, r = shots[orig], shots[rep]
        dup = np.abs(frames[o["start_frame"] + 3] - frames[r["start_frame"] + 3]).mean()
        others = [np.abs(frames[o["start_frame"] + 3] - frames[s["start_frame"] + 3]).mean()
                  for s in shots.values() if s["kind"] == "scene" and s["index"] not in (orig, rep)]
        assert dup < min(others) / 3, (dup, others)


def test_shots_and_generation_meet_expectations(studio: Path, workspace) -> None:
    """Per-shot `cleared` and the generation expectations hold in the real engine."""
    import datetime as dt

    from clearreel.db import open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.clearance import check_generation, check_use
    from clearreel.sample import REFERENCE_DATE

    import_catalog(workspace, studio / "catalog.yaml")
    truth = load_truth(studio)
    with open_session(workspace) as s:
        harbor = truth["works"]["w-harbor"]
        assert harbor["presence"] == "scenes"
        seen = set()
        for shot in harbor["shots"]:
            d = check_use(s, "w-harbor", "ai_generative_training", on=REFERENCE_DATE,
                          territory="US", performers=shot["performers"], audit=False)
            assert d.allowed == shot["cleared"], shot
            seen.add(d.allowed)
        assert seen == {True, False}  # some shots cleared, some excluded
        for e in truth["expectations"]["generation"]:
            d = check_generation(s, performers=e["performers"], characters=e["characters"],
                                 purpose=e["purpose"], on=dt.date.fromisoformat(e["on"]),
                                 territory=e["territory"], audit=False)
            assert d.allowed == e["allowed"], (e, [r.code for r in d.reasons])


def test_demo_reports_the_expected_clearance(tmp_path: Path) -> None:
    """The demo's first stages (init, sample studio, import, report) on a small studio."""
    from rich.console import Console

    from clearreel.demo import run_demo

    summary = run_demo(tmp_path / "demo", films=3, quick=True, console=Console(quiet=True),
                       until="clearance report")
    truth = load_truth(tmp_path / "demo" / "studio")
    report = summary["clearance report"]
    checked = 0
    for e in truth["expectations"]["clearance"]:
        if e["territory"] == "US" and e["performers"] is None and e["on"] == "2026-11-22":
            assert report[e["work"]][e["use"]]["allowed"] == e["allowed"], e
            checked += 1
    assert checked >= 12
    assert {w for w, uses in report.items() if all(u["allowed"] for u in uses.values())}
    assert not report["w-tides"]["ai_generative_training"]["allowed"]
    assert not report["w-northwind"]["ai_training"]["allowed"]


def test_a_partial_shot_list_counts_the_credited_cast_where_it_stops(tmp_path: Path,
                                                                      workspace) -> None:
    """The studio shorts' shot list stops halfway: the presence rule places only who the list
    names in the covered half, and every credited performer in the time it does not cover."""
    from clearreel.db import open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.presence import present, work_facts

    d = tmp_path / "studio"
    make_sample_studio(d, seed=3, **{**SMALL, "films": 4})
    import_catalog(workspace, d / "catalog.yaml", scan=False)
    short = load_truth(d)["works"]["w-short-04"]
    assert short["presence"] == "partial_scenes"
    until, fps = short["shot_list_covers_until_frame"], short["fps"]
    with open_session(workspace) as s:
        facts = work_facts(s, "w-short-04", references=False)
    checked = {True: 0, False: 0}
    for shot in short["shots"]:
        if shot["kind"] != "scene":
            continue
        # The middle of the shot, away from dissolves.
        mid = (shot["start_frame"] + shot["end_frame"]) / 2 / fps
        got = set(present(facts, None, mid, mid + 0.05).performers)
        covered = shot["end_frame"] < until
        if covered:
            assert got == set(shot["performers"]), shot
        else:
            assert got == {"p-ava", "p-ben"}, shot
        checked[covered] += 1
    assert checked[True] and checked[False]
    assert all(sh["cleared"] for sh in short["shots"])  # both credited performers consented


def test_the_vfr_short_places_its_scenes_by_presentation_time(tmp_path: Path,
                                                              workspace) -> None:
    """The second studio short (`clearreel demo` renders it) is variable frame rate: its frames
    have irregular presentation times, recorded in truth.json, and its catalog and subtitles
    are in seconds. Applied by each frame's PTS, the presence rule gives truth's performers for
    every scene shot; the frame index over the average rate would place people wrongly."""
    from clearreel.db import open_session
    from clearreel.media._decode import decode
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.presence import present, span_of_frames, work_facts

    d = tmp_path / "studio"
    make_sample_studio(d, seed=3, **{**SMALL, "films": 5})
    truth = load_truth(d)
    assert not any(w.get("vfr") for k, w in truth["works"].items() if k != "w-short-05")
    short = truth["works"]["w-short-05"]
    assert short["vfr"] and len(short["frame_times_s"]) == short["frames"]
    dec = decode(d / short["media"], 32, 18)
    assert dec.count == short["frames"]
    assert np.allclose(dec.times, short["frame_times_s"], atol=1.5e-3)
    deltas = np.round(np.diff(dec.times), 3)
    assert len(set(deltas.tolist())) >= 3 and deltas.max() > 2 * deltas.min()  # really VFR

    import_catalog(workspace, d / "catalog.yaml", scan=False)
    with open_session(workspace) as s:
        facts = work_facts(s, "w-short-05", references=False)
    until, times = short["shot_list_covers_until_frame"], list(dec.times)
    in_dissolve = {t for a, b in short["dissolves"] for t in range(a, b + 1)}
    avg = short["frames"] / short["end_s"]
    checked, misplaced = 0, 0
    for shot in short["shots"]:
        if shot["kind"] != "scene":
            continue
        expected = set(shot["performers"]) if shot["end_frame"] < until else {"p-ava", "p-ben"}
        for t in range(shot["start_frame"], shot["end_frame"] + 1):
            if t in in_dissolve:
                continue
            a, b = span_of_frames(times, t, t, short["end_s"])
            assert set(present(facts, None, a, b).performers) == expected, (shot["index"], t)
            checked += 1
            by_index = set(present(facts, None, t / avg, (t + 1) / avg).performers)
            misplaced += by_index != expected
    assert checked > 50 and misplaced > 0, (checked, misplaced)


def test_curation_places_the_vfr_shorts_performers_on_the_right_frames(tmp_path: Path,
                                                                        workspace) -> None:
    """Curating the VFR short: every clip's times are its frames' presentation times (truth's
    `frame_times_s`), and a clip inside a shot the shot list covers has exactly the performers
    truth puts in that shot (by index over the average rate, some would be a neighbour's)."""
    from clearreel.curate import curate
    from clearreel.curate.config import CurateConfig
    from clearreel.dataset import load
    from clearreel.rights.catalog import import_catalog
    from clearreel.sample import REFERENCE_DATE

    d = tmp_path / "studio"
    make_sample_studio(d, seed=3, **{**SMALL, "films": 5})
    import_catalog(workspace, d / "catalog.yaml", scan=False)
    config = CurateConfig(detector="pyscenedetect", clip_min_s=0.5, clip_max_s=1.0,
                          train_width=48, train_height=28, train_fps=6.0,
                          face_recognition=False)
    curate(workspace, "vfr", on=REFERENCE_DATE, config=config, progress=False, workers=1,
           works=["w-short-05"])
    short = load_truth(d)["works"]["w-short-05"]
    times, until = short["frame_times_s"] + [short["end_s"]], short["shot_list_covers_until_frame"]
    blended = {t for a, b in short["dissolves"] for t in range(a - 1, b + 2)}
    clips = load(workspace, "vfr").clips
    assert clips
    exact = 0
    for c in clips:
        assert c.work == "w-short-05"
        assert abs(c.start_s - times[c.start_frame]) < 2e-3, c.id
        assert abs(c.end_s - times[c.end_frame + 1]) < 2e-3, c.id
        shots = [sh for sh in short["shots"]
                 if sh["start_frame"] <= c.end_frame and c.start_frame <= sh["end_frame"]]
        frames = set(range(c.start_frame, c.end_frame + 1))
        if len(shots) == 1 and shots[0]["end_frame"] < until and not frames & blended:
            assert set(c.performers) == set(shots[0]["performers"]), c.id
            exact += 1
    assert exact, "no clip inside a covered shot"
