from __future__ import annotations

import contextlib
import functools
import hashlib
import weakref
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker, with_loader_criteria

from clearreel.config import Settings
from clearreel.db._base import Base, TenantMixin
from clearreel.db.orgs import check_org, resolve_org, workspace_id
from clearreel.errors import UsageError

MIGRATIONS = Path(__file__).parent / "migrations"


# Connections kept open per process: as many as the web server's request threads use at once
# under load (one session at a time per request). With SQLAlchemy's default of 5, each request
# beyond the fifth opened a new connection and closed it after (on PostgreSQL a new backend
# process each time: the 20-client benchmark then spent a third of its time connecting).
POOL_SIZE, POOL_OVERFLOW = 16, 24


@functools.cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite+pysqlite://") or ":memory:" in url
        engine = create_engine(url, connect_args={"timeout": 30}, **({} if memory else {
            "pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}))

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE,
                         max_overflow=POOL_OVERFLOW)


def connect(settings: Settings) -> Engine:
    if settings.database_url is None and not settings.home.exists():
        raise UsageError(
            f"no clearreel workspace at {settings.home}: run `clearreel init` "
            "(or set CLEARREEL_HOME to an existing workspace)"
        )
    engine = _engine(settings.url)
    from clearreel.db.layout import upgrade_on_open

    upgrade_on_open(settings, engine)
    return engine


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def init_db(settings: Settings) -> None:
    """Create or upgrade the schema to the newest migration (idempotent)."""
    from alembic import command

    from clearreel.db.layout import upgrade_layout
    from clearreel.db.orgs import claim_unbound, ensure_workspace

    settings.home.mkdir(parents=True, exist_ok=True)
    ws = ensure_workspace(settings)
    engine = _engine(settings.url)
    cfg = _alembic_config(settings.url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        # Row-level security on every tenant table, including ones added by later migrations.
        from clearreel.db.rls import apply_rls

        apply_rls(conn)
    claim_unbound(engine, str(ws["id"]))
    upgrade_layout(settings, engine)


# Engines whose database was seen to hold the schema. A schema is never removed by clearreel;
# one dropped under a running process fails its next query (exit 3, "database gone").
_schema_seen: weakref.WeakSet[Engine] = weakref.WeakSet()


def check_schema(engine: Engine) -> None:
    """Exit 2 saying how to fix it when the database has no clearreel schema (asked once per
    engine: a web request or a ledger posting opens a session each, and the inspection is a
    query)."""
    if engine in _schema_seen:
        return
    if "organizations" not in inspect(engine).get_table_names():
        raise UsageError("the database has no clearreel schema: run `clearreel init`")
    _schema_seen.add(engine)


class TenantSession(Session):
    """A session bound to one organization (`info['org']`)."""


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_to_org(state) -> None:
    org = state.session.info.get("org")
    if org is None or not state.is_select:
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantMixin, lambda cls: cls.org_id == org, include_aliases=True)
    )


@event.listens_for(TenantSession, "before_flush")
def _stamp_org(session, _ctx, _instances) -> None:
    from clearreel.db.orgs import Organization

    org = session.info.get("org")
    for obj in session.new:
        # An organization made through a workspace's session belongs to that workspace.
        if isinstance(obj, Organization) and obj.workspace is None:
            obj.workspace = session.info.get("workspace")
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantMixin):
            continue
        if obj.org_id is None:
            obj.org_id = org
        elif org is not None and obj.org_id != org:
            raise UsageError(
                f"refusing to write a row of organization {obj.org_id!r} from a session of {org!r}"
            )


# Keyed by the engine itself (engines are cached per URL for the process), never by id():
# an id can be reused by another object once the first is gone.
_factories: dict[Engine, sessionmaker[TenantSession]] = {}


@contextlib.contextmanager
def open_session(
    settings: Settings, org: str | None = None, *, any_org: bool = False
) -> Iterator[TenantSession]:
    """A transaction scoped to one organization: committed on success, rolled back on error.

    `org`, when given, must be an organization this workspace holds (exit 2 otherwise).
    `any_org=True` is for the few admin paths (import of a new organization) that must
    see the organizations table before an org is chosen, or bind a session to one that
    `db.orgs.import_target` has just admitted.
    """
    engine = connect(settings)
    check_schema(engine)
    factory = _factories.get(engine)
    if factory is None:
        factory = _factories[engine] = sessionmaker(
            engine, class_=TenantSession, expire_on_commit=False
        )
    if org is None and not any_org:
        org = resolve_org(settings, engine)
    elif org is not None and not any_org:
        org = check_org(settings, engine, org)
    s = factory()
    s.info["org"] = org
    s.info["workspace"] = workspace_id(settings)
    s.info["settings"] = settings  # where the chains' anchors go (provenance.anchors)
    try:
        yield s
        s.commit()
        # An anchor that could not be written after the commit (provenance.anchors): the
        # change stands, the command says so (exit 3).
        anchor_error = s.info.pop("anchor_error", None)
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
    if anchor_error is not None:
        raise anchor_error


def write_lock(session: Session, name: str) -> None:
    """Hold, until this transaction ends, the lock that the writers of `name` queue on: on
    PostgreSQL the advisory lock `name`; on SQLite the database write lock, taken now (BEGIN
    IMMEDIATE) so that what the transaction reads next is the newest committed state.

    Python's sqlite3 runs SELECTs outside a transaction and opens a deferred one at the first
    write, so two processes could both read the same state and both write on it (two audit
    entries N+1; a model registered on a dataset being deleted). Inside a transaction that
    already wrote, SQLite's lock is already held."""
    advisory_xact_lock(session, name)
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def advisory_xact_lock(session: Session, name: str) -> None:
    """On PostgreSQL, take a transaction-scoped advisory lock named `name` (released at commit
    or rollback), so writers of one chain queue instead of racing. Elsewhere a no-op: SQLite
    serialises writers with its database lock."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def current_org(session: Session) -> str:
    org = session.info.get("org")
    if org is None:
        raise UsageError("no organization selected")
    return str(org)


__all__ = [
    "Base", "advisory_xact_lock", "connect", "current_org", "init_db", "open_session",
    "resolve_org",
]
