"""PostgreSQL row-level security: each organization's database role sees only its own rows.

Every table with an `org_id` column (and `organizations`, by its `id`) gets ROW LEVEL SECURITY,
FORCEd (so the table owner is subject to it too) and one policy, `clearreel_org`, that admits a
row only when the session's role is mapped to the row's organization in `clearreel_db_roles`
(or is mapped with no organization: the workspace's operator, the role that ran the
migrations). The mapping is keyed by `current_user`, which a session cannot change without
the other role's password, and the table is read-only to organization roles; a setting such
as `SET clearreel.org = ...` has no say. The policy's table reference is schema-qualified and
stored as parsed (by OID), so no temporary table or search_path trick redirects it.
Superusers and BYPASSRLS roles bypass every policy, as PostgreSQL defines: use them only to
operate, never as an organization's role.

`apply_rls` enumerates the tables of the current schema at run time, so a table added by a
later migration gets its policy on the next `clearreel init` (which calls it after upgrading);
`tests/tenancy/test_rls.py` checks every table of the ORM metadata. SQLite has no roles and
skips all of this (the tenant session's loader criteria still scope every query).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url

ROLES_TABLE = "clearreel_db_roles"
POLICY = "clearreel_org"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tenant_tables(conn: Connection) -> list[tuple[str, str]]:
    """(table, organization column) for every tenant table of the current schema."""
    out = []
    insp = inspect(conn)
    for t in sorted(insp.get_table_names()):
        cols = {c["name"] for c in insp.get_columns(t)}
        if t == "organizations":
            out.append((t, "id"))
        elif "org_id" in cols:
            out.append((t, "org_id"))
    return out


def apply_rls(conn: Connection) -> list[str]:
    """Create (or refresh) the roles table and every tenant table's policy; PostgreSQL only.
    Returns the tables covered."""
    if conn.dialect.name != "postgresql":
        return []
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    roles = f"{_q(schema)}.{_q(ROLES_TABLE)}"
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {roles} (role_name text PRIMARY KEY, "
                      "org_id varchar(64) NULL)"))
    conn.execute(text(f"INSERT INTO {roles} (role_name, org_id) VALUES (current_user, NULL) "
                      "ON CONFLICT (role_name) DO NOTHING"))
    # Each role reads only its own mapping (so one organization cannot list the others).
    conn.execute(text(f"ALTER TABLE {roles} ENABLE ROW LEVEL SECURITY"))
    conn.execute(text(f"ALTER TABLE {roles} FORCE ROW LEVEL SECURITY"))
    conn.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {roles}"))
    conn.execute(text(f"CREATE POLICY {POLICY} ON {roles} USING (role_name = current_user)"))
    mine = (f"SELECT r.org_id FROM {roles} r WHERE r.role_name = current_user")
    covered = []
    for table, col in tenant_tables(conn):
        if table == ROLES_TABLE:
            continue
        t = f"{_q(schema)}.{_q(table)}"
        cond = (f"({_q(col)} IN ({mine} AND r.org_id IS NOT NULL) OR EXISTS ({mine} "
                "AND r.org_id IS NULL))")
        conn.execute(text(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"))
        conn.execute(text(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY"))
        conn.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {t}"))
        conn.execute(text(f"CREATE POLICY {POLICY} ON {t} USING {cond} WITH CHECK {cond}"))
        covered.append(table)
    return covered


def role_name(conn: Connection, org: str) -> str:
    """A role name for the organization that is stable for this database and schema and
    distinct across them (roles are cluster-wide)."""
    db, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    base = re.sub(r"[^a-z0-9_]", "_", org.lower())[:40]
    tag = hashlib.sha256(f"{db}\0{schema}\0{org}".encode()).hexdigest()[:8]
    return f"cr_{base}_{tag}"


def provision(engine: Engine, url: str, org: str, role: str | None = None) -> dict[str, Any]:
    """Create (or, when it exists, give a new password to) the organization's login role,
    grant it the schema's tables, map it to `org`; returns its URL (with the password, shown
    once) and name."""
    password = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        apply_rls(conn)
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        name = role or role_name(conn, org)
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            from clearreel.errors import UsageError

            raise UsageError(f"--role {name!r}: use lower-case letters, digits and '_' "
                             "(at most 63, not starting with a digit)")
        roles = f"{_q(schema)}.{_q(ROLES_TABLE)}"
        mapped = conn.execute(text(f"SELECT org_id FROM {roles} WHERE role_name = :r"),
                              {"r": name}).first()
        if mapped is not None and mapped[0] != org:
            from clearreel.errors import UsageError

            raise UsageError(f"role {name!r} already acts for "
                             f"{'every organization' if mapped[0] is None else repr(mapped[0])}: "
                             "choose another --role")
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                              {"r": name}).first()
        opts = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT"
        # token_urlsafe: letters, digits, '-' and '_' only, so the literal needs no escaping.
        verb = "ALTER" if exists else "CREATE"
        conn.execute(text(f"{verb} ROLE {_q(name)} {opts} PASSWORD '{password}'"))
        s = _q(schema)
        conn.execute(text(f"GRANT USAGE ON SCHEMA {s} TO {_q(name)}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} "
                          f"TO {_q(name)}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {_q(name)}"))
        for ro in (ROLES_TABLE, "alembic_version"):
            conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {s}.{_q(ro)} "
                              f"FROM {_q(name)}"))
        conn.execute(text(f"INSERT INTO {roles} (role_name, org_id) VALUES (:r, :o) "
                          "ON CONFLICT (role_name) DO NOTHING"), {"r": name, "o": org})
    u = make_url(url).set(username=name, password=password)
    return {"organization": org, "role": name, "url": u.render_as_string(hide_password=False),
            "created": not exists}


def drop_role(engine: Engine, name: str) -> None:
    """Remove a provisioned role (its grants in this database, its mapping, the role)."""
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f"DELETE FROM {_q(schema)}.{_q(ROLES_TABLE)} WHERE role_name = :r"),
                     {"r": name})
        conn.execute(text(f"DROP OWNED BY {_q(name)}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {_q(name)}"))


__all__ = ["POLICY", "ROLES_TABLE", "apply_rls", "drop_role", "provision", "role_name",
           "tenant_tables"]
