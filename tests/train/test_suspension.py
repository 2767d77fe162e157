"""Suspension: a model whose dataset no longer clears may not generate, however the
revocation is recorded (`consent revoke`, a catalog import, time passing); SQLite and PG.

The dataset is packed and signed by the dataset writer (as in test_dataset_training); the
model is registered as training registers it, without the training run (tested there)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearreel.config import Settings
from provenance.conftest import studio_any_db  # noqa: F401  (fixture)

from .test_dataset_training import build_dataset, training_consents


def _register(settings: Settings, name: str, dataset: str, manifest: str) -> None:
    from clearreel.db import open_session
    from clearreel.train.registry import ModelRecord, model_dir, register_model

    with open_session(settings) as s:
        register_model(s, ModelRecord(name=name, family="wan", path=model_dir(settings, name),
                                      base="tiny", base_sha256="0" * 64, mode="full",
                                      dataset=dataset, dataset_manifest_sha256=manifest))


@pytest.fixture
def suspended_setup(studio_any_db: Callable[..., Settings]) -> Settings:  # noqa: F811
    s = studio_any_db(training_consents())
    _register(s, "m1", "d1", build_dataset(s))
    return s


def _status(settings: Settings, name: str) -> Any:
    from clearreel.db import open_session
    from clearreel.train.suspension import model_status

    with open_session(settings) as s:
        return model_status(s, name)


def _audit(settings: Settings, action: str) -> list[Any]:
    from clearreel.db import open_session
    from clearreel.rights.audit import entries

    with open_session(settings) as s:
        return [(e.subject, e.payload) for e in entries(s, action)]


def test_a_catalog_import_that_revokes_suspends_the_model(suspended_setup: Settings,
                                                          tmp_path: Path, cli: Any) -> None:
    s = suspended_setup
    assert _status(s, "m1").status == "active"
    partial = tmp_path / "revoke.yaml"
    partial.write_text(yaml.safe_dump({"organization": {"id": "org-north"}, "consents": [
        {"id": "k-zoe-train", "status": "revoked", "revoked": "2026-06-01"}]}))
    code, _out, err = cli("catalog", "import", str(partial))
    assert code == 0, err
    st = _status(s, "m1")
    assert st.suspended and st.code == "model.dataset_uncleared"
    assert st.consents == ["k-zoe-train"] and len(st.clips) == 3
    [(subject, payload)] = _audit(s, "model.suspended")
    assert subject == "m1" and payload["cause"] == "catalog.import"
    code, out, _err = cli("models", "list", "--json")
    [m] = json.loads(out)["models"]
    assert m["status"] == "suspended" and m["suspension"]["consents"] == ["k-zoe-train"]
    # generate refuses, naming the clips and consents; nothing is made.
    code, out, _err = cli("generate", "--model", "m1", "a harbour at dusk", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["blocked"] and doc["path"] is None
    [r] = doc["reasons"]
    assert r["code"] == "model.dataset_uncleared" and r["consents"] == ["k-zoe-train"]
    assert sorted(r["clips"]) == sorted(st.clips)
    assert not list(s.path("outputs").rglob("*.mp4"))
    req = _audit(s, "generate.request")
    assert req[-1][1]["blocked"] and req[-1][1]["reasons"] == ["model.dataset_uncleared"]


def test_consent_revoke_lists_and_suspends(suspended_setup: Settings, cli: Any) -> None:
    s = suspended_setup
    code, out, err = cli("consent", "revoke", "k-ava-train", "--date", "2026-05-01")
    assert code == 0, err
    assert "models suspended: m1" in out and "datasets affected: d1" in out
    assert "w-harbor_m0_0000100_0000119" in out
    assert _status(s, "m1").suspended
    # The model stays suspended when nothing else changes, and a re-grant reinstates it.
    code, out, err = cli("consent", "grant", "--party", "p-ava", "--kind", "training",
                         "--signed", "2026-07-01", "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == "k-ava-training-20260701"
    assert _status(s, "m1").status == "active"


def test_a_consent_that_expires_suspends_without_any_write(suspended_setup: Settings,
                                                           cli: Any) -> None:
    """Computed live: no event records an expiry, yet the model is suspended the day after."""
    import datetime as dt

    from clearreel.db import open_session
    from clearreel.train.suspension import model_status

    s = suspended_setup
    with open_session(s) as session:
        assert not model_status(session, "m1").suspended
        later = model_status(session, "m1", on=dt.date(2099, 1, 1))
    assert not later.suspended  # open-ended consents: nothing expires
    code, _out, _err = cli("consent", "grant", "--party", "p-ben", "--kind", "training",
                           "--signed", "2024-01-01", "--refused")
    assert code == 0
    assert _status(s, "m1").suspended  # a refusal in force wins over the grant


def test_a_dataset_of_a_registered_model_cannot_be_deleted(suspended_setup: Settings,
                                                           cli: Any) -> None:
    s = suspended_setup
    code, _out, err = cli("dataset", "delete", "d1", "--yes")
    assert code == 2 and "m1" in err and "models delete" in err
    from clearreel.dataset.writer import dataset_dir

    assert (dataset_dir(s, "d1") / "manifest.json").exists()
    code, _out, err = cli("models", "delete", "m1", "--yes")
    assert code == 0, err
    code, _out, err = cli("dataset", "delete", "d1", "--yes")
    assert code == 0, err
    assert not dataset_dir(s, "d1").exists()


def test_a_missing_dataset_suspends_and_a_missing_index_is_an_error(suspended_setup: Settings,
                                                                    cli: Any) -> None:
    s = suspended_setup
    # The dataset clears, but it has no attribution index: generation refuses to run with the
    # copy guard off (exit 2, saying how to build it), before anything is made.
    code, _out, err = cli("generate", "--model", "m1", "a harbour at dusk")
    assert code == 2 and "attribution index --dataset d1" in err
    assert not list(s.path("outputs").rglob("*.mp4"))
