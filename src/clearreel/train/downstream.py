"""A registry or dataset change that reaches the trained models downstream.

ARCHITECTURE.md, "Revocation reaches everything downstream". The rights registry and the
datasets keep their own records only; the step that reaches past them, to the datasets a
revocation touches and the models trained on them, is here, one layer above both. The
interfaces (cli, web, demo) call these functions, never the lower ones they wrap
(tests/test_layout.py holds them to it), so no path skips the step:

- `revoke`: `rights.consents.revoke` with what it reaches (`affected_by`: the clips of built
  datasets that no longer clear because of it, those datasets, the models trained on them),
  then the suspension of those models (`suspension.refresh`);
- `import_catalog`, `import_avails`, `import_scenes`: the rights importers, which record the
  models' suspensions in the import's transaction when it changed what clears training;
- `delete_dataset`: `dataset.delete`, refused while a registered model depends on the dataset
  (`dependents`): the dataset is that model's provenance, copy guard and attribution index.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.config import Settings
from clearreel.rights.consents import Affected
from clearreel.rights.models import Consent
from clearreel.train.models import TrainedModel


def affected_by(session: Session, consent: Consent, on: dt.date) -> Affected:
    """The clips of built datasets that do not clear on `on` because of `consent` (a reason
    names it, or its party without a consent in force), their datasets and their models."""
    from clearreel.dataset.models import READY, Dataset
    from clearreel.dataset.recheck import dataset_clips, recheck

    a = Affected(consent.id, consent.party_id, on.isoformat())
    for ds in session.scalars(select(Dataset).where(Dataset.status == READY)
                              .order_by(Dataset.name)):
        r = recheck(session, dataset_clips(session, ds.pk), on=on, territory=ds.territory)
        hit = [u for u in r.uncleared
               if any(x.get("consent") == consent.id or x.get("party") == consent.party_id
                      for x in u.reasons)]
        if not hit:
            continue
        a.datasets.append(ds.name)
        a.clips += [{"dataset": ds.name, "clip": u.clip, "work": u.work,
                     "start_tc": u.start_tc, "end_tc": u.end_tc,
                     "reasons": [x["code"] for x in u.reasons]} for u in hit]
    if a.datasets:
        a.models = list(session.scalars(select(TrainedModel.name)
                                        .where(TrainedModel.dataset.in_(a.datasets))
                                        .order_by(TrainedModel.name)))
    return a


def revoke(session: Session, consent: str, *, date: dt.date | None = None,
           evidence: str | None = None) -> Affected:
    """Set `consent` revoked from `date` (default today), suspend the models it reaches, and
    return what it affects. Audited (`consent.revoke`, and `model.suspended` per model)."""
    from clearreel.rights.consents import revoke as record_revocation
    from clearreel.train.suspension import refresh

    a = record_revocation(session, consent, date=date, evidence=evidence, reach=affected_by)
    if a.models:
        refresh(session, models=a.models, cause=f"consent.revoke {a.consent}")
    return a


def _refresh_after_import(session: Session) -> None:
    from clearreel.train.suspension import refresh

    refresh(session, cause="catalog.import")


def import_catalog(settings: Settings, path: str | Path, **options: Any) -> dict[str, Any]:
    """`rights.catalog.import_catalog` (same arguments), recording the models' suspensions
    when the import changed a consent, licence, work or character."""
    from clearreel.rights.catalog import import_catalog as import_

    return import_(settings, path, on_clearance_change=_refresh_after_import, **options)


def import_avails(settings: Settings, path: str | Path, **options: Any) -> dict[str, Any]:
    """`rights.avails.import_avails` (same arguments), as `import_catalog`."""
    from clearreel.rights.avails import import_avails as import_

    return import_(settings, path, on_clearance_change=_refresh_after_import, **options)


def import_scenes(settings: Settings, work_id: str, path: str | Path,
                  **options: Any) -> dict[str, Any]:
    """`rights.shotlists.import_scenes` (same arguments), as `import_catalog`."""
    from clearreel.rights.shotlists import import_scenes as import_

    return import_(settings, work_id, path, on_clearance_change=_refresh_after_import,
                   **options)


def dependents(session: Session, name: str) -> list[str]:
    """The registered models trained on dataset `name`."""
    return list(session.scalars(select(TrainedModel.name).where(TrainedModel.dataset == name)
                                .order_by(TrainedModel.name)))


def delete_dataset(settings: Settings, name: str) -> dict[str, Any]:
    """Remove a dataset's records and directory (audited), as `dataset.delete`.

    Refused (`UsageError`, exit 2, nothing removed; audited `dataset.delete_refused`) while a
    registered model depends on it: the dataset is that model's provenance, its copy guard and
    its attribution index (ARCHITECTURE.md, "Revocation reaches everything downstream")."""
    from clearreel.dataset import delete_rows, get_dataset_row, remove_files
    from clearreel.db import open_session
    from clearreel.errors import UsageError
    from clearreel.rights.audit import record

    with open_session(settings) as s:
        # One transaction under the dataset's lock, which registering a model on it also
        # takes (`dataset_lock`): no model can be registered between the check and the delete.
        dataset_lock(s, name)
        row = get_dataset_row(s, name)
        models = dependents(s, name)
        if models:
            record(s, "dataset.delete_refused", name, dataset=row.id, models=models)
        else:
            info = delete_rows(s, name)
    if models:
        raise UsageError(
            f"dataset {name} is the training set of model(s) {', '.join(models)}: it holds "
            "their provenance, copy guard and attribution index, so it cannot be deleted; "
            "delete those models first (`clearreel models delete M`)")
    remove_files(settings, name)
    return info


def dataset_lock(session: Session, name: str) -> None:
    """The lock that deleting the session organization's dataset `name` and registering a
    model on it both hold until their transaction ends (`db.write_lock`)."""
    from clearreel.db import current_org, write_lock

    write_lock(session, f"clearreel.dataset:{current_org(session)}:{name}")


__all__ = ["affected_by", "dataset_lock", "delete_dataset", "dependents", "import_avails",
           "import_catalog", "import_scenes", "revoke"]
