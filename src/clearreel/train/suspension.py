"""Suspension: a model trained on a dataset that no longer clears may not generate.

ARCHITECTURE.md, "Revocation reaches everything downstream": a model trained on a dataset
that no longer verifies is suspended; `generate` refuses it (exit 1, reason
`model.dataset_uncleared`, naming the clips and consents) until it is retrained on a
rebuilt dataset.

The answer is computed live: `model_status` re-derives the clearance of every clip of the
model's dataset from the registry as it is (`clearreel.dataset.recheck`), on every
generation. So it holds however the registry changed: `consent revoke`, a catalog import,
a consent that expired overnight, a licence that ended, a web edit. (Re-deriving costs
about a millisecond per clip; unchanged, about one prompt guard; docs/benchmarks.md.)

What is recorded is the transition: `refresh` stores the status on the model's row and
writes `model.suspended` / `model.reinstated` to the audit log when it changes. It runs after
`consent revoke`, after a catalog import that changed a consent, licence, work or
character, and on every generation of the model.

The recorded answer also carries a fingerprint of everything the re-check read (licences,
consents, characters, parties, settings, reservations, the dataset's works with their
scenes, credits and subtitle files, the dates, the territory, the version): when the
fingerprint is unchanged the answer is reused, so a generation pays a few queries instead of
re-deriving every clip; any change to any of it (or a new day) re-derives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.train.models import TrainedModel

ACTIVE, SUSPENDED = "active", "suspended"
UNCLEARED, MISSING = "model.dataset_uncleared", "model.dataset_missing"


@dataclass
class ModelStatus:
    model: str
    dataset: str | None
    status: str = ACTIVE
    code: str | None = None  # model.dataset_uncleared | model.dataset_missing
    detail: str = ""
    clips: list[str] = field(default_factory=list)
    consents: list[str] = field(default_factory=list)
    uncleared: list[dict[str, Any]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # the dates asked
    fingerprint: str | None = None  # of what the re-check read (see `recheck.fingerprint`)
    cached: bool = False  # the recorded answer was reused (nothing it read has changed)

    @property
    def suspended(self) -> bool:
        return self.status == SUSPENDED

    def reason(self) -> dict[str, Any]:
        """The denial, in the shape of a decision's reasons."""
        return {"code": self.code, "license": None, "consent": None, "party": None,
                "effect": "deny", "model": self.model, "dataset": self.dataset,
                "clips": self.clips, "consents": self.consents, "detail": self.detail}

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "dataset": self.dataset, "status": self.status,
                "code": self.code, "detail": self.detail, "clips": self.clips,
                "consents": self.consents, "checked": self.checked,
                "uncleared": self.uncleared[:200]}


def _dates(on: dt.date | Iterable[dt.date] | None) -> list[dt.date]:
    """Today, and any other date asked: a model must clear today whatever else is asked."""
    today = dt.date.today()
    extra = [] if on is None else [on] if isinstance(on, dt.date) else list(on)
    return sorted({today, *extra})


def model_status(session: Session, model: TrainedModel | str, *,
                 on: dt.date | Iterable[dt.date] | None = None,
                 territory: str | None = None) -> ModelStatus:
    """Whether `model` may generate: its dataset's clips re-checked against the registry
    today (and on `on`). A model trained on clips outside any dataset has nothing to re-check."""
    from clearreel.dataset.models import Clip, Dataset
    from clearreel.dataset.recheck import dataset_clips, fingerprint, recheck

    row = model if isinstance(model, TrainedModel) else session.scalars(
        select(TrainedModel).where(TrainedModel.name == model)).first()
    if row is None:
        from clearreel.errors import NotFound

        raise NotFound(f"no model named {model!r} in this organization: see `clearreel models "
                       "list`")
    dates = _dates(on)
    st = ModelStatus(row.name, row.dataset, checked=[d.isoformat() for d in dates])
    if row.dataset is None:
        return st
    ds = session.scalars(select(Dataset).where(Dataset.name == row.dataset)).first()
    if ds is None or ds.manifest_sha256 != row.dataset_manifest_sha256:
        st.status, st.code = SUSPENDED, MISSING
        st.detail = (f"model {row.name} was trained on dataset {row.dataset} (manifest "
                     f"{str(row.dataset_manifest_sha256)[:12]}…), which "
                     + ("is no longer in the registry" if ds is None else
                        "the registry now records with another manifest")
                     + ": its clearance cannot be re-checked; retrain on a cleared dataset")
        return st
    terr = territory if territory is not None else ds.territory
    works = sorted(set(session.scalars(select(Clip.work_id).where(Clip.dataset_pk == ds.pk))))
    fp = fingerprint(session, works, dates, terr)
    st.fingerprint = fp
    cached = row.status_detail or {}
    if cached.get("fingerprint") == fp and cached.get("manifest") == ds.manifest_sha256:
        # Nothing a re-check reads has changed since the recorded answer: reuse it.
        st.status, st.code = row.status, cached.get("code")
        st.clips, st.consents = list(cached.get("clips", [])), list(cached.get("consents", []))
        st.detail, st.cached = str(cached.get("detail", "")), True
        return st
    r = recheck(session, dataset_clips(session, ds.pk), on=dates, territory=terr)
    if r.ok:
        return st
    st.status, st.code = SUSPENDED, UNCLEARED
    st.clips, st.consents = r.clip_ids, r.consents
    st.uncleared = [u.to_json() for u in r.uncleared]
    shown = ", ".join(st.clips[:5]) + (f" and {len(st.clips) - 5} more" if len(st.clips) > 5
                                       else "")
    st.detail = (f"model {row.name} is suspended: {len(st.clips)} clip(s) of its dataset "
                 f"{row.dataset} no longer clear ({shown}"
                 + (f"; consents {', '.join(st.consents)}" if st.consents else "")
                 + f"); rebuild it with `clearreel dataset rebuild {row.dataset} --as NEW` and "
                   "retrain on NEW")
    return st


def record(session: Session, row: TrainedModel, st: ModelStatus, *, cause: str) -> bool:
    """Store `st` on the model's row; audit a change of status. True when it changed."""
    from clearreel.rights import audit

    detail = {"code": st.code, "clips": st.clips, "consents": st.consents,
              "checked": st.checked, "detail": st.detail, "fingerprint": st.fingerprint,
              "manifest": row.dataset_manifest_sha256}
    changed = row.status != st.status
    if changed or row.status_detail != detail:
        row.status, row.status_detail = st.status, detail
        row.status_changed = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        session.flush()
    if changed:
        audit.record(session, "model.suspended" if st.suspended else "model.reinstated",
                     row.name, dataset=row.dataset, cause=cause, code=st.code,
                     clips=st.clips[:200], consents=st.consents, checked=st.checked)
    return changed


def refresh(session: Session, *, models: Iterable[str] | None = None,
            cause: str = "refresh") -> list[ModelStatus]:
    """Re-check every model (or those named) and record what changed; returns the statuses."""
    q = select(TrainedModel).order_by(TrainedModel.name)
    if models is not None:
        q = q.where(TrainedModel.name.in_(list(models)))
    out = []
    for row in session.scalars(q).all():
        st = model_status(session, row)
        record(session, row, st, cause=cause)
        out.append(st)
    return out


def statuses(session: Session) -> dict[str, ModelStatus]:
    """Every model's live status, without recording (for listings)."""
    rows = session.scalars(select(TrainedModel).order_by(TrainedModel.name)).all()
    return {r.name: model_status(session, r) for r in rows}


__all__ = ["ACTIVE", "MISSING", "SUSPENDED", "UNCLEARED", "ModelStatus", "model_status",
           "record", "refresh", "statuses"]
