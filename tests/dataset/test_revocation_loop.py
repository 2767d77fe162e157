"""The revocation loop on the sample studio, through the CLI: curate, train, index; revoke a
consent; the dataset fails verification, the model is suspended, training and deletion are
refused; rebuild, retrain, generate again (the old model stays suspended); and `curate --on`
a date before the revocation still refuses what no longer clears today."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from clearreel.config import Settings

CURATE = {"detector": "pyscenedetect", "clip_min_s": 0.5, "clip_max_s": 1.0, "train_width": 64,
          "train_height": 36, "train_fps": 8.0, "face_recognition": False}
TRAIN = ["--steps", "1", "--set", "batch_size=2", "--set", "cpu_threads=1",
         "--set", "gradient_checkpointing=false", "--set", "buckets=[[5, 32, 48]]"]


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from clearreel.attribution import index_dataset
    from clearreel.curate import CurateConfig, curate
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys
    from clearreel.rights.catalog import import_catalog
    from clearreel.sample import make_sample_studio
    from conftest import run_cli

    root = tmp_path_factory.mktemp("loop")
    make_sample_studio(root / "studio", films=2, width=160, height=90, seconds=15, bbb=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLEARREEL_HOME", str(root / "home"))
        mp.delenv("CLEARREEL_DATABASE_URL", raising=False)
        mp.delenv("CLEARREEL_ORG", raising=False)
        s = Settings(home=root / "home")
        init_db(s)
        ensure_studio_keys(s)
        import_catalog(s, root / "studio" / "catalog.yaml")
        curate(s, "d1", config=CurateConfig(**CURATE), progress=False, workers=1)
        code, _out, err = run_cli("train", "--dataset", "d1", "--base", "tiny", "--name", "m1",
                                  *TRAIN)
        assert code == 0, err
        index_dataset(s, "d1")
        yield s, root


def test_the_loop(loop: Any, cli: Any) -> None:
    from clearreel.dataset import load

    s, _root = loop
    clips = {c.id: c for c in load(s, "d1").clips}
    with_ben = sorted(c for c, x in clips.items() if "p-ben" in x.performers)
    assert with_ben and len(with_ben) < len(clips)
    code, out, _ = cli("models", "list", "--json")
    assert [m["status"] for m in json.loads(out)["models"]] == ["active"]

    # 1. revoke: the clips, datasets and models reached are printed
    code, out, err = cli("consent", "revoke", "k-ben-training", "--json")
    assert code == 0, err
    a = json.loads(out)
    assert sorted(c["clip"] for c in a["clips"]) == with_ben
    assert a["datasets"] == ["d1"] and a["models"] == ["m1"]
    assert all(c["start_tc"] and c["end_tc"] for c in a["clips"])

    # 2. verify lists every clip that no longer clears, with timecodes and reasons
    code, out, _ = cli("dataset", "verify", "d1", "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert sorted(p["clip"] for p in problems) == with_ben
    assert all(p["code"] == "not_cleared" and p["start_tc"] and p["consents"] == [
        "k-ben-training"] for p in problems)

    # 3. the model is suspended: generate refuses, naming clips and consents
    code, out, _ = cli("models", "list", "--json")
    assert json.loads(out)["models"][0]["status"] == "suspended"
    code, out, _ = cli("generate", "--model", "m1", "a harbour at dusk", "--json")
    assert code == 1
    [r] = json.loads(out)["reasons"]
    assert r["code"] == "model.dataset_uncleared"
    assert r["clips"] == with_ben and r["consents"] == ["k-ben-training"]

    # 4. training on it and deleting it are refused
    code, _out, err = cli("train", "--dataset", "d1", "--base", "tiny", "--name", "m-no", *TRAIN)
    assert code == 1 and "does not verify" in err
    code, _out, err = cli("dataset", "delete", "d1", "--yes")
    assert code == 2 and "m1" in err

    # 5. rebuild without re-decoding: the kept clips are the same bytes (hard links)
    code, out, err = cli("dataset", "rebuild", "d1", "--as", "d2", "--json")
    assert code == 0, err
    r2 = json.loads(out)
    assert sorted(d["clip"] for d in r2["dropped"]) == with_ben
    kept = load(s, "d2").clips
    assert sorted(c.id for c in kept) == sorted(set(clips) - set(with_ben))
    for c in kept:
        assert os.path.samefile(c.path, clips[c.id].path) or c.sha256 == clips[c.id].sha256
        assert "p-ben" not in c.performers and "k-ben-training" not in c.consents
    code, out, _ = cli("dataset", "verify", "d2", "--json")
    assert code == 0, out
    manifest = load(s, "d2").manifest
    assert manifest["pipeline"]["rebuilt_from"]["dataset"] == "d1"
    assert {e["id"] for e in manifest["excluded"]} >= set(with_ben)
    # The counts `dataset show` and `dataset list` take from a packed dataset's summary are
    # its rows', for a curated and for a rebuilt dataset.
    from sqlalchemy import func, select

    from clearreel.dataset.info import ready_counts
    from clearreel.dataset.models import Clip, Dataset, Exclusion
    from clearreel.db import open_session

    with open_session(s) as session:
        for ds in session.scalars(select(Dataset)):
            rows = (session.scalar(select(func.count()).where(Clip.dataset_pk == ds.pk)),
                    session.scalar(select(func.count()).where(Exclusion.dataset_pk == ds.pk)))
            assert ready_counts(ds) == rows, ds.name
    code, out, _ = cli("dataset", "list", "--json")
    listed = {d["name"]: d["clips"] for d in json.loads(out)["datasets"]}
    assert listed == {"d1": len(clips), "d2": len(kept)}

    # 6. retrain on the rebuilt dataset: the new model generates, the old stays suspended
    code, _out, err = cli("train", "--dataset", "d2", "--base", "tiny", "--name", "m2", *TRAIN)
    assert code == 0, err
    code, _out, err = cli("generate", "--model", "m2", "a harbour at dusk", "--frames", "9")
    assert code == 2 and "attribution index --dataset d2" in err  # never silently off
    code, _out, err = cli("attribution", "index", "--dataset", "d2")
    assert code == 0, err
    code, out, err = cli("generate", "--model", "m2", "a harbour at dusk", "--frames", "9",
                         "--json")
    assert code == 0, (out, err)
    made = json.loads(out)
    # The tiny model's noise resembles no training clip: no shares, and the reason is given.
    assert Path(made["path"]).exists()
    assert made["attribution"] or "resembles no training clip" in made["unattributed"]["reason"]
    code, out, _ = cli("models", "list", "--json")
    assert {m["name"]: m["status"] for m in json.loads(out)["models"]} == {
        "m1": "suspended", "m2": "active"}

    # 7. the audit log holds it all
    from clearreel.db import open_session
    from clearreel.rights.audit import entries

    with open_session(s) as session:
        assert [e.subject for e in entries(session, "model.suspended")] == ["m1"]
        assert [e.subject for e in entries(session, "dataset.rebuild")] == ["d2"]
        assert entries(session, "consent.revoke")[0].payload["models"] == ["m1"]


def test_curate_on_a_past_date_cannot_use_a_consent_revoked_since(loop: Any) -> None:
    import datetime as dt

    from clearreel.curate import CurateConfig, curate
    from clearreel.dataset import load
    from clearreel.db import open_session
    from clearreel.train.downstream import revoke

    s, _root = loop
    with open_session(s) as session:  # (idempotent with the loop above, in any order)
        from clearreel.rights.models import Consent

        k = session.query(Consent).filter(Consent.id == "k-ava-training").one()
        if k.status == "granted":
            revoke(session, "k-ava-training")
    summary = curate(s, "d-past", on=dt.date(2026, 6, 1), config=CurateConfig(**CURATE),
                     progress=False, workers=1)
    assert summary["clips"] == 0 or all("p-ava" not in c.performers
                                        for c in load(s, "d-past").clips)
    with open_session(s) as session:
        from clearreel.dataset.models import Dataset, Exclusion

        ds = session.query(Dataset).filter(Dataset.name == "d-past").one()
        codes = {r["code"] for e in session.query(Exclusion).filter(
            Exclusion.dataset_pk == ds.pk) for r in e.reasons
            if r.get("consent") == "k-ava-training"}
    assert codes == {"consent.revoked"}
