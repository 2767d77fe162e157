"""The registry as the clearance engine reads it, loaded once per session and cached:
licences, consents, characters, party names and the consent mode at first use; works one by
one, or all at once when many are asked about (curation, one question per clip); each
work's embedded reservations; and who is present in a work by the presence rule
(`rights.presence`) and who plays a character (the casting rule).

`Clearance` (clearance.py) applies the contract's rules on top of it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from clearreel.db import current_org
from clearreel.errors import NotFound, UsageError
from clearreel.rights.decisions import _ids
from clearreel.rights.models import (
    Character,
    Consent,
    License,
    MediaAsset,
    Organization,
    Party,
    Reservation,
    Setting,
    Work,
    registry_version,
)
from clearreel.rights.names import NameIndex

CONSENT_MODES = ("strict", "unless_refused")
BULK_LOAD_WORKS = 20_000


@dataclass(frozen=True)
class _Static:
    """What every question reads whatever the work: the home territory, the licences with
    their grants, the characters, the party names and the registry's consent mode setting.
    Read only: shared by the sessions that see the same registry version."""

    home: str | None
    licenses: list[License]
    characters: dict[str, Character]
    party_names: dict[str, str]
    consent_mode: Any


# The static part of the registry, by database, organization and registry version
# (`rights.models.registry_version`, which every committed registry write replaces, in any
# process), so that one question (a web request, a `generate` re-check) reads the version
# instead of the whole registry. The rows are detached (expunged), fully loaded ORM objects:
# nothing writes to them, and nothing about them is read lazily.
_SHARED: OrderedDict[tuple[Any, ...], _Static] = OrderedDict()
_SHARED_LOCK = threading.Lock()
SHARED_SIZE = 16


def _read_static(s: Session, org_id: str | None) -> _Static:
    org = s.get(Organization, org_id)
    row = s.scalars(select(Setting).where(Setting.key == "consent_mode")).first()
    return _Static(
        home=org.home_territory if org else None,
        licenses=list(s.scalars(select(License).options(selectinload(License.grants))
                                .order_by(License.id))),
        characters={c.id: c for c in s.scalars(select(Character))},
        party_names=dict(s.execute(select(Party.id, Party.name)).all()),
        consent_mode=row.value if row is not None else None)


def _shared(s: Session, org_id: str | None) -> _Static:
    """The static part for this session: shared under the registry version read first. A
    registry that was never versioned, a session with unflushed writes of its own, or one
    that already holds licence or character rows (which it may go on to change: they must
    stay its own, not be expunged into what others share) reads its rows."""
    version = registry_version(s)  # before the rows: what it versions is read after it
    if (version is None or s.new or s.dirty or s.deleted
            or any(isinstance(o, License | Character) for o in s.identity_map.values())):
        return _read_static(s, org_id)
    key = (s.get_bind().engine.url, org_id, version)
    with _SHARED_LOCK:
        hit = _SHARED.get(key)
        if hit is not None:
            _SHARED.move_to_end(key)
            return hit
    got = _read_static(s, org_id)
    # Out of this session (grants with their licence): a later write or rollback of this
    # session cannot change or expire what other sessions share; a query of the same rows
    # in this session loads its own copies.
    for obj in (*got.licenses, *got.characters.values()):
        s.expunge(obj)
    with _SHARED_LOCK:
        _SHARED[key] = got
        while len(_SHARED) > SHARED_SIZE:
            _SHARED.popitem(last=False)
    return got


class _Consents:
    """Each party's consents (ordered by signing date, then id), read on first ask: a single
    question (`rights check`, a web page) reads the few parties it names; once more than
    `BULK_PARTIES` parties were asked (curation, the matrix), every consent in one query."""

    BULK_PARTIES = 8

    def __init__(self, session: Session):
        self.session = session
        self._by_party: dict[str, list[Consent]] = {}
        self._all = False

    def get(self, party: str, default: Any = None) -> list[Consent]:  # dict.get's shape
        if party not in self._by_party and not self._all:
            if len(self._by_party) >= self.BULK_PARTIES:
                self._load_all()
            else:
                self._by_party[party] = list(self.session.scalars(
                    select(Consent).where(Consent.party_id == party)
                    .order_by(Consent.signed, Consent.id)))
        return self._by_party.get(party, [] if default is None else default)

    def preload(self, parties: Sequence[str]) -> None:
        """Read the consents of these parties in one query (a work's performers)."""
        missing = sorted({p for p in parties if p not in self._by_party})
        if self._all or not missing:
            return
        if len(self._by_party) + len(missing) > self.BULK_PARTIES:
            self._load_all()
            return
        found: dict[str, list[Consent]] = {p: [] for p in missing}
        for k in self.session.scalars(select(Consent).where(Consent.party_id.in_(missing))
                                      .order_by(Consent.signed, Consent.id)):
            found[k.party_id].append(k)
        self._by_party.update(found)

    def _load_all(self) -> None:
        found: dict[str, list[Consent]] = defaultdict(list)
        for k in self.session.scalars(select(Consent).order_by(Consent.signed, Consent.id)):
            found[k.party_id].append(k)
        self._by_party = dict(found)
        self._all = True


class RegistryView:
    """The registry of the session's organization, cached for the clearance engine. Call
    `invalidate()` to read it again (after a change to a rights table)."""

    def __init__(self, session: Session, *, consent_mode: str | None = None):
        self.session = session
        self.org = current_org(session)
        self._consent_mode = consent_mode
        self._loaded = False

    # ------------------------------------------------------------------ loading
    def invalidate(self) -> None:
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        s = self.session
        shared = _shared(s, self.org)
        self.home, self.licenses = shared.home, shared.licenses
        self.characters, self.party_names = shared.characters, shared.party_names
        self.consents = _Consents(s)
        self.works: dict[str, Work | None] = {}
        self._presence: dict[str, list[str]] = {}
        self._facts: dict[str, Any] = {}
        self._names: Any = None
        self._reservations: dict[int, list[tuple[Reservation, str | None]]] = {}
        self._all_works_loaded = False
        self._all_reservations_loaded = False
        mode = self._consent_mode or s.info.get("consent_mode") or shared.consent_mode
        if mode is None:
            from clearreel.config import Settings

            mode = Settings().consent_mode
        if mode not in CONSENT_MODES:
            raise UsageError(f"unknown consent mode {mode!r}: expected one of "
                             f"{', '.join(CONSENT_MODES)}")
        self.mode = mode
        self._loaded = True

    def work(self, work_id: str) -> Work:
        self._load()
        if (work_id not in self.works and not self._all_works_loaded
                and len(self.works) >= 3 and self._few_works()):
            # Asked about many works (curation, one question per clip): one bulk load beats a
            # query per work. A single question (the CLI) loads only its work.
            self._all_works()
        if work_id not in self.works:
            self.works[work_id] = self.session.scalars(
                select(Work).where(Work.id == work_id).options(
                    selectinload(Work.participations), selectinload(Work.scenes),
                    selectinload(Work.media))).first()
        w = self.works[work_id]
        if w is None:
            raise NotFound(f"unknown work {work_id!r}: see `clearreel catalog list`")
        return w

    def preload(self, work_ids: Sequence[str]) -> None:
        """Load these works in one query, so that a report about a page of works (the web
        studio's matrix) neither queries per work nor loads the whole registry."""
        self._load()
        missing = [w for w in work_ids if w not in self.works]
        if missing:
            for w in self.session.scalars(select(Work).where(Work.id.in_(missing)).options(
                    selectinload(Work.participations), selectinload(Work.scenes),
                    selectinload(Work.media))):
                self.works[w.id] = w

    def _few_works(self) -> bool:
        """Few enough works to load them all at once (see `work`)."""
        n = self.session.scalar(select(func.count()).select_from(Work)) or 0
        return n <= BULK_LOAD_WORKS

    def _all_works(self) -> list[Work]:
        self._load()
        if not self._all_works_loaded:
            for w in self.session.scalars(select(Work).options(
                    selectinload(Work.participations), selectinload(Work.scenes),
                    selectinload(Work.media))):
                self.works[w.id] = w
            self._all_works_loaded = True
        return [w for w in self.works.values() if w is not None]

    def _work_reservations(self, w: Work) -> list[tuple[Reservation, str | None]]:
        if self._all_works_loaded and not self._all_reservations_loaded:
            # Every work is loaded (many questions): every reservation in one query, even if
            # a few works asked first had theirs read one by one.
            found: dict[int, list[tuple[Reservation, str | None]]] = {
                x.pk: [] for x in self.works.values() if x is not None}
            for res, uri in self.session.execute(
                    select(Reservation, MediaAsset.uri)
                    .outerjoin(MediaAsset, MediaAsset.pk == Reservation.media_pk)
                    .order_by(Reservation.pk)).all():
                found.setdefault(res.work_pk, []).append((res, uri))
            self._reservations.update(found)
            self._all_reservations_loaded = True
        if w.pk not in self._reservations:
            rows = self.session.execute(
                select(Reservation, MediaAsset.uri)
                .outerjoin(MediaAsset, MediaAsset.pk == Reservation.media_pk)
                .where(Reservation.work_pk == w.pk).order_by(Reservation.pk)).all()
            self._reservations[w.pk] = list(rows)
        return self._reservations[w.pk]

    def name(self, party: str | None) -> str:
        if party is None:
            return "?"
        n = self.party_names.get(party)
        return f"{n} ({party})" if n else party

    # ------------------------------------------------------------------ presence
    def credited_performers(self, work_id: str) -> list[str]:
        w = self.work(work_id)
        return _ids(p.party_id for p in w.participations if p.role == "performer")

    def facts(self, work_id: str) -> Any:
        """The work's presence facts (`clearreel.rights.presence.WorkFacts`), cached."""
        from clearreel.rights import presence

        w = self.work(work_id)
        if work_id not in self._facts:
            if self._names is None and w.subtitles:  # only speaker labels need the names
                self._names = presence.name_index(self.session)
            self._facts[work_id] = presence.facts_from_rows(
                w, self.characters, self._names if w.subtitles else NameIndex())
        return self._facts[work_id]

    def present_performers(self, work_id: str) -> tuple[list[str], str]:
        """Who is present anywhere in the work by the presence rule (`rights.presence`), and
        on what evidence."""
        from clearreel.rights import presence

        if work_id in self._presence:
            self.work(work_id)
            return self._presence[work_id], "cached"
        p = presence.work_presence(self.facts(work_id))
        self._presence[work_id] = list(p.performers)
        how = ", ".join(sorted({src for v in p.evidence.values() for src in v})) or "nobody"
        return self._presence[work_id], how

    def cast(self, character: str, works: Sequence[str] | None = None) -> list[str]:
        """Who plays `character` (the casting rule): in the given works, else in any work
        plus the character's own `performer`."""
        from clearreel.rights.presence import cast

        c = self.characters.get(character)
        default = c.performer_id if c is not None else None
        pool = [self.work(w) for w in works] if works else self._all_works()
        out: list[str] = []
        for w in pool:
            pairs = [(p.party_id, p.character_id) for p in w.participations]
            out += cast(character, pairs, default) if works else [
                p for p, ch in pairs if ch == character]
        if not works and default:
            out.append(default)
        return _ids(out)


__all__ = ["BULK_LOAD_WORKS", "CONSENT_MODES", "RegistryView"]
