"""PostgreSQL row-level security: a raw SQL session as one organization's own role sees no row
of another organization, on every tenant table, and cannot write one for it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from clearreel.config import Settings
from rights.conftest import base, write

pytestmark = [pytest.mark.pg, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

A, B = "org-test", "org-b"
# Tables that hold no organization's rows; every other table of the ORM must be covered.
GLOBAL = {"alembic_version"}


def _fill(settings: Settings, tmp_path: Path) -> None:
    """Two organizations with rows in as many tables as a short setup reaches."""
    from clearreel.dataset.models import Dataset
    from clearreel.db import open_session
    from clearreel.generate.models import Output
    from clearreel.ledger.models import LedgerAccount
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.models import Setting
    from clearreel.train.models import TrainedModel

    import_catalog(settings, write(tmp_path / "a.yaml", base()))
    b = base()
    b["organization"] = {"id": B, "name": "B Films", "home_territory": "US"}
    for lic in b["licenses"]:
        lic["licensee"] = B
    import_catalog(dataclasses.replace(settings, org=B), write(tmp_path / "b.yaml", b))
    for org in (A, B):
        with open_session(settings, org=org) as s:
            s.add(Setting(key="consent_mode", value="strict"))
            s.add(Dataset(id=f"ds-{org}", name="shared", config={}, on=dt.date(2026, 1, 1)))
            s.add(TrainedModel(name="m-shared", family="tiny", base="tiny", base_sha256="0" * 64,
                               path="/x", mode="full"))
            s.add(Output(id=f"out-{org}", model="m-shared", prompt="p"))
            s.add(LedgerAccount(code=f"rev-{org}", kind="revenue", currency="USD"))


def _engine(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def test_every_tenant_table_is_forced_under_a_policy(any_db: Settings) -> None:
    if any_db.database_url is None:
        pytest.skip("row-level security is PostgreSQL's")
    from clearreel.db import Base
    from clearreel.db.models import load_all
    from clearreel.db.rls import POLICY, ROLES_TABLE

    load_all()
    tables = set(Base.metadata.tables) - GLOBAL
    eng = _engine(any_db.url)
    with eng.connect() as c:
        rows = c.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = :p) "
            "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
            "AND c.relkind = 'r'"), {"p": POLICY}).all()
    eng.dispose()
    state = {r[0]: tuple(r[1:]) for r in rows}
    assert tables <= set(state)
    for t in tables | {ROLES_TABLE}:
        assert state[t] == (True, True, True), t


def test_an_organization_role_sees_and_writes_only_its_own_rows(
        any_db: Settings, tmp_path: Path, cli) -> None:
    if any_db.database_url is None:
        pytest.skip("row-level security is PostgreSQL's")
    from clearreel.db import Base, connect
    from clearreel.db.models import load_all
    from clearreel.db.rls import drop_role

    _fill(any_db, tmp_path)
    code, out, err = cli("--org", A, "db", "provision", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["role"].startswith("cr_org_test_") and info["created"]
    admin = connect(any_db)
    mine = _engine(info["url"])
    try:
        load_all()
        tables = sorted(set(Base.metadata.tables) - GLOBAL)
        seen_b = 0
        with admin.connect() as ac, mine.connect() as mc:
            assert mc.execute(text("SELECT current_user")).scalar_one() == info["role"]
            for t in tables:
                col = "id" if t == "organizations" else "org_id"
                q = text(f'SELECT {col}, count(*) FROM "{t}" GROUP BY 1')
                total = dict(ac.execute(q).all())  # type: ignore[arg-type]
                got = dict(mc.execute(q).all())  # type: ignore[arg-type]
                assert set(got) <= {A}, (t, got)
                assert got.get(A, 0) == total.get(A, 0), t
                seen_b += total.get(B, 0) > 0
            # The check is not vacuous: B has rows in most tables.
            assert seen_b >= 15, seen_b
            mc.rollback()
            # Nothing for the other organization can be written, updated into or deleted.
            for sql in (
                f"INSERT INTO settings (key, value, org_id) VALUES ('x', '1', '{B}')",
                f"UPDATE settings SET org_id = '{B}' WHERE org_id = '{A}'",
                "INSERT INTO organizations (id, name, created) VALUES ('org-c', 'C', now())",
            ):
                with pytest.raises(DBAPIError, match="row-level security"), mc.begin():
                    mc.execute(text(sql))
            with mc.begin():
                assert mc.execute(text(f"DELETE FROM settings WHERE org_id = '{B}'")).rowcount == 0
                assert mc.execute(text(f"UPDATE works SET title = 'x' WHERE org_id = '{B}'")
                                  ).rowcount == 0
            # The role cannot remap itself to another organization, nor see other mappings;
            # a session setting has no say.
            for sql in (f"UPDATE clearreel_db_roles SET org_id = '{B}'",
                        f"INSERT INTO clearreel_db_roles VALUES ('someone', '{B}')"):
                with pytest.raises(DBAPIError, match="permission denied"), mc.begin():
                    mc.execute(text(sql))
            with mc.begin():
                roles = mc.execute(text("SELECT count(*) FROM clearreel_db_roles")).scalar_one()
                assert roles == 1
                mc.execute(text(f"SET clearreel.org = '{B}'"))
                assert mc.execute(text(f"SELECT count(*) FROM works WHERE org_id = '{B}'")
                                  ).scalar_one() == 0
            # The admin still sees both.
            assert ac.execute(text(f"SELECT count(*) FROM works WHERE org_id = '{B}'")
                              ).scalar_one() > 0
        # Provisioning again gives the same role a new password (the test cluster may trust
        # local connections, so the stored verifier is compared, not a login refused).
        def verifier() -> str:
            with admin.connect() as c:
                return str(c.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
                                     {"r": info["role"]}).scalar_one())

        first = verifier()
        code, out, _ = cli("--org", A, "db", "provision", "--json")
        again = json.loads(out)
        assert code == 0 and again["role"] == info["role"] and again["url"] != info["url"]
        assert not again["created"] and verifier() != first
    finally:
        mine.dispose()
        drop_role(admin, info["role"])


def test_provision_needs_postgresql_and_a_known_organization(any_db: Settings, tmp_path,
                                                             cli) -> None:
    from clearreel.rights.catalog import import_catalog

    import_catalog(any_db, write(tmp_path / "a.yaml", base()))
    code, _, err = cli("--org", "org-nope", "db", "provision")
    assert code == 2
    if any_db.database_url is None:
        code, _, err = cli("db", "provision")
        assert code == 2 and "PostgreSQL only" in err
