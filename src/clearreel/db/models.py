"""Imports every package's ORM models so that Alembic sees the whole schema."""

from __future__ import annotations

import importlib

# Each stage that stores records registers its models module here.
MODEL_MODULES = [
    "clearreel.db.orgs",
    "clearreel.rights.models",
    "clearreel.dataset.models",
    "clearreel.curate.models",
    "clearreel.ledger.models",
    "clearreel.generate.models",
    "clearreel.train.models",
    "clearreel.web.models",
]


def load_all() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
