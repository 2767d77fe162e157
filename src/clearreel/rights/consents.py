"""Recording consents and revocations without editing a catalog file.

`grant`, `revoke` and `consents_of` are what `clearreel consent grant|revoke|show` and the
web studio call (each takes the caller's session, bound to one organization, and writes the
audit log). `revoke` records the revocation and what it reaches downstream (`Affected`: the
clips of built datasets that no longer clear because of it, those datasets, and the models
trained on them), as found by the `reach` its caller passes: the interfaces call
`clearreel.train.downstream.revoke`, which finds them and suspends those models.

A revoked consent was in force from its signature until its `revoked` date (exclusive), so a
question about an earlier date is still answered as it would have been then (rule 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.errors import NotFound, UsageError
from clearreel.rights.models import CONSENT_KINDS, Consent, Party, Work


@dataclass
class Affected:
    """What a revocation reaches: clips (with dataset and timecodes), datasets, models."""

    consent: str
    party: str
    effective: str  # the date it was checked on (the revocation date, or today if later)
    clips: list[dict[str, Any]] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)  # suspended by it

    def to_json(self) -> dict[str, Any]:
        return {"consent": self.consent, "party": self.party, "effective": self.effective,
                "clips": self.clips, "datasets": self.datasets, "models": self.models}


def _party(session: Session, party: str) -> Party:
    p = session.scalars(select(Party).where(Party.id == party)).first()
    if p is None:
        import difflib

        known = list(session.scalars(select(Party.id).order_by(Party.id)))
        close = difflib.get_close_matches(party, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see `clearreel catalog list`"
        raise NotFound(f"unknown party {party!r}: {hint}")
    return p


def _consent(session: Session, consent: str) -> Consent:
    k = session.scalars(select(Consent).where(Consent.id == consent)).first()
    if k is None:
        raise NotFound(f"unknown consent {consent!r}: see `clearreel consent show PARTY`")
    return k


def _evidence(value: str | None) -> str | None:
    """A document's path (recorded with its SHA-256, so a later swap is visible) or a note."""
    if not value:
        return None
    p = Path(value).expanduser()
    if p.is_file():
        return f"{p.resolve()} sha256:{hashlib.sha256(p.read_bytes()).hexdigest()}"
    return value


def _scope(session: Session, works: list[str] | None) -> list[str] | None:
    if not works or works == ["all"]:
        return None
    known = set(session.scalars(select(Work.id).where(Work.id.in_(works))))
    unknown = [w for w in works if w not in known]
    if unknown:
        raise NotFound(f"unknown work(s) {', '.join(unknown)}: see `clearreel catalog list`")
    return list(dict.fromkeys(works))


def grant(session: Session, *, party: str, kind: str, signed: dt.date,
          works: list[str] | None = None, projects: list[str] | None = None,
          purposes: list[str] | None = None, expires: dt.date | None = None,
          evidence: str | None = None, description: str = "", id: str | None = None,
          status: str = "granted") -> Consent:
    """Record a consent (`granted`, or `refused`); an absent scope list covers everything."""
    from clearreel.rights import audit

    p = _party(session, party)
    if kind not in CONSENT_KINDS:
        raise UsageError(f"unknown consent kind {kind!r}: expected one of "
                         f"{', '.join(CONSENT_KINDS)}")
    if status not in ("granted", "refused"):
        raise UsageError(f"status {status!r}: a new consent is granted or refused (record a "
                         "revocation with `clearreel consent revoke ID`)")
    if expires is not None and expires <= signed:
        raise UsageError(f"--expires {expires} is on or before --signed {signed}: a consent "
                         "expires after it is signed")
    scope = _scope(session, works)
    if id is None:
        base = f"k-{p.id.removeprefix('p-')}-{kind}-{signed:%Y%m%d}"
        id, n = base, 1
        while session.scalars(select(Consent.id).where(Consent.id == id)).first():
            n += 1
            id = f"{base}-{n}"
    elif session.scalars(select(Consent.id).where(Consent.id == id)).first():
        raise UsageError(f"a consent with id {id!r} already exists: choose another --id")
    k = Consent(id=id, party_id=p.id, kind=kind, status=status, works=scope,
                projects=list(projects) if projects else None,
                purposes=list(purposes) if purposes else None, description=description,
                signed=signed, expires=expires, revoked=None, evidence=_evidence(evidence))
    session.add(k)
    session.flush()
    audit.record(session, "consent.grant", k.id, **consent_doc(k))
    return k


def revoke(session: Session, consent: str, *, date: dt.date | None = None,
           evidence: str | None = None,
           reach: Callable[[Session, Consent, dt.date], Affected]) -> Affected:
    """Set `consent` revoked from `date` (default today) and return what it affects, as
    `reach(session, consent, on)` finds it on the revocation date (or today if later).
    Audited (`consent.revoke`, naming the datasets and models reached)."""
    from clearreel.rights import audit

    k = _consent(session, consent)
    date = date or dt.date.today()
    if k.status == "revoked":
        raise UsageError(f"consent {k.id} is already revoked (on {k.revoked}); nothing changed")
    if k.status != "granted":
        raise UsageError(f"consent {k.id} is {k.status}, not granted: there is nothing to revoke")
    if date < k.signed:
        raise UsageError(f"--date {date} is before consent {k.id} was signed ({k.signed}); give "
                         "the day the revocation took effect")
    k.status, k.revoked = "revoked", date
    if evidence:
        note = _evidence(evidence)
        k.evidence = f"{k.evidence}; revocation: {note}" if k.evidence else f"revocation: {note}"
    session.flush()
    a = reach(session, k, max(date, dt.date.today()))
    audit.record(session, "consent.revoke", k.id, party=k.party_id, kind=k.kind,
                 revoked=date.isoformat(), datasets=a.datasets, models=a.models,
                 clips=len(a.clips))
    return a


def consent_doc(k: Consent) -> dict[str, Any]:
    return {"id": k.id, "party": k.party_id, "kind": k.kind, "status": k.status,
            "works": "all" if k.works is None else list(k.works),
            "projects": "all" if k.projects is None else list(k.projects),
            "purposes": "all" if k.purposes is None else list(k.purposes),
            "signed": k.signed.isoformat(), "expires": k.expires.isoformat() if k.expires else None,
            "revoked": k.revoked.isoformat() if k.revoked else None,
            "evidence": k.evidence, "description": k.description,
            "in_force_today": _in_force_today(k)}


def _in_force_today(k: Consent) -> bool:
    from clearreel.rights.decisions import _in_force

    return k.status != "refused" and _in_force(k, dt.date.today())


def consents_of(session: Session, party: str) -> dict[str, Any]:
    """A party's consents with scope and status (`consent show`)."""
    p = _party(session, party)
    ks = session.scalars(select(Consent).where(Consent.party_id == p.id)
                         .order_by(Consent.kind, Consent.signed, Consent.id))
    return {"party": p.id, "name": p.name, "consents": [consent_doc(k) for k in ks]}


__all__ = ["Affected", "consent_doc", "consents_of", "grant", "revoke"]
