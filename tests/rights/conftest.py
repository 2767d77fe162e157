"""Fixtures for the rights registry tests: a small catalog, and a fast way to ask questions.

`BASE` is a catalog document; tests copy it, change what they test, and import it as a
new organization into one workspace per module (tenancy keeps the organizations apart,
and one workspace per module keeps the suite fast).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearreel.config import Settings

D = dt.date

BASE: dict[str, Any] = {
    "organization": {"id": "org-test", "name": "Test Pictures", "home_territory": "US"},
    "parties": [
        {"id": "p-studio", "name": "Test Pictures", "kind": "company"},
        {"id": "p-co", "name": "Co-Owner Films", "kind": "company"},
        {"id": "p-dist", "name": "Some Distributor", "kind": "company"},
        {"id": "p-ava", "name": "Ava Stone", "kind": "person"},
        {"id": "p-ben", "name": "Ben Reyes", "kind": "person"},
    ],
    "works": [
        {"id": "w-one", "title": "One", "kind": "film", "year": 2019,
         "participations": [
             {"party": "p-studio", "role": "studio", "points": 60},
             {"party": "p-co", "role": "rights_holder", "points": 20},
             {"party": "p-dist", "role": "producer"},
             {"party": "p-ava", "role": "performer", "character": "c-mara", "points": 10},
             {"party": "p-ben", "role": "performer", "character": "c-jon", "points": "2.5"},
         ]},
        {"id": "w-two", "title": "Two", "kind": "short",
         "participations": [
             {"party": "p-studio", "role": "studio"},
             {"party": "p-ava", "role": "performer", "character": "c-mara"},
             {"party": "p-ben", "role": "performer", "character": "c-jon"},
         ],
         "scenes": [{"start": "00:00:01.000", "end": "00:00:03.500", "performers": ["p-ava"]}]},
    ],
    "characters": [
        {"id": "c-mara", "name": "Mara", "owner": "p-studio", "performer": "p-ava"},
        {"id": "c-jon", "name": "Jon", "owner": "p-co", "performer": "p-ben", "aliases": ["Jonny"]},
    ],
    "licenses": [
        {"id": "l-main", "licensor": "p-studio", "licensee": "org-test", "works": "all",
         "uses": {"ai_training": "allowed", "ai_generative_training": "allowed",
                  "data_mining": "allowed", "ai_inference": "allowed"},
         "territories": ["WORLD"], "start": "2024-01-01", "end": "2026-12-31"},
    ],
    "consents": [
        {"id": "k-ava", "party": "p-ava", "kind": "training", "status": "granted", "works": "all",
         "signed": "2024-01-15", "expires": "2027-01-01"},
        {"id": "k-ben", "party": "p-ben", "kind": "training", "status": "granted",
         "signed": "2024-01-15"},
    ],
}


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def find(doc: dict[str, Any], coll: str, id_: str) -> dict[str, Any]:
    return next(x for x in doc[coll] if x["id"] == id_)


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One SQLite workspace for the module (each test imports its own organization)."""
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys

    s = Settings(home=tmp_path_factory.mktemp("rights") / "home", database_url=None, org=None)
    init_db(s)
    ensure_studio_keys(s)
    return s


class Registry:
    """A catalog imported as a fresh organization; `ask` opens a session bound to it."""

    def __init__(self, settings: Settings, doc: dict[str, Any], folder: Path):
        from clearreel.rights.catalog import import_catalog

        self.settings = settings
        self.org = f"org-{uuid.uuid4().hex[:10]}"
        doc = copy.deepcopy(doc)
        old = doc["organization"]["id"]
        doc["organization"]["id"] = self.org
        for lic in doc.get("licenses", []):
            if lic["licensee"] == old:
                lic["licensee"] = self.org
        self.doc = doc
        self.path = write(folder / f"{self.org}.yaml", doc)
        # A new organization in a workspace that holds others is imported with --org naming it.
        self.summary = import_catalog(dataclasses.replace(settings, org=self.org), self.path)

    def session(self) -> Any:
        from clearreel.db import open_session

        return open_session(self.settings, org=self.org)

    def use(self, work: str, use: str, on: dt.date, **kw: Any) -> Any:
        from clearreel.rights.clearance import check_use

        with self.session() as s:
            return check_use(s, work, use, on=on, **kw)

    def generation(self, **kw: Any) -> Any:
        from clearreel.rights.clearance import check_generation

        with self.session() as s:
            return check_generation(s, **kw)


@pytest.fixture
def registry(shared: Settings, tmp_path: Path) -> Callable[[dict[str, Any]], Registry]:
    return lambda doc: Registry(shared, doc, tmp_path)


def codes(decision: Any, effect: str | None = None) -> list[str]:
    return [r.code for r in decision.reasons if effect is None or r.effect == effect]
