"""The model registry: register, look up and list trained models (scoped to the organization)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.config import Settings
from clearreel.errors import NotFound, UsageError
from clearreel.train.models import TrainedModel


@dataclass(frozen=True)
class ModelRecord:
    """A registered model, detached from the database session."""

    name: str
    family: str
    path: Path  # $CLEARREEL_HOME/models/NAME
    base: str  # "tiny" or the base directory it was trained from
    base_sha256: str
    mode: str  # lora | full
    dataset: str | None
    dataset_manifest_sha256: str | None
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    character: str | None = None
    trigger: str | None = None
    created: dt.datetime | None = None
    org: str | None = None

    @classmethod
    def from_row(cls, row: TrainedModel) -> ModelRecord:
        return cls(
            name=row.name,
            family=row.family,
            path=Path(row.path),
            base=row.base,
            base_sha256=row.base_sha256,
            mode=row.mode,
            dataset=row.dataset,
            dataset_manifest_sha256=row.dataset_manifest_sha256,
            config=dict(row.config or {}),
            metrics=dict(row.metrics or {}),
            character=row.character,
            trigger=row.trigger,
            created=row.created,
            org=row.org_id,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "path": str(self.path),
            "base": self.base,
            "base_sha256": self.base_sha256,
            "mode": self.mode,
            "dataset": self.dataset,
            "dataset_manifest_sha256": self.dataset_manifest_sha256,
            "character": self.character,
            "trigger": self.trigger,
            "config": self.config,
            "metrics": self.metrics,
            "created": self.created.isoformat() if self.created else None,
        }


def model_dir(settings: Settings, name: str, org: str | None = None) -> Path:
    """`models/ORG/NAME`: the organization's (`org`, or the one the settings resolve to)."""
    check_name(name)
    if org is None:
        from clearreel.db import resolve_org

        org = resolve_org(settings)
    return settings.model_dir(org, name)


def check_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name or ""):
        raise UsageError(f"model name {name!r}: use letters, digits, '.', '_' or '-' (max 100)")


def _row(session: Session, name: str) -> TrainedModel | None:
    return session.scalars(select(TrainedModel).where(TrainedModel.name == name)).first()


def get_model(session_or_settings: Session | Settings, name: str) -> ModelRecord:
    """The registered model `name` of the current organization; NotFound otherwise."""
    if isinstance(session_or_settings, Settings):
        from clearreel.db import open_session

        with open_session(session_or_settings) as s:
            return get_model(s, name)
    row = _row(session_or_settings, name)
    if row is None:
        known = [m.name for m in list_models(session_or_settings)]
        hint = f" (registered: {', '.join(known)})" if known else " (none registered yet)"
        raise NotFound(
            f"no model named {name!r} in this organization{hint}: "
            "train one with `clearreel train --dataset D --base tiny --name M`"
        )
    return ModelRecord.from_row(row)


def list_models(session_or_settings: Session | Settings) -> list[ModelRecord]:
    if isinstance(session_or_settings, Settings):
        from clearreel.db import open_session

        with open_session(session_or_settings) as s:
            return list_models(s)
    rows = session_or_settings.scalars(
        select(TrainedModel).order_by(TrainedModel.created, TrainedModel.name)
    )
    return [ModelRecord.from_row(r) for r in rows]


def register_model(session: Session, rec: ModelRecord, *, replace: bool = False) -> ModelRecord:
    """Insert (or with `replace`, update) the registry row and write the audit entry."""
    from clearreel.rights import audit

    row = _row(session, rec.name)
    if row is not None and not replace:
        raise UsageError(
            f"a model named {rec.name!r} already exists: choose another --name (or --replace)"
        )
    if row is None:
        row = TrainedModel(name=rec.name)
        session.add(row)
    row.family, row.base, row.base_sha256, row.path = (
        rec.family,
        rec.base,
        rec.base_sha256,
        str(rec.path),
    )
    row.mode, row.dataset, row.dataset_manifest_sha256 = (
        rec.mode,
        rec.dataset,
        rec.dataset_manifest_sha256,
    )
    row.character, row.trigger = rec.character, rec.trigger
    row.config, row.metrics = rec.config, rec.metrics
    session.flush()
    audit.record(
        session,
        "train.register",
        rec.name,
        family=rec.family,
        mode=rec.mode,
        base_sha256=rec.base_sha256,
        dataset=rec.dataset,
        dataset_manifest_sha256=rec.dataset_manifest_sha256,
        character=rec.character,
        final_loss=rec.metrics.get("final_loss"),
    )
    return ModelRecord.from_row(row)


def delete_model(settings: Settings, name: str) -> dict[str, Any]:
    """Remove a model's registry row and its directory (audited). Outputs it made keep their
    records (they name the model and the dataset manifest they came from)."""
    import shutil

    from clearreel.db import open_session
    from clearreel.rights import audit

    with open_session(settings) as s:
        row = _row(s, name)
        if row is None:
            get_model(s, name)  # NotFound, with the names that exist
            raise AssertionError
        info = {"model": name, "dataset": row.dataset,
                "dataset_manifest_sha256": row.dataset_manifest_sha256, "path": row.path}
        own = settings.org_dir("models", str(row.org_id)).resolve()
        s.delete(row)
        audit.record(s, "train.delete", name, **info)
    path = Path(info["path"])
    # Only ever the organization's own models/ORG/ folder (a registry path elsewhere is kept).
    if path.is_dir() and path.resolve().is_relative_to(own):
        shutil.rmtree(path)
    return info


__all__ = ["ModelRecord", "check_name", "delete_model", "get_model", "list_models", "model_dir",
           "register_model"]
