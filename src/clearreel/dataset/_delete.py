"""Deleting a dataset: its records and its directory, audited."""

from __future__ import annotations

import shutil
from typing import Any

from clearreel.config import Settings


def dependents(session: Any, name: str) -> list[str]:
    """The registered models trained on dataset `name`."""
    from sqlalchemy import select

    from clearreel.train.models import TrainedModel

    return list(session.scalars(select(TrainedModel.name).where(TrainedModel.dataset == name)
                                .order_by(TrainedModel.name)))


def delete(settings: Settings, name: str) -> dict[str, Any]:
    """Remove a dataset's records and directory (audited).

    Refused (`UsageError`, exit 2, nothing removed) while a registered model depends on it:
    the dataset is that model's provenance, its copy guard and its attribution index
    (ARCHITECTURE.md, "Revocation reaches everything downstream")."""
    from clearreel.dataset._load import get_dataset_row
    from clearreel.dataset.writer import dataset_dir
    from clearreel.db import open_session
    from clearreel.errors import UsageError
    from clearreel.rights.audit import record

    with open_session(settings) as s:
        row = get_dataset_row(s, name)
        models = dependents(s, name)
        if models:
            record(s, "dataset.delete_refused", name, dataset=row.id, models=models)
    if models:
        raise UsageError(
            f"dataset {name} is the training set of model(s) {', '.join(models)}: it holds "
            "their provenance, copy guard and attribution index, so it cannot be deleted; "
            "delete those models first (`clearreel models delete M`)")
    with open_session(settings) as s:
        row = get_dataset_row(s, name)
        info = {
            "dataset": name,
            "id": row.id,
            "status": row.status,
            "manifest_sha256": row.manifest_sha256,
        }
        s.delete(row)
        record(s, "dataset.delete", name, **info)
    root = dataset_dir(settings, name)
    if root.exists():
        shutil.rmtree(root)
    return info


__all__ = ["delete", "dependents"]
