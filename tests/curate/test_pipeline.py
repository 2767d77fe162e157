"""`clearreel curate` end to end on a tiny sample studio (160x90, 2 films of 15 s).

PySceneDetect is the shot detector here only to keep the suite fast on 2 CPU cores; the
pipeline does not depend on the detector (C1's contract tests run both on truth.json).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearreel.config import Settings
from clearreel.curate import curate
from clearreel.curate.config import CurateConfig
from clearreel.dataset import load, verify
from clearreel.sample import REFERENCE_DATE, load_truth, make_sample_studio

CONFIG = CurateConfig(
    detector="pyscenedetect",
    clip_min_s=0.5,
    clip_max_s=1.0,
    train_width=64,
    train_height=36,
    train_fps=8.0,
    face_recognition=False,
)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("studio")
    make_sample_studio(d, films=2, width=160, height=90, seconds=15, bbb=False)
    return d


def new_workspace(home: Path) -> Settings:
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys

    s = Settings(home=home)
    init_db(s)
    ensure_studio_keys(s)
    return s


def import_catalog(settings: Settings, catalog: Path) -> None:
    from clearreel.rights.catalog import import_catalog as imp

    imp(settings, catalog)


def edited_catalog(studio: Path, out: Path, edit: Any) -> Path:
    """A copy of the studio's catalog, changed by `edit(doc)`, next to the studio's media."""
    doc = yaml.safe_load((studio / "catalog.yaml").read_text())
    edit(doc)
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


@pytest.fixture
def ws(studio: Path, workspace: Settings) -> Settings:
    import_catalog(workspace, studio / "catalog.yaml")
    return workspace


@pytest.fixture
def ws_any(studio: Path, any_db: Settings) -> Settings:
    """The same, on SQLite and on PostgreSQL."""
    import_catalog(any_db, studio / "catalog.yaml")
    return any_db


def run(settings: Settings, name: str = "d1", **kw: Any) -> dict[str, Any]:
    kw.setdefault("workers", 1)
    return curate(settings, name, on=REFERENCE_DATE, config=CONFIG, progress=False, **kw)


def test_no_uncleared_frame_and_every_exclusion_has_a_reason(
    ws_any: Settings, studio: Path
) -> None:
    ws = ws_any
    from clearreel.db import open_session
    from clearreel.rights.clearance import check_use

    summary = run(ws)
    truth = load_truth(studio)
    ds = load(ws, "d1")
    assert summary["clips"] == len(ds.clips) > 0
    assert summary["quarantined"] == []
    with open_session(ws) as s:
        for c in ds.clips:
            shots = [
                sh
                for sh in truth["works"][c.work]["shots"]
                if sh["start_frame"] <= c.end_frame and c.start_frame <= sh["end_frame"]
            ]
            # Every frame of the clip comes from a shot the ground truth calls cleared...
            assert shots and all(sh["cleared"] for sh in shots), c.id
            # ...and everyone on screen in it was counted present and has consented.
            present = {p for sh in shots for p in sh["performers"]}
            assert present <= set(c.performers), c.id
            d = check_use(
                s,
                c.work,
                "ai_generative_training",
                on=REFERENCE_DATE,
                performers=c.performers,
                audit=False,
            )
            assert d.allowed and set(c.licenses) == set(d.licenses) and c.licenses
            assert set(c.consents) == set(d.consents)
            assert c.path.exists() and c.frames > 0
    manifest = ds.manifest
    assert manifest["excluded"] and all(e["reasons"] for e in manifest["excluded"])
    codes = {r["code"] for e in manifest["excluded"] for r in e["reasons"]}
    # The sample studio's traps: a revoked consent, a co-owner's notAllowed, title cards,
    # black frames and a repeated shot.
    assert {"consent.revoked", "license.forbids", "all_black", "near_duplicate"} <= codes
    dup = next(
        r for e in manifest["excluded"] for r in e["reasons"] if r["code"] == "near_duplicate"
    )
    assert dup["detail"] == f"near_duplicate_of {dup['of']}"
    # No clip of w-tides (its co-owner forbids generative training).
    assert all(c.work == "w-harbor" for c in ds.clips)
    assert verify(ws, "d1", on=REFERENCE_DATE)["ok"]


def test_verify_catches_a_consent_revoked_after_curation(
    ws_any: Settings, studio: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    ws = ws_any
    run(ws)
    ds = load(ws, "d1")
    with_ava = [c.id for c in ds.clips if "p-ava" in c.performers]
    assert with_ava and all("k-ava-training" in c.consents for c in ds.clips if c.id in with_ava)

    def revoke(doc: dict[str, Any]) -> None:
        for k in doc["consents"]:
            if k["id"] == "k-ava-training":
                k["status"], k["revoked"] = "revoked", REFERENCE_DATE.isoformat()

    import_catalog(ws, edited_catalog(studio, studio / "catalog-revoked.yaml", revoke))
    r = verify(ws, "d1", on=REFERENCE_DATE)
    assert not r["ok"]
    flagged = {p["clip"] for p in r["problems"] if p["code"] == "not_cleared"}
    assert flagged == set(with_ava)
    assert {p["code"] for p in r["problems"]} == {"not_cleared"}  # files and signature are intact
    assert any(x.get("consent") == "k-ava-training" for p in r["problems"] for x in p["reasons"])
    code, out, _ = cli("dataset", "verify", "d1", "--on", REFERENCE_DATE.isoformat(), "--json")
    assert code == 1 and json.loads(out)["ok"] is False
    # The day before the revocation the same dataset was cleared.
    assert verify(ws, "d1", on=REFERENCE_DATE - dt.timedelta(days=1))["ok"]
    # Verification results are audited.
    from clearreel.db import open_session
    from clearreel.rights.audit import entries

    with open_session(ws) as s:
        assert [e.payload["ok"] for e in entries(s, "dataset.verify")][:3] == [True, False, False]
        assert len(entries(s, "dataset.create")) == 1


def test_quarantine_of_corrupt_files_while_the_batch_goes_on(
    workspace: Settings, studio: Path
) -> None:
    media = studio / "media"
    data = (media / "harbor.mp4").read_bytes()
    (media / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (media / "garbage.mp4").write_bytes(b"\x00not a video" * 500)

    def add_broken(doc: dict[str, Any]) -> None:
        for w in doc["works"]:
            if w["id"] == "w-harbor":
                w["media"] = [*w["media"], "media/truncated.mp4", "media/garbage.mp4"]

    import_catalog(workspace, edited_catalog(studio, studio / "catalog-broken.yaml", add_broken))
    summary = run(workspace, workers=2)
    quarantined = {Path(q["media"]).name: q["reason"] for q in summary["quarantined"]}
    assert set(quarantined) == {"truncated.mp4", "garbage.mp4"}
    assert all(quarantined.values())
    assert summary["clips"] > 0 and summary["media"] == 4
    assert all(Path(c.media).name == "harbor.mp4" for c in load(workspace, "d1").clips)
    from clearreel.dataset import show

    assert {Path(q["media"]).name for q in show(workspace, "d1")["quarantined"]} == set(quarantined)


class Interrupt(Exception):
    pass


def _stop_after(event: str, n: int) -> Any:
    seen = {"n": 0}

    def hook(ev: str, data: dict[str, Any]) -> None:
        if ev == event:
            seen["n"] += 1
            if seen["n"] >= n:
                raise Interrupt(f"interrupted after {n} {event} event(s)")

    return hook


@pytest.fixture(scope="module")
def reference(studio: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One uninterrupted build, to compare interrupted-and-resumed builds with."""
    settings = new_workspace(tmp_path_factory.mktemp("reference") / "home")
    import_catalog(settings, studio / "catalog.yaml")
    summary = run(settings)
    ds = load(settings, "d1")
    return {
        "clips": [(c.id, c.sha256) for c in ds.clips],
        "merkle_root": ds.merkle_root,
        "excluded": summary["excluded"],
    }


@pytest.mark.parametrize("event,n", [("media", 1), ("clip", 2), ("stage", 3)])
def test_resume_after_an_interruption_loses_and_duplicates_nothing(
    ws: Settings, reference: dict[str, Any], event: str, n: int
) -> None:
    with pytest.raises(Interrupt):
        run(ws, on_event=_stop_after(event, n))
    with pytest.raises(Exception, match="not finished"):
        load(ws, "d1")
    resumed = run(ws)
    assert resumed["resumed"] is True
    b = load(ws, "d1")
    assert [(c.id, c.sha256) for c in b.clips] == reference["clips"]
    assert (
        b.merkle_root == reference["merkle_root"] and resumed["excluded"] == reference["excluded"]
    )
    assert sorted(p.name for p in (b.root / "clips").iterdir()) == sorted(
        c.path.name for c in b.clips
    )
    assert verify(ws, "d1", on=REFERENCE_DATE)["ok"]


def test_cli_curate_json_and_bad_input(ws: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    cfg = ws.home / "cfg.json"
    cfg.write_text(json.dumps(CONFIG.to_dict()))
    args = [
        "curate",
        "--dataset",
        "c1",
        "--on",
        REFERENCE_DATE.isoformat(),
        "--config",
        str(cfg),
        "--workers",
        "1",
        "--json",
    ]
    code, out, err = cli(*args)
    assert code == 0, err
    doc = json.loads(out)
    assert (
        {"dataset", "clips", "excluded"} <= set(doc) and doc["dataset"] == "c1" and doc["clips"] > 0
    )
    code, _, err = cli(*args)  # the name is taken by a finished dataset
    assert code == 2 and "already exists" in err
    code, _, err = cli("curate", "--dataset", "c2", "--works", "w-nope", "--json")
    assert code == 2 and "unknown work" in err
    code, _, err = cli("curate", "--dataset", "c3", "--engine", "spark")
    assert code == 2 and "unknown engine" in err
    bad = ws.home / "bad.json"
    bad.write_text(json.dumps({"clip_max_seconds": 3}))
    code, _, err = cli("curate", "--dataset", "c4", "--config", str(bad))
    assert code == 2 and "unknown key" in err
    code, out, _ = cli("dataset", "show", "c1", "--json")
    shown = json.loads(out)
    assert len(shown["clips"]) == doc["clips"] and len(shown["excluded"]) == doc["excluded"]
    code, out, _ = cli(
        "dataset", "export", "c1", "--format", "finetrainers", "-o", str(ws.home / "ft"), "--json"
    )
    assert code == 0 and json.loads(out)["clips"] == doc["clips"]
    assert len((ws.home / "ft" / "prompts.txt").read_text().splitlines()) == doc["clips"]
    shutil.rmtree(ws.home / "ft")


def test_an_unfinished_dataset_resumes_only_with_the_same_options(ws: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    from clearreel.errors import UsageError

    with pytest.raises(Interrupt):
        run(ws, on_event=_stop_after("media", 1))
    other = CurateConfig.from_dict({**CONFIG.to_dict(), "clip_max_s": 2.0})
    with pytest.raises(UsageError, match="started with other config"):
        curate(ws, "d1", on=REFERENCE_DATE, config=other, progress=False, workers=1)
    code, out, _ = cli("dataset", "list", "--json")
    assert [d["status"] for d in json.loads(out)["datasets"]] == ["building"]
    code, _, _ = cli("dataset", "delete", "d1", "--yes")
    assert code == 0 and not (ws.home / "datasets" / "d1").exists()
    assert (
        curate(ws, "d1", on=REFERENCE_DATE, config=other, progress=False, workers=1)["resumed"]
        is False
    )
