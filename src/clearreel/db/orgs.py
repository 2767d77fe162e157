"""Organizations: the tenants of a workspace, and the one place an organization is resolved.

A workspace knows its organizations: each row of `organizations` records the workspace that
holds it (`workspace`, the id in `$CLEARREEL_HOME/workspace.json`). Two workspaces that share
one PostgreSQL database therefore never see each other's organizations: every command acts
for an organization of its own workspace, or exits 2 naming the ones it holds.

An organization comes into being only when a catalog that declares it is imported
(`import_target`); any other command naming an organization the workspace does not hold
exits 2 (`resolve_org`, `check_org`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import secrets

from sqlalchemy import DateTime, Engine, String, inspect, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from clearreel.config import Settings
from clearreel.db._base import Base, utcnow
from clearreel.errors import UsageError

WORKSPACE_FILE = "workspace.json"


class Organization(Base):
    """A studio: the tenant. Every other row belongs to exactly one."""

    __tablename__ = "organizations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    home_territory: Mapped[str | None] = mapped_column(String(8))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The workspace that holds it (workspace.json's id); NULL only before migration 0150.
    workspace: Mapped[str | None] = mapped_column(String(64), index=True)


def _embedded(settings: Settings) -> bool:
    """The default SQLite database inside the workspace (no CLEARREEL_DATABASE_URL)."""
    return settings.database_url is None


def read_workspace(settings: Settings) -> dict[str, object] | None:
    path = settings.home / WORKSPACE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise UsageError(f"{path} is unreadable ({e}): restore it from backup; it names the "
                         "organizations' workspace in a shared database") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise UsageError(f"{path} has no workspace id: restore it from backup")
    return data


def write_workspace(settings: Settings, data: dict[str, object]) -> None:
    path = settings.home / WORKSPACE_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def ensure_workspace(settings: Settings) -> dict[str, object]:
    """The workspace's identity, created the first time (init, or the first open of a
    workspace made before organizations were bound to workspaces)."""
    data = read_workspace(settings)
    if data is None:
        settings.home.mkdir(parents=True, exist_ok=True)
        # A workspace with no registry yet starts at the current layout; one that already has a
        # database (made before workspace.json existed) is migrated by db.layout.
        from clearreel.db.layout import LAYOUT

        fresh = not (settings.home / "clearreel.db").exists() and not any(
            settings.path(k).is_dir() and any(settings.path(k).iterdir())
            for k in ("datasets", "models", "outputs"))
        data = {"id": f"ws-{secrets.token_hex(8)}", "layout": LAYOUT if fresh else 1}
        write_workspace(settings, data)
    return data


_ids: dict[str, str] = {}


def workspace_id(settings: Settings) -> str:
    """The id in workspace.json (read once per process and home)."""
    key = str(settings.home.resolve())
    if key in _ids and (settings.home / WORKSPACE_FILE).exists():
        return _ids[key]
    data = read_workspace(settings)
    if data is None:
        if settings.home.exists() and _embedded(settings):
            return str(ensure_workspace(settings)["id"])
        raise UsageError(f"{settings.home} is not an initialised clearreel workspace (no "
                         f"{WORKSPACE_FILE}): run `clearreel init`")
    _ids[key] = str(data["id"])
    return _ids[key]


def claim_unbound(engine: Engine, ws: str) -> list[str]:
    """Bind the organizations no workspace holds yet (made before migration 0150) to `ws`.

    Run by `clearreel init`, and on the first open of a workspace with the embedded SQLite
    database (which lies inside the workspace, so its organizations can only be its own)."""
    if "organizations" not in inspect(engine).get_table_names():
        return []
    with engine.begin() as c:
        ids = [r[0] for r in c.execute(
            text("SELECT id FROM organizations WHERE workspace IS NULL"))]
        if ids:
            c.execute(update(Organization.__table__).where(
                Organization.__table__.c.workspace.is_(None)).values(workspace=ws))
    return ids


def known_orgs(settings: Settings, engine: Engine) -> list[str]:
    """The organizations this workspace holds, sorted."""
    ws = workspace_id(settings)
    with Session(engine) as s:
        return sorted(s.scalars(select(Organization.id).where(Organization.workspace == ws)))


def _unknown(settings: Settings, engine: Engine, org: str, known: list[str]) -> UsageError:
    with Session(engine) as s:
        elsewhere = s.get(Organization, org) is not None
    if elsewhere:
        why = (f"organization {org!r} belongs to another workspace that shares this database; "
               "this workspace cannot act for it")
    else:
        why = f"unknown organization {org!r}"
    close = difflib.get_close_matches(org, known, n=1, cutoff=0.6)
    hint = f": did you mean {close[0]!r}?" if close else ""
    listed = (f" This workspace holds: {', '.join(known)}." if known else
              " This workspace holds no organization yet.")
    return UsageError(f"{why}{hint}{listed} An organization comes into being when its catalog "
                      "is imported (`clearreel catalog import FILE --org ID`).")


_held: set[tuple[str, str, str]] = set()


def check_org(settings: Settings, engine: Engine, org: str) -> str:
    """`org` when this workspace holds it; otherwise exit 2 listing the ones it does.
    (An organization, once held, is never given up, so a positive answer is remembered for
    the process: a session per ledger posting costs no extra query.)"""
    key = (str(engine.url), workspace_id(settings), org)
    if key in _held:
        return org
    known = known_orgs(settings, engine)
    if org in known:
        _held.add(key)
        return org
    raise _unknown(settings, engine, org, known)


def resolve_org(settings: Settings, engine: Engine | None = None) -> str:
    """The organization to act for: `--org` / CLEARREEL_ORG when this workspace holds it, or
    the only one the workspace holds. Anything else exits 2 with the known ones listed."""
    from clearreel.db._session import check_schema, connect

    engine = engine or connect(settings)
    check_schema(engine)
    if settings.org:
        return check_org(settings, engine, settings.org)
    known = known_orgs(settings, engine)
    if len(known) == 1:
        return known[0]
    if not known:
        raise UsageError(
            "the registry has no organization yet: import a catalog first "
            "(`clearreel catalog import FILE`)"
        )
    raise UsageError(
        f"several organizations in this workspace ({', '.join(known)}): choose one with --org "
        "or CLEARREEL_ORG"
    )


def import_target(settings: Settings, engine: Engine, declared: str) -> bool:
    """May a catalog declaring organization `declared` be imported here? True when it creates
    the organization, False when it updates one this workspace holds; exit 2 otherwise.

    A catalog only ever writes the organization it is imported into: the one named by `--org`
    (which must be the one it declares), or the workspace's only organization. A new
    organization needs `--org` naming it once the workspace holds another, so a file naming
    someone else's id can never silently write (or create) that organization.
    """
    known = known_orgs(settings, engine)
    target = settings.org
    if target and target != declared:
        raise UsageError(f"the catalog is for organization {declared!r} but this command acts "
                         f"for {target!r}: drop --org / CLEARREEL_ORG or use the right catalog; "
                         "a catalog may only write the organization it is imported into")
    with Session(engine) as s:
        row = s.get(Organization, declared)
    if row is not None and row.workspace != workspace_id(settings):
        raise _unknown(settings, engine, declared, known)
    if declared in known:
        if target is None and len(known) > 1:
            raise UsageError(f"this workspace holds several organizations ({', '.join(known)}): "
                             f"import with --org {declared} to update {declared!r}")
        return False
    if known and target != declared:
        raise UsageError(f"the catalog declares organization {declared!r}, which this workspace "
                         f"does not hold (it holds {', '.join(known)}): to add a new "
                         f"organization, import with --org {declared}")
    return True


def org_names(settings: Settings, engine: Engine) -> dict[str, str]:
    ws = workspace_id(settings)
    with Session(engine) as s:
        return {o.id: o.name for o in s.scalars(select(Organization)
                                                 .where(Organization.workspace == ws))}


__all__ = [
    "WORKSPACE_FILE",
    "Organization",
    "check_org",
    "claim_unbound",
    "ensure_workspace",
    "import_target",
    "known_orgs",
    "org_names",
    "read_workspace",
    "resolve_org",
    "workspace_id",
    "write_workspace",
]
