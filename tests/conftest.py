"""Shared fixtures: a fresh workspace per test, on SQLite and (marker `pg`) on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from clearreel.config import Settings

PG_URL = os.environ.get("CLEARREEL_TEST_PG_URL")


def _fresh_pg_schema() -> tuple[str, str]:
    """A new PostgreSQL schema for one test: isolation without dropping the shared database."""
    assert PG_URL
    name = f"t_{uuid.uuid4().hex[:12]}"
    eng = create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{name}"'))
    eng.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return name, f"{PG_URL}{sep}options=-csearch_path%3D{name}"


def _drop_pg_schema(name: str) -> None:
    assert PG_URL
    eng = create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    eng.dispose()


def make_settings(home: Path, url: str | None = None, org: str | None = None) -> Settings:
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys

    s = Settings(home=home, database_url=url, org=org)
    init_db(s)
    ensure_studio_keys(s)
    return s


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An initialised SQLite workspace; CLEARREEL_HOME points at it for CLI calls."""
    home = tmp_path / "home"
    monkeypatch.setenv("CLEARREEL_HOME", str(home))
    monkeypatch.delenv("CLEARREEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("CLEARREEL_ORG", raising=False)
    return make_settings(home)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """One workspace on SQLite, and on PostgreSQL when CLEARREEL_TEST_PG_URL is set."""
    home = tmp_path / "home"
    monkeypatch.setenv("CLEARREEL_HOME", str(home))
    monkeypatch.delenv("CLEARREEL_ORG", raising=False)
    if request.param == "sqlite":
        monkeypatch.delenv("CLEARREEL_DATABASE_URL", raising=False)
        yield make_settings(home)
        return
    if not PG_URL:
        pytest.skip("set CLEARREEL_TEST_PG_URL to run the PostgreSQL variant")
    schema, url = _fresh_pg_schema()
    monkeypatch.setenv("CLEARREEL_DATABASE_URL", url)
    try:
        yield make_settings(home, url)
    finally:
        from clearreel.db._session import _engine

        _engine(url).dispose()
        _drop_pg_schema(schema)


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the clearreel CLI in-process; returns (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from clearreel.cli import build_app
    from clearreel.errors import ClearreelError

    runner = CliRunner()
    result = runner.invoke(build_app(), list(args), catch_exceptions=True)
    code = result.exit_code
    stderr = result.stderr
    if isinstance(result.exception, ClearreelError):
        code = result.exception.exit_code
        stderr += str(result.exception)
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return code, result.stdout, stderr


@pytest.fixture
def cli():
    return run_cli
