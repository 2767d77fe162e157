"""The catalog file (ARCHITECTURE.md, "Catalog file (contract)"): load, validate, import, export.

A catalog is YAML or JSON. It is validated whole before anything is written: structure and
types by the pydantic models (`catalog_schema`; unknown keys are errors), then
cross-references, dates and ids (`catalog_validate`). Every problem is reported as
`file:line: message`, the line taken from the YAML node marks (`catalog_read`; JSON is read
by the same composer, so JSON files get line numbers too).

A valid catalog is upserted by id in one transaction (here): rows that exist are updated only
where they differ, so importing the same file twice changes nothing. Nothing is deleted:
an id missing from the file is left as it is. The file is merged onto the registry first
(`_merge`); the registry is written back out in catalog shape by `catalog_export`.

This module is the catalog's face: it exports the public names of all of these.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.config import Settings
from clearreel.errors import CatalogError
from clearreel.rights.catalog_export import (
    _character_doc,
    _consent_doc,
    _drop_none,
    _license_doc,
    _party_doc,
    _work_doc,
    dump_catalog,
    export_catalog,
    show_entry,
)
from clearreel.rights.catalog_read import _indexed, _read, _Reader
from clearreel.rights.catalog_schema import (
    Catalog,
    CharacterSpec,
    ConsentSpec,
    LicenseSpec,
    OrganizationSpec,
    ParticipationSpec,
    PartySpec,
    SceneSpec,
    SubtitleSpec,
    WorkSpec,
)
from clearreel.rights.catalog_validate import _validate, load_catalog
from clearreel.rights.models import (
    Character,
    Consent,
    Grant,
    License,
    MediaAsset,
    Organization,
    Participation,
    Party,
    Scene,
    Work,
)
from clearreel.util.uri import file_path


class _Counter:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.unchanged = 0

    def count(self, kind: str, created: bool, changed: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1
        elif changed:
            self.updated[kind] = self.updated.get(kind, 0) + 1
        else:
            self.unchanged += 1


def _assign(obj: Any, **fields: Any) -> bool:
    """Set only the fields that differ; True when something changed."""
    changed = False
    for k, v in fields.items():
        if getattr(obj, k) != v:
            setattr(obj, k, v)
            changed = True
    return changed


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def import_catalog(settings: Settings, path: str | Path, *, scan: bool = True,
                   dry_run: bool = False, document: dict[str, Any] | None = None,
                   action: str = "catalog.import",
                   on_clearance_change: Callable[[Session], None] | None = None
                   ) -> dict[str, Any]:
    """Validate the file merged onto the registry, then upsert it in one transaction.

    A file changes what it states and nothing else (see `_merge`): omitted fields keep their
    value, children are merged by key, nothing is removed; its entities may reference ones
    already in the registry. A catalog only writes the organization it is imported into
    (`db.orgs.import_target`): `settings.org` when set (which the catalog must declare), else
    the workspace's only organization; a new organization needs `--org` naming it once the
    workspace holds another. `scan` reads machine-readable reservations
    (IPTC, CAWG/C2PA, TDMRep) from local media files and records them. `dry_run` computes the
    same result and writes nothing. Returns a summary of what changed, with `changes`: per
    entity and field, the old and the new value.

    `on_clearance_change(session)` runs in the import's transaction when it changed what
    clears training (`_changes_clearance`): the interfaces import through
    `clearreel.train.downstream.import_catalog`, which records the models' suspensions there.
    """
    from clearreel.db import check_schema, connect, open_session
    from clearreel.db.orgs import import_target, workspace_id
    from clearreel.rights import _merge, audit

    path = Path(path)
    # `document`: a catalog-shaped document that an importer of another format (shot lists,
    # EMA Avails) built from the file at `path`, validated and written the same way.
    doc, r = _read(path) if document is None else (document, _Reader(str(path)))
    org_doc = doc.get("organization") if isinstance(doc, dict) else None
    org_id = org_doc.get("id") if isinstance(org_doc, dict) else None
    if not isinstance(org_id, str) or not org_id:
        _validate(doc, r, path)  # raises, with the file's problems
        raise CatalogError([f"{r.file}:1: missing required field 'organization'"])
    engine = connect(settings)
    check_schema(engine)
    import_target(settings, engine, org_id)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    n = _Counter()
    warnings: list[str] = []
    with open_session(settings, org=org_id, any_org=True) as s:
        org = s.get(Organization, org_id)
        before: dict[str, dict[str, dict[str, Any]]] = {}

        def merge(d: dict[str, Any]) -> tuple[dict[str, Any], dict[str, set[str]]]:
            before.update(_registry_docs(s, _merge.stated_ids(d)))
            old_org = None if org is None else _drop_none(
                {"id": org.id, "name": org.name, "home_territory": org.home_territory})
            return _merge.merge_document(d, before, old_org), _known_ids(s)

        cat = _validate(doc, r, path, merge)
        embedded = _check_face_references(s, cat, doc, r)  # CatalogError: nothing written
        if org is None:
            org = Organization(id=org_id, name=cat.organization.name,
                               home_territory=cat.organization.home_territory,
                               workspace=workspace_id(settings))
            s.add(org)
            s.flush()
            n.count("organizations", True, False)
        else:
            n.count("organizations", False, _assign(org, name=cat.organization.name,
                                                    home_territory=cat.organization.home_territory))
        _upsert(s, cat, n)
        s.flush()
        from clearreel.rights.likeness import store_references

        references = store_references(s, embedded, [p.id for p in cat.parties])
        changes = _merge.diff(before, _registry_docs(s, _merge.stated_ids(doc)))
        reservations = 0
        if scan and not dry_run:
            reservations, warnings = scan_reservations(s, [w.id for w in cat.works])
        summary = {
            "organization": org_id, "file": str(path.resolve()), "sha256": sha,
            "dry_run": dry_run,
            "created": n.created, "updated": n.updated, "unchanged": n.unchanged,
            "counts": {"parties": len(cat.parties), "works": len(cat.works),
                       "characters": len(cat.characters), "licenses": len(cat.licenses),
                       "consents": len(cat.consents)},
            "changes": changes, "reservations": reservations, "warnings": warnings,
            "references": references,
        }
        if dry_run:
            s.rollback()
            return summary
        audit.record(s, action, str(path.resolve()), sha256=sha, created=n.created,
                     updated=n.updated, reservations=reservations,
                     changes=[{k: c[k] for k in ("entity", "id", "field")} for c in changes][:500])
        if on_clearance_change is not None and _changes_clearance(changes):
            on_clearance_change(s)
    if not dry_run:
        from clearreel.provenance.keys import ensure_org_keys

        ensure_org_keys(settings, org_id, cat.organization.name)  # its own key and CA, once
    return summary


def _check_face_references(s: Session, cat: Catalog, doc: Any, r: _Reader) -> list[Any]:
    """Every face reference of the file's parties shows exactly one face (else a catalog
    error naming the photo); new or changed photos are embedded here, once
    (`clearreel.rights.likeness`)."""
    from clearreel.rights.likeness import check_references

    stated = {p.get("id"): i for i, p in _indexed(doc, "parties")}

    def where(pid: str) -> Callable[[int], str]:
        i = stated.get(pid)
        return lambda j: (f"{r.file}:{r.line(('parties', i, 'references', j))}: "
                          f"parties[{i}].references[{j}]" if i is not None
                          else f"{r.file}: party {pid} references[{j}]")

    todo = [(p.id, [x.model_dump() for x in p.references], where(p.id))
            for p in cat.parties if p.references]
    embedded, problems = check_references(s, todo)
    if problems:
        raise CatalogError(problems)
    return embedded


def _changes_clearance(changes: list[dict[str, Any]]) -> bool:
    """Whether an import changed what clears training (a consent, a licence, a work's or a
    character's facts): models trained before it may be suspended now."""
    return any(c["entity"] in ("consent", "license", "work", "character") and c["field"]
               for c in changes)


def _registry_docs(s: Session, ids: dict[str, list[str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The registry's state of the named entities, in catalog shape (the export's)."""
    from sqlalchemy.orm import selectinload

    models = {"parties": (Party, _party_doc), "works": (Work, _work_doc),
              "characters": (Character, _character_doc), "licenses": (License, _license_doc),
              "consents": (Consent, _consent_doc)}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for coll, (model, to_doc) in models.items():
        want = sorted(set(ids.get(coll, [])))
        out[coll] = {}
        for k in range(0, len(want), 500):
            q = select(model).where(model.id.in_(want[k:k + 500]))
            if model is Work:
                q = q.options(selectinload(Work.media), selectinload(Work.participations),
                              selectinload(Work.scenes))
            elif model is License:
                q = q.options(selectinload(License.grants))
            for o in s.scalars(q):
                out[coll][o.id] = to_doc(o)
    return out


def _known_ids(s: Session) -> dict[str, set[str]]:
    return {"parties": set(s.scalars(select(Party.id))),
            "works": set(s.scalars(select(Work.id))),
            "characters": set(s.scalars(select(Character.id)))}


def _by_id(s: Session, model: Any) -> dict[str, Any]:
    from sqlalchemy.orm import selectinload

    q = select(model)
    if model is Work:  # compared child by child: load them in 3 queries, not 3 per work
        q = q.options(selectinload(Work.media), selectinload(Work.participations),
                      selectinload(Work.scenes))
    elif model is License:
        q = q.options(selectinload(License.grants))
    return {o.id: o for o in s.scalars(q)}


def _upsert(s: Session, cat: Catalog, n: _Counter) -> None:
    parties = _by_id(s, Party)
    for p in cat.parties:
        refs = [r.model_dump() for r in p.references]
        obj = parties.get(p.id)
        if obj is None:
            s.add(Party(id=p.id, name=p.name, kind=p.kind, references=refs,
                        aliases=list(p.aliases)))
            n.count("parties", True, False)
        else:
            n.count("parties", False, _assign(obj, name=p.name, kind=p.kind, references=refs,
                                              aliases=list(p.aliases)))

    works = _by_id(s, Work)
    for w in cat.works:
        obj = works.get(w.id)
        created = obj is None
        if obj is None:
            obj = Work(id=w.id, title=w.title, kind=w.kind, year=w.year,
                       subtitles=[x.stored() for x in w.subtitles], eidr=w.eidr,
                       fps=w.fps)
            s.add(obj)
            changed = False
        else:
            changed = _assign(obj, title=w.title, kind=w.kind, year=w.year,
                              subtitles=[x.stored() for x in w.subtitles], eidr=w.eidr,
                              fps=w.fps)
        changed |= _sync_work_children(obj, w)
        n.count("works", created, changed)

    chars = _by_id(s, Character)
    fields: dict[str, Any]
    for ch in cat.characters:
        fields = {"name": ch.name, "owner_id": ch.owner, "performer_id": ch.performer,
                  "aliases": list(ch.aliases)}
        obj = chars.get(ch.id)
        if obj is None:
            s.add(Character(id=ch.id, **fields))
            n.count("characters", True, False)
        else:
            n.count("characters", False, _assign(obj, **fields))

    lics = _by_id(s, License)
    for lic in cat.licenses:
        fields = {"licensor_id": lic.licensor, "licensee": lic.licensee, "works": lic.works,
                  "territories": list(lic.territories),
                  "exclude_territories": list(lic.exclude_territories),
                  "start": lic.start, "end": lic.end, "exclusive": lic.exclusive}
        obj = lics.get(lic.id)
        uses = dict(lic.uses)
        if obj is None:
            s.add(License(id=lic.id, **fields,
                          grants=[Grant(use=u, value=v) for u, v in sorted(uses.items())]))
            n.count("licenses", True, False)
            continue
        changed = _assign(obj, **fields)
        have = {g.use: g for g in obj.grants}
        for u, g in list(have.items()):
            if u not in uses:
                obj.grants.remove(g)
                changed = True
        for u, v in uses.items():
            if u not in have:
                obj.grants.append(Grant(use=u, value=v))
                changed = True
            elif have[u].value != v:
                have[u].value = v
                changed = True
        n.count("licenses", False, changed)

    consents = _by_id(s, Consent)
    for k in cat.consents:
        fields = {"party_id": k.party, "kind": k.kind, "status": k.status, "works": k.works,
                  "projects": k.projects, "purposes": k.purposes, "description": k.description,
                  "signed": k.signed, "expires": k.expires, "revoked": k.revoked,
                  "evidence": k.evidence}
        obj = consents.get(k.id)
        if obj is None:
            s.add(Consent(id=k.id, **fields))
            n.count("consents", True, False)
        else:
            n.count("consents", False, _assign(obj, **fields))


def _sync_work_children(obj: Work, w: WorkSpec) -> bool:
    changed = False
    # Media rows carry what curation learnt (probe, sha256, quarantine): keep them by URI.
    have = {m.uri: m for m in obj.media}
    for uri, m in list(have.items()):
        if uri not in w.media:
            obj.media.remove(m)
            changed = True
    for uri in w.media:
        if uri not in have:
            obj.media.append(MediaAsset(uri=uri))
            changed = True

    want_p = [(p.party, p.role, p.character, p.points) for p in w.participations]
    have_p = [(p.party_id, p.role, p.character_id, Decimal(p.points)) for p in obj.participations]
    if want_p != have_p:
        obj.participations = [Participation(party_id=a, role=b, character_id=c, points=d)
                              for a, b, c, d in want_p]
        changed = True

    want_s = sorted((_ms(sc.start), _ms(sc.end), list(sc.performers), list(sc.characters),
                      sc.notes or "", sc.media or "") for sc in w.scenes)
    have_s = sorted((sc.start_ms, sc.end_ms, list(sc.performers), list(sc.characters),
                      sc.notes or "", sc.media or "") for sc in obj.scenes)
    if want_s != have_s:
        obj.scenes = [Scene(start_ms=a, end_ms=b, performers=c, characters=d, notes=e or None,
                            media=f or None)
                      for a, b, c, d, e, f in want_s]
        changed = True
    return changed


def scan_reservations(s: Session, works: Iterable[str] | None = None) -> tuple[int, list[str]]:
    """Read reservations from the local media of `works` (all when None) and sync the
    `Reservation` rows of each file: rows that are still found are kept as they are.

    Returns (reservations now recorded for those media, warnings)."""
    from clearreel.rights.reservations import read_reservations, sync_reservations

    q = select(Work)
    if works is not None:
        q = q.where(Work.id.in_(list(works)))
    total = 0
    warnings: list[str] = []
    for work in s.scalars(q):
        for m in work.media:
            p = file_path(m.uri)
            if p is None:
                continue  # remote media: scanned by curation when fetched
            if not p.exists():
                warnings.append(f"{work.id}: media file {m.uri} does not exist (yet)")
                continue
            try:
                found = read_reservations(p)
            except OSError as e:
                warnings.append(f"{work.id}: cannot read {m.uri} for reservations: {e}")
                continue
            total += sync_reservations(s, work.pk, m.pk, found)
    s.flush()
    return total, warnings



__all__ = [
    "Catalog", "CharacterSpec", "ConsentSpec", "LicenseSpec", "OrganizationSpec",
    "ParticipationSpec", "PartySpec", "SceneSpec", "SubtitleSpec", "WorkSpec", "dump_catalog",
    "export_catalog", "import_catalog", "load_catalog", "scan_reservations", "show_entry",
]
