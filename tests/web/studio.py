"""A two-organization workspace for the web tests: registry, a packed dataset of real tiny
clips, a registered model, outputs, a ledger, and one account per role.

Organization A (`org-a`, Northlight) is the one the tests sign in to; organization B
(`org-b`) owns objects with ids A does not have, so every route can be asked for B's object
by A's users (the answer must be 404).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from clearreel.config import Settings

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "rights", "creative", "finance")
TODAY = dt.date.today()


def catalog(org: str, prefix: str) -> dict[str, Any]:
    """A small catalog; `prefix` makes every id of the organization its own."""
    p = prefix
    return {
        "organization": {"id": org, "name": f"{org} Pictures", "home_territory": "US"},
        "parties": [
            {"id": f"{p}studio", "name": f"{org} Pictures", "kind": "company"},
            {"id": f"{p}ava", "name": "Ava Stone", "kind": "person"},
            {"id": f"{p}ben", "name": "Ben Reyes", "kind": "person"},
        ],
        "works": [
            {"id": f"{p}harbor", "title": "Harbor Lights", "kind": "film", "year": 2019,
             "participations": [
                 {"party": f"{p}studio", "role": "studio", "points": 60},
                 {"party": f"{p}ava", "role": "performer", "character": f"{p}mara",
                  "points": 10},
                 {"party": f"{p}ben", "role": "performer", "character": f"{p}jonah",
                  "points": 5}]},
            {"id": f"{p}tide", "title": "The Long Tide", "kind": "short", "year": 2021,
             "participations": [{"party": f"{p}studio", "role": "studio", "points": 100}]},
        ],
        "characters": [
            {"id": f"{p}mara", "name": "Mara", "owner": f"{p}studio", "performer": f"{p}ava"},
            {"id": f"{p}jonah", "name": "Jonah", "owner": f"{p}studio", "performer": f"{p}ben"},
        ],
        "licenses": [
            {"id": f"{p}lic", "licensor": f"{p}studio", "licensee": org, "works": "all",
             "uses": {"ai_training": "allowed", "ai_generative_training": "allowed",
                      "ai_inference": "allowed", "data_mining": "allowed",
                      "character_generation": "allowed"},
             "territories": ["WORLD"], "start": "2024-01-01"},
        ],
        "consents": [
            {"id": f"{p}k-ava-train", "party": f"{p}ava", "kind": "training",
             "status": "granted", "works": "all", "signed": "2024-01-15",
             "description": "Training on recorded performances"},
            {"id": f"{p}k-ben-train", "party": f"{p}ben", "kind": "training",
             "status": "granted", "works": "all", "signed": "2024-01-15"},
            {"id": f"{p}k-ava-replica", "party": f"{p}ava", "kind": "digital_replica",
             "status": "granted", "works": "all", "signed": "2024-01-15",
             "purposes": ["previz"]},
        ],
    }


def _clips(settings: Settings, name: str, org: str, p: str) -> None:
    """A packed dataset of three real 9-frame mp4 clips of work `{p}harbor` (the tests' one
    packed-dataset fixture, `dataset.registry.packed_dataset`)."""
    from dataset.registry import packed_dataset

    clips: dict[str, tuple[str, Any]] = {}
    fields: dict[str, dict[str, Any]] = {}
    for i in range(3):
        cid = f"{p}harbor_m0_{i * 100:07d}_{i * 100 + 16:07d}"
        clips[cid] = (f"{p}harbor", np.full((9, 32, 48, 3), 40 + 60 * i, dtype=np.uint8))
        fields[cid] = {
            "media": "/m/harbor.mp4", "end_frame": i * 100 + 16, "source_fps": 24.0,
            "start_tc": f"00:00:0{i * 4}:00", "end_tc": f"00:00:0{i * 4}:16",
            "start_s": None, "end_s": None, "caption": f"Mara on the quay, shot {i}",
            "performers": (f"{p}ava",), "characters": (f"{p}mara",), "licenses": (f"{p}lic",),
            "consents": (f"{p}k-ava-train",)}
    packed_dataset(settings, name, clips, 8.0, org, dataset_id=f"ds-{p}data", on=str(TODAY),
                   created="2026-01-01T00:00:00Z", fields=fields)


def _model(settings: Settings, org: str, name: str, dataset: str) -> None:
    from clearreel.dataset.models import Dataset
    from clearreel.db import open_session
    from clearreel.train.registry import ModelRecord, register_model

    with open_session(settings, org=org) as s:
        ds = s.query(Dataset).filter(Dataset.name == dataset).one()
        register_model(s, ModelRecord(
            name=name, family="wan", path=settings.model_dir(org, name), base="tiny",
            base_sha256="0" * 64, mode="full", dataset=dataset,
            dataset_manifest_sha256=ds.manifest_sha256))


def _revenue(settings: Settings, p: str) -> None:
    from clearreel.ledger import record_attributed_revenue

    record_attributed_revenue(settings, f"licence:{p}acme",
                              [{"work": f"{p}harbor", "share": "0.75"},
                               {"work": f"{p}tide", "share": "0.25"}],
                              "1250.00", "USD", on=TODAY)


def build(home: Path, url: str | None = None) -> dict[str, Any]:
    from clearreel.generate.pipeline import Request, generate
    from clearreel.rights.catalog import import_catalog
    from clearreel.web.accounts import add_user, issue_token
    from conftest import make_settings

    settings = make_settings(home, url)
    tokens: dict[str, str] = {}
    for org, p in (("org-a", "a-"), ("org-b", "b-")):
        f = home.parent / f"{org}.yaml"
        f.write_text(yaml.safe_dump(catalog(org, p), sort_keys=False))
        import_catalog(dataclasses.replace(settings, org=org), f, scan=False)
        _clips(settings, f"{p}data", org, p)
        _model(settings, org, f"{p}model", f"{p}data")
        from clearreel.attribution import index_dataset

        index_dataset(dataclasses.replace(settings, org=org), f"{p}data")
        scoped = dataclasses.replace(settings, org=org)
        blocked = generate(scoped, Request(model=f"{p}model", prompt="Jonah on the pier",
                                           purpose="previz"))
        assert blocked["blocked"]
        _revenue(scoped, p)
        roles = ROLES if org == "org-a" else ("rights", "admin")
        for role in roles:
            name = f"{role}-{org[-1]}"
            add_user(settings, name, role, org=org, password=PASSWORD)
            tokens[name] = issue_token(settings, name)[1]
    return {"settings": settings, "tokens": tokens, "home": home}


def output_of(settings: Settings, org: str) -> str:
    from clearreel.db import open_session
    from clearreel.generate.models import Output

    with open_session(settings, org=org) as s:
        return s.query(Output.id).order_by(Output.pk).first()[0]


__all__ = ["PASSWORD", "build", "catalog", "copy", "output_of"]
