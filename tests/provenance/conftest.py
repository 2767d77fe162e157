"""A workspace with a small studio imported, for provenance and generation tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearreel.config import Settings

CATALOG: dict[str, Any] = {
    "organization": {"id": "org-north", "name": "Northlight Pictures", "home_territory": "US"},
    "parties": [
        {"id": "p-north", "name": "Northlight Pictures", "kind": "company"},
        {"id": "p-co", "name": "Harbour Co-Productions", "kind": "company"},
        {"id": "p-ava", "name": "Ava Stone", "kind": "person"},
        {"id": "p-ben", "name": "Ben Reyes", "kind": "person"},
        {"id": "p-zoe", "name": "Zoë Park", "kind": "person"},
    ],
    "works": [
        {"id": "w-harbor", "title": "Harbor Lights", "kind": "film", "year": 2019,
         "participations": [
             {"party": "p-north", "role": "studio", "points": 60},
             {"party": "p-co", "role": "rights_holder", "points": 20},
             {"party": "p-ava", "role": "performer", "character": "c-mara", "points": 10},
             {"party": "p-ben", "role": "performer", "character": "c-jon", "points": 5},
             {"party": "p-zoe", "role": "performer", "points": 5},
         ]},
    ],
    "characters": [
        {"id": "c-mara", "name": "Mara", "owner": "p-north", "performer": "p-ava"},
        {"id": "c-jon", "name": "Jon Harker", "owner": "p-co", "performer": "p-ben",
         "aliases": ["Jonny"]},
        {"id": "c-gull", "name": "The Gull", "owner": "p-north"},
    ],
    "licenses": [
        {"id": "l-north", "licensor": "p-north", "licensee": "org-north", "works": "all",
         "uses": {"ai_training": "allowed", "ai_generative_training": "allowed",
                  "ai_inference": "allowed", "character_generation": "allowed"},
         "territories": ["WORLD"], "start": "2024-01-01"},
    ],
    "consents": [
        {"id": "k-ava-dr", "party": "p-ava", "kind": "digital_replica", "status": "granted",
         "works": "all", "projects": ["proj-a"], "purposes": ["previz"],
         "description": "Digital replica for previsualisation of project A",
         "signed": "2024-02-01"},
        {"id": "k-ben-dr", "party": "p-ben", "kind": "digital_replica", "status": "granted",
         "signed": "2024-02-01"},
        {"id": "k-zoe-dr", "party": "p-zoe", "kind": "digital_replica", "status": "refused",
         "signed": "2024-02-01"},
    ],
}


def catalog() -> dict[str, Any]:
    return copy.deepcopy(CATALOG)


def _loader(settings: Settings, tmp_path: Path) -> Callable[..., Settings]:
    from clearreel.rights.catalog import import_catalog

    def load(doc: dict[str, Any] | None = None) -> Settings:
        path = tmp_path / "catalog.yaml"
        path.write_text(yaml.safe_dump(doc or catalog(), sort_keys=False, allow_unicode=True))
        import_catalog(settings, path)
        return settings

    return load


@pytest.fixture
def studio(workspace: Settings, tmp_path: Path) -> Callable[..., Settings]:
    """Import a (possibly edited) catalog into the workspace; returns the settings."""
    return _loader(workspace, tmp_path)


def index_tiny_dataset(settings: Settings, name: str) -> None:
    """A real signed dataset `name` of four rendered training clips of two works
    (tests/dataset/registry.py), fingerprinted into its FAISS index: the copy guard and
    attribution run on it as on a curated dataset."""
    from clearreel.attribution import index_dataset
    from clearreel.attribution.robustness import render_procedural
    from dataset.registry import packed_dataset

    w, h, t = TINY_CLIP
    clips = {f"clip-{i}": (("w-harbor", "w-other")[i % 2], render_procedural(i, w, h, t))
             for i in range(4)}
    packed_dataset(settings, name, clips, TINY_FPS)
    index_dataset(settings, name)


# Width, height and frame count of the indexed training clips, and their rate.
TINY_CLIP = (96, 54, 40)
TINY_FPS = 16


@pytest.fixture
def studio_any_db(any_db: Settings, tmp_path: Path) -> Callable[..., Settings]:
    """The same on SQLite and PostgreSQL (`pg` marker; CLEARREEL_TEST_PG_URL)."""
    return _loader(any_db, tmp_path)
