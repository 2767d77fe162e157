"""Read-only views of the registry shared by the CLI (`catalog list`, `audit list`) and the web.

Every answer is scoped to the session's organization.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearreel.db import current_org
from clearreel.rights.models import (
    AuditEntry,
    Character,
    Consent,
    License,
    Organization,
    Party,
    Reservation,
    Work,
)


def organization(s: Session) -> dict[str, Any] | None:
    org = s.get(Organization, current_org(s))
    return ({"id": org.id, "name": org.name, "home_territory": org.home_territory}
            if org else None)


def consent_row(k: Consent) -> dict[str, Any]:
    return {"id": k.id, "party": k.party_id, "kind": k.kind, "status": k.status,
            "signed": k.signed, "expires": k.expires, "revoked": k.revoked}


def registry_lists(s: Session) -> dict[str, Any]:
    """`catalog list --json`: every work, party, character, licence and consent."""
    reserved = dict(s.execute(select(Reservation.work_pk, func.count())
                              .group_by(Reservation.work_pk)).all())
    media = dict(s.execute(select(Work.pk, func.count())
                           .join(Work.media).group_by(Work.pk)).all())
    return {
        "organization": organization(s),
        "works": [{"id": w.id, "title": w.title, "kind": w.kind, "year": w.year,
                   "media": int(media.get(w.pk, 0)), "reservations": reserved.get(w.pk, 0)}
                  for w in s.scalars(select(Work).order_by(Work.id))],
        "parties": [{"id": p.id, "name": p.name, "kind": p.kind}
                    for p in s.scalars(select(Party).order_by(Party.id))],
        "characters": [{"id": c.id, "name": c.name, "owner": c.owner_id,
                        "performer": c.performer_id}
                       for c in s.scalars(select(Character).order_by(Character.id))],
        "licenses": [{"id": lic.id, "licensor": lic.licensor_id, "licensee": lic.licensee,
                      "start": lic.start, "end": lic.end,
                      "uses": {g.use: g.value for g in lic.grants}}
                     for lic in s.scalars(select(License).order_by(License.id))],
        "consents": [consent_row(k) for k in s.scalars(select(Consent).order_by(Consent.id))],
    }


def audit_rows(s: Session, action: str | None = None, limit: int | None = 20,
               offset: int = 0) -> list[dict[str, Any]]:
    """`audit list --json` entries, newest first."""
    q = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if action:
        q = q.where(AuditEntry.action == action)
    if offset:
        q = q.offset(offset)
    if limit:
        q = q.limit(limit)
    return [{"seq": e.seq, "at": e.at, "action": e.action, "subject": e.subject,
             "payload": e.payload, "hash": e.hash} for e in s.scalars(q)]


__all__ = ["audit_rows", "consent_row", "organization", "registry_lists"]
