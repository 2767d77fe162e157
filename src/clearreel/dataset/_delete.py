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
    from clearreel.dataset._load import get_dataset_row
    from clearreel.dataset.writer import dataset_dir
    from clearreel.db import open_session
    from clearreel.rights.audit import record

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


__all__ = ["delete"]
