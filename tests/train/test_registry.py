"""The model registry on SQLite and PostgreSQL: register, look up, list, scope, audit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.errors import NotFound, UsageError
from clearreel.train.registry import ModelRecord, get_model, list_models, register_model


def _record(name: str) -> ModelRecord:
    return ModelRecord(name=name, family="tiny", path=Path("/ws/models") / name, base="tiny",
                       base_sha256="a" * 64, mode="lora", dataset="d1",
                       dataset_manifest_sha256="b" * 64, config={"steps": 3, "mode": "lora"},
                       metrics={"final_loss": 0.25, "loss_curve": [1.0, 0.5, 0.25]},
                       character="c-mara", trigger="marax")


def test_registry_round_trip_and_scope(any_db: Settings) -> None:
    from clearreel.db import open_session
    from clearreel.rights.audit import entries, verify
    from clearreel.rights.models import Organization

    with open_session(any_db, any_org=True) as s:
        s.add_all([Organization(id="org-a", name="A"), Organization(id="org-b", name="B")])
    a, b = replace(any_db, org="org-a"), replace(any_db, org="org-b")
    with open_session(a) as s:
        register_model(s, _record("m1"))
        with pytest.raises(UsageError, match="already exists"):
            register_model(s, _record("m1"))
        register_model(s, replace(_record("m1"), mode="full"), replace=True)
    got = get_model(a, "m1")
    assert got.mode == "full" and got.config == {"steps": 3, "mode": "lora"}
    assert got.metrics["loss_curve"] == [1.0, 0.5, 0.25] and got.trigger == "marax"
    assert got.org == "org-a" and got.created is not None
    assert [m.name for m in list_models(a)] == ["m1"]
    assert list_models(b) == []
    with pytest.raises(NotFound):
        get_model(b, "m1")
    with open_session(b) as s:  # the same name is free in another organization
        register_model(s, _record("m1"))
    with open_session(a) as s:
        assert [e.subject for e in entries(s, "train.register")] == ["m1", "m1"]
        assert verify(s) == []
