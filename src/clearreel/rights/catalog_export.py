"""Exporting the registry as a catalog document (the contract's shape): `export_catalog`,
one entry with what relates to it (`show_entry`), and `dump_catalog` to YAML or JSON.

The `*_doc` helpers write one registry row in catalog shape; the import compares the
registry's state before and after in that same shape (`catalog._registry_docs`), so an
export imported into an empty registry gives the same registry.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.errors import UsageError
from clearreel.rights.models import (
    Character,
    Consent,
    License,
    Organization,
    Party,
    Reservation,
    Work,
)


def _time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{sec:02d}.{milli:03d}"


def _points(d: Decimal) -> int | str:
    d = Decimal(d)
    return int(d) if d == d.to_integral_value() else format(d.normalize(), "f")


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _party_doc(p: Party) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "kind": p.kind,
            **({"references": list(p.references)} if p.references else {}),
            **({"aliases": list(p.aliases)} if p.aliases else {})}


def _work_doc(w: Work) -> dict[str, Any]:
    return _drop_none({
        "id": w.id, "title": w.title, "kind": w.kind, "year": w.year,
        "eidr": w.eidr, "fps": w.fps,
        "media": [m.uri for m in w.media], "subtitles": list(w.subtitles),
        "participations": [_drop_none({"party": p.party_id, "role": p.role,
                                       "character": p.character_id,
                                       "points": _points(p.points)})
                           for p in w.participations],
        "scenes": [_drop_none({"start": _time(sc.start_ms), "end": _time(sc.end_ms),
                               "performers": list(sc.performers),
                               "characters": list(sc.characters), "notes": sc.notes,
                               "media": sc.media})
                   for sc in w.scenes],
    })


def _character_doc(c: Character) -> dict[str, Any]:
    return _drop_none({"id": c.id, "name": c.name, "owner": c.owner_id,
                       "performer": c.performer_id,
                       **({"aliases": list(c.aliases)} if c.aliases else {})})


def _license_doc(lic: License) -> dict[str, Any]:
    return _drop_none({"id": lic.id, "licensor": lic.licensor_id, "licensee": lic.licensee,
                       "works": "all" if lic.works is None else list(lic.works),
                       "uses": {g.use: g.value for g in lic.grants},
                       "territories": list(lic.territories),
                       "exclude_territories": list(lic.exclude_territories),
                       "start": lic.start, "end": lic.end, "exclusive": lic.exclusive})


def _consent_doc(k: Consent) -> dict[str, Any]:
    return _drop_none({"id": k.id, "party": k.party_id, "kind": k.kind, "status": k.status,
                       "works": "all" if k.works is None else list(k.works),
                       "projects": k.projects, "purposes": k.purposes,
                       "description": k.description, "signed": k.signed, "expires": k.expires,
                       "revoked": k.revoked, "evidence": k.evidence})


def export_catalog(session: Session) -> dict[str, Any]:
    """The registry of the session's organization as a catalog document (contract shape).

    Importing the result into an empty registry gives the same registry; media paths are
    written as stored (absolute paths or URLs)."""
    from clearreel.db import current_org

    org = session.get(Organization, current_org(session))
    if org is None:
        raise UsageError("the registry has no such organization: import a catalog first")
    return {
        "organization": _drop_none({"id": org.id, "name": org.name,
                                    "home_territory": org.home_territory}),
        "parties": [_party_doc(p) for p in session.scalars(select(Party).order_by(Party.id))],
        "works": [_work_doc(w) for w in session.scalars(select(Work).order_by(Work.id))],
        "characters": [_character_doc(c)
                       for c in session.scalars(select(Character).order_by(Character.id))],
        "licenses": [_license_doc(lic)
                     for lic in session.scalars(select(License).order_by(License.id))],
        "consents": [_consent_doc(k)
                     for k in session.scalars(select(Consent).order_by(Consent.id))],
    }


def show_entry(session: Session, id_: str) -> dict[str, Any]:
    """One entry by id (any kind), in catalog shape, with what relates to it."""
    from clearreel.errors import NotFound

    def one(model: Any) -> Any:
        return session.scalars(select(model).where(model.id == id_)).first()

    if (w := one(Work)) is not None:
        doc = {"type": "work", **_work_doc(w)}
        doc["media_status"] = [_drop_none({"uri": m.uri, "status": m.status, "sha256": m.sha256,
                                           "quarantine_reason": m.quarantine_reason})
                               for m in w.media]
        doc["reservations"] = [{"use": r.use, "value": r.value, "source": r.source, "raw": r.raw}
                               for r in session.scalars(select(Reservation)
                                                        .where(Reservation.work_pk == w.pk)
                                                        .order_by(Reservation.pk))]
        doc["licenses"] = [lic.id for lic in session.scalars(select(License).order_by(License.id))
                           if lic.works is None or w.id in lic.works]
        return doc
    if (p := one(Party)) is not None:
        doc = {"type": "party", **_party_doc(p)}
        doc["participations"] = [
            _drop_none({"work": w.id, "role": pa.role, "character": pa.character_id})
            for w in session.scalars(select(Work).order_by(Work.id))
            for pa in w.participations if pa.party_id == p.id]
        doc["licenses"] = list(session.scalars(select(License.id).where(
            (License.licensor_id == p.id) | (License.licensee == p.id)).order_by(License.id)))
        doc["consents"] = list(session.scalars(select(Consent.id).where(Consent.party_id == p.id)
                                               .order_by(Consent.id)))
        doc["characters"] = list(session.scalars(select(Character.id).where(
            (Character.owner_id == p.id) | (Character.performer_id == p.id))
            .order_by(Character.id)))
        return doc
    if (c := one(Character)) is not None:
        doc = {"type": "character", **_character_doc(c)}
        doc["works"] = [w.id for w in session.scalars(select(Work).order_by(Work.id))
                        if any(pa.character_id == c.id for pa in w.participations)
                        or any(c.id in sc.characters for sc in w.scenes)]
        return doc
    if (lic := one(License)) is not None:
        return {"type": "license", **_license_doc(lic)}
    if (k := one(Consent)) is not None:
        return {"type": "consent", **_consent_doc(k)}
    raise NotFound(f"no work, party, character, licence or consent with id {id_!r}: "
                   "see `clearreel catalog list`")


def dump_catalog(doc: dict[str, Any], fmt: Literal["yaml", "json"] = "yaml") -> str:
    """Serialize a catalog document (dates as ISO 8601)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False, default=lambda o: o.isoformat()) + "\n"
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)



__all__ = ["dump_catalog", "export_catalog", "show_entry"]
