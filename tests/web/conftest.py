"""Fixtures of the web tests: one two-organization studio per module, clients per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.studio import PASSWORD, build


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("web") / "home"
    return build(home)


def studio_on(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The studio on SQLite or (param "pg") on a fresh PostgreSQL schema."""
    home = tmp_path_factory.mktemp("web") / "home"
    if request.param == "sqlite":
        yield build(home)
        return
    from conftest import PG_URL, _drop_pg_schema, _fresh_pg_schema

    if not PG_URL:
        pytest.skip("set CLEARREEL_TEST_PG_URL to run the PostgreSQL variant")
    schema, url = _fresh_pg_schema()
    try:
        yield build(home, url)
    finally:
        from clearreel.db._session import _engine

        _engine(url).dispose()
        _drop_pg_schema(schema)


@pytest.fixture(scope="module")
def app(studio: dict[str, Any]) -> Any:
    from clearreel.web import create_app

    return create_app(studio["settings"])


def signed_in(app: Any, name: str) -> Any:
    """A TestClient signed in as `name` through the real sign-in form."""
    import re

    from fastapi.testclient import TestClient

    c = TestClient(app, follow_redirects=False)
    page = c.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/signin", data={"name": name, "password": PASSWORD, "csrf": csrf, "next": "/"})
    assert r.status_code == 303, r.text
    return c


def csrf_of(client: Any, path: str = "/") -> str:
    import re

    page = client.get(path)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


@pytest.fixture(scope="module")
def clients(app: Any) -> Iterator[dict[str, Any]]:
    names = ["admin-a", "rights-a", "creative-a", "finance-a", "rights-b"]
    yield {n: signed_in(app, n) for n in names}


@pytest.fixture
def api(app: Any, studio: dict[str, Any]) -> Any:
    from fastapi.testclient import TestClient

    def client(name: str) -> Any:
        return TestClient(app, headers={"Authorization": f"Bearer {studio['tokens'][name]}"})

    return client


__all__ = ["Path", "csrf_of", "signed_in"]
