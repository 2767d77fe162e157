"""Deleting a dataset: its records and its directory, audited.

The interfaces delete through `clearreel.train.downstream.delete_dataset`, which first
refuses a dataset that a registered model depends on (the models are train's records)."""

from __future__ import annotations

import shutil
from typing import Any

from clearreel.config import Settings


def delete(settings: Settings, name: str) -> dict[str, Any]:
    """Remove a dataset's records and directory (audited `dataset.delete`); `NotFound` when
    the organization has no dataset `name`. Checks nothing downstream: call
    `clearreel.train.downstream.delete_dataset`, which refuses while a model depends on it."""
    from clearreel.db import open_session

    with open_session(settings) as s:
        info = delete_rows(s, name)
    remove_files(settings, name)
    return info


def delete_rows(session: Any, name: str) -> dict[str, Any]:
    """The dataset's records, in the caller's transaction (audited `dataset.delete`)."""
    from clearreel.dataset._load import get_dataset_row
    from clearreel.rights.audit import record

    row = get_dataset_row(session, name)
    info = {"dataset": name, "id": row.id, "status": row.status,
            "manifest_sha256": row.manifest_sha256}
    session.delete(row)
    record(session, "dataset.delete", name, **info)
    return info


def remove_files(settings: Settings, name: str) -> None:
    """The dataset's directory, once its records are gone (committed)."""
    from clearreel.dataset.writer import dataset_dir

    root = dataset_dir(settings, name)
    if root.exists():
        shutil.rmtree(root)


__all__ = ["delete", "delete_rows", "remove_files"]
