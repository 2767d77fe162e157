"""Ledger fixtures: a small registry (one studio, four parties, three works) on SQLite and PG."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from clearreel.config import Settings
from clearreel.db import open_session

ORG = "org-ledger"
# work -> [(party, role, points)]; w-none has credited people but nobody holds points.
WORKS: dict[str, list[tuple[str, str, str]]] = {
    "w-a": [
        ("p-studio", "studio", "60"),
        ("p-ava", "performer", "30"),
        ("p-ben", "director", "10"),
    ],
    "w-b": [("p-studio", "rights_holder", "50"), ("p-cy", "performer", "50")],
    "w-none": [("p-studio", "studio", "0"), ("p-ben", "writer", "0")],
}
PARTIES = {
    "p-studio": "Northlight Pictures",
    "p-ava": "Ava Stone",
    "p-ben": "Ben Ortiz",
    "p-cy": "Cy Park",
}


def seed(settings: Settings, works: dict[str, list[tuple[str, str, str]]] | None = None) -> None:
    """Write the registry rows the ledger reads (the catalog importer is another package)."""
    from clearreel.rights.models import Organization, Participation, Party, Work

    with open_session(settings, any_org=True) as s:
        s.add(Organization(id=ORG, name="Northlight Pictures", home_territory="US"))
    with open_session(settings, ORG) as s:
        for pid, name in PARTIES.items():
            s.add(Party(id=pid, name=name, kind="company" if pid == "p-studio" else "person"))
        for wid, parts in (works or WORKS).items():
            w = Work(id=wid, title=wid.upper(), kind="film")
            s.add(w)
            for party, role, points in parts:
                w.participations.append(
                    Participation(party_id=party, role=role, points=Decimal(points))
                )


def count_postings(settings: Settings) -> int:
    from clearreel.ledger.models import LedgerPosting

    with open_session(settings, ORG) as s:
        return int(s.scalar(select(func.count()).select_from(LedgerPosting)) or 0)


@pytest.fixture
def ledger_db(any_db: Settings) -> Iterator[Settings]:
    """A seeded registry on SQLite and PostgreSQL."""
    seed(any_db)
    yield any_db


@pytest.fixture
def ledger_ws(workspace: Settings) -> Iterator[Settings]:
    """A seeded registry on SQLite only."""
    seed(workspace)
    yield workspace
