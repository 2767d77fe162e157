"""Migrating a workspace's files to one folder per organization (layout 2).

Before layout 2 a workspace kept `datasets/NAME`, `models/NAME` and `outputs/ID.mp4` for all
of its organizations in one folder, so two organizations using one name shared (and
overwrote) one folder. `upgrade_layout` moves each entry under the organization whose
registry row it belongs to (`datasets/ORG/NAME`, `models/ORG/NAME`, `outputs/ORG/`), rewrites
the paths the registry records, and drops the shared latent cache (a cache: rebuilt per
organization on the next `train`). It runs on `clearreel init` and on the first open of a
workspace, once (`workspace.json` records the layout), and is idempotent: running it again,
or after an interruption, moves only what is still in the old place.

An entry that no organization's registry claims is left where it is and reported; so is a
dataset that two organizations named alike and whose manifest names neither's id.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from clearreel.config import Settings, org_slug

LAYOUT = 2
_checked: set[tuple[str, str]] = set()


def upgrade_on_open(settings: Settings, engine: Engine) -> None:
    """Called by `db.connect`: upgrade an old workspace the first time it is opened."""
    key = (str(settings.home.resolve()), settings.url)
    if key in _checked:
        return
    from clearreel.db.orgs import claim_unbound, ensure_workspace, read_workspace

    if not settings.home.is_dir():
        return
    data = read_workspace(settings)
    if data is not None and int(str(data.get("layout", 1))) >= LAYOUT:
        _checked.add(key)
        return
    if "organizations" not in inspect(engine).get_table_names():
        return  # not initialised yet: `clearreel init` does it
    if settings.database_url is None:
        # The embedded database lies inside the workspace: its organizations are this one's.
        claim_unbound(engine, str(ensure_workspace(settings)["id"]))
    elif data is None:
        return  # a shared database: `clearreel init` binds this workspace first
    upgrade_layout(settings, engine)
    _checked.add(key)


def _rows(engine: Engine, sql: str, orgs: list[str]) -> list[Any]:
    if not orgs:
        return []
    with engine.connect() as c:
        return [r for r in c.execute(text(sql)) if r[0] in orgs]


def _move(src: Path, dst: Path, report: dict[str, Any], kind: str) -> bool:
    if dst.exists():
        report["left"].append({"kind": kind, "path": str(src), "why": f"{dst} exists"})
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    src.rename(dst)
    report["moved"].append({"kind": kind, "from": str(src), "to": str(dst)})
    return True


def _is_org_dir(entry: Path, slugs: set[str]) -> bool:
    """An organization's folder holds only folders; an old flat dataset or model holds files
    (manifest, weights) and `clips/` or `checkpoints/`."""
    return entry.name in slugs and not any(
        p.is_file() or p.name in ("clips", "checkpoints", "shards") for p in entry.iterdir())


def upgrade_layout(settings: Settings, engine: Engine) -> dict[str, Any]:
    """Move a workspace's flat files under their organizations; returns what moved and what
    was left (and why). A no-op on a workspace already at layout 2."""
    from clearreel.db.orgs import ensure_workspace, write_workspace

    data = ensure_workspace(settings)
    report: dict[str, Any] = {"moved": [], "left": []}
    if int(str(data.get("layout", 1))) >= LAYOUT:
        return report
    ws = str(data["id"])
    with engine.connect() as c:
        orgs = [r[0] for r in c.execute(text("SELECT id FROM organizations WHERE workspace = :w"),
                                        {"w": ws})]
    slugs = {org_slug(o) for o in orgs}
    tables = set(inspect(engine).get_table_names())
    if "datasets" in tables:
        _datasets(settings, engine, orgs, slugs, report)
    if "trained_models" in tables:
        _models(settings, engine, orgs, slugs, report)
    if "outputs" in tables:
        _outputs(settings, engine, orgs, slugs, report)
    shutil.rmtree(settings.path("cache", "latents"), ignore_errors=True)
    if orgs:
        _keys(settings, orgs, report)
    write_workspace(settings, {**data, "layout": LAYOUT})
    return report


def _datasets(settings: Settings, engine: Engine, orgs: list[str], slugs: set[str],
              report: dict[str, Any]) -> None:
    root = settings.path("datasets")
    if not root.is_dir():
        return
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for org, name, ds_id in _rows(engine, "SELECT org_id, name, id FROM datasets", orgs):
        by_name[name].append((org, ds_id))
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or _is_org_dir(entry, slugs):
            continue
        owners = by_name.get(entry.name, [])
        if len(owners) > 1:
            try:
                ds_id = json.loads((entry / "manifest.json").read_text(encoding="utf-8")).get("id")
            except (OSError, ValueError, AttributeError):
                ds_id = None
            owners = [o for o in owners if o[1] == ds_id]
        if len(owners) != 1:
            why = "no organization's registry has a dataset of this name" if not owners else \
                "several organizations have a dataset of this name and its manifest names none"
            report["left"].append({"kind": "dataset", "path": str(entry), "why": why})
            continue
        _move(entry, settings.dataset_dir(owners[0][0], entry.name), report, "dataset")


def _models(settings: Settings, engine: Engine, orgs: list[str], slugs: set[str],
            report: dict[str, Any]) -> None:
    root = settings.path("models")
    if not root.is_dir():
        return
    by_name: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for org, name, created in _rows(engine, "SELECT org_id, name, created FROM trained_models",
                                    orgs):
        by_name[name].append((org, created))
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or _is_org_dir(entry, slugs):
            continue
        owners = sorted(by_name.get(entry.name, []), key=lambda o: str(o[1]))
        if not owners:
            report["left"].append({"kind": "model", "path": str(entry),
                                   "why": "no organization's registry has a model of this name"})
            continue
        # Before layout 2 the last organization to train a name overwrote the folder.
        org = owners[-1][0]
        dst = settings.model_dir(org, entry.name)
        if _move(entry, dst, report, "model"):
            with engine.begin() as c:
                c.execute(text("UPDATE trained_models SET path = :p WHERE org_id = :o AND "
                               "name = :n"), {"p": str(dst.resolve()), "o": org, "n": entry.name})
        for other, _ in owners[:-1]:
            report["left"].append({"kind": "model", "path": f"{other}/{entry.name}",
                                   "why": f"its weights were overwritten by {org}'s model of the "
                                          "same name before layout 2: retrain it"})


def _outputs(settings: Settings, engine: Engine, orgs: list[str], slugs: set[str],
             report: dict[str, Any]) -> None:
    root = settings.path("outputs")
    if not root.is_dir():
        return
    owner = {oid: org for org, oid in _rows(engine, "SELECT org_id, id FROM outputs", orgs)}
    for entry in sorted(root.iterdir()):
        if not entry.is_file():
            continue
        org = owner.get(entry.name.split(".")[0])
        if org is None:
            report["left"].append({"kind": "output", "path": str(entry),
                                   "why": "no organization's registry has this output"})
            continue
        old = str(entry.resolve())
        dst = settings.outputs_dir(org) / entry.name
        if _move(entry, dst, report, "output"):
            with engine.begin() as c:
                c.execute(text("UPDATE outputs SET path = :p WHERE org_id = :o AND path = :old"),
                          {"p": str(dst.resolve()), "o": org, "old": old})


def _keys(settings: Settings, orgs: list[str], report: dict[str, Any]) -> None:
    """The one key set of an old workspace (`keys/ca.key`, `ca.pem`, `signing.key`,
    `signing.pem`, shared by all its organizations). With one organization it becomes that
    organization's (its CA key stored as configured, never left beside the signing key).
    With several, each organization gets its own new keys, and the old CA stays one of its
    trust anchors with the old certificate retired now: what was signed before still
    verifies, nothing signed with the shared key from now on does."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from clearreel.db import keystore as k

    flat = settings.path("keys")
    if not (flat / "signing.pem").exists() or not (flat / "ca.pem").exists():
        return
    leaf = x509.load_pem_x509_certificate((flat / "signing.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((flat / "ca.pem").read_bytes())
    now = dt.datetime.now(dt.UTC)
    if len(orgs) == 1 and not settings.keys_dir(orgs[0]).exists():
        org = orgs[0]
        d = settings.keys_dir(org)
        d.mkdir(parents=True)
        for name in ("signing.key", "signing.pem", "ca.pem"):
            (flat / name).rename(d / name)
        k.add_cert(settings, org, leaf)
        if (flat / "ca.key").exists():
            ca_key = serialization.load_pem_private_key((flat / "ca.key").read_bytes(), None)
            k.store_ca_key(settings, org, ca_key)  # type: ignore[arg-type]
        report["moved"].append({"kind": "keys", "from": str(flat), "to": str(d)})
    else:
        for org in orgs:
            fresh = not settings.keys_dir(org).exists()
            k.ensure_org_keys(settings, org)
            anchors = settings.keys_dir(org) / "anchors"
            anchors.mkdir(exist_ok=True)
            (anchors / f"{ca.serial_number:x}.pem").write_bytes((flat / "ca.pem").read_bytes())
            k.add_cert(settings, org, leaf, retired=now)
            report["moved"].append({"kind": "keys", "from": str(flat), "to": str(anchors),
                                    "new_keys": fresh})
    for name in ("ca.key", "signing.key", "signing.pem", "ca.pem"):
        (flat / name).unlink(missing_ok=True)


__all__ = ["LAYOUT", "upgrade_layout", "upgrade_on_open"]
