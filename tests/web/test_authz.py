"""Authorization, route by route: another organization's objects are 404, a role that may not
use a page or call gets 403, no credentials get a sign-in redirect (pages) or 401 (API), and
every form needs its CSRF token."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from web.conftest import csrf_of, studio_on
from web.studio import output_of


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def studio(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Authorization matters in the database: these run on SQLite and PostgreSQL."""
    yield from studio_on(request, tmp_path_factory)


@pytest.fixture(scope="module")
def b_ids(studio: dict[str, Any]) -> dict[str, str]:
    """Ids of organization B's objects (A has none with these ids)."""
    from clearreel.dataset import show
    from clearreel.web import jobs

    sb = dataclasses.replace(studio["settings"], org="org-b")
    job = jobs.submit(sb, "curate", {"dataset": "b-next"}, "rights-b")
    return {"work_id": "b-harbor", "party_id": "b-ava", "entry_id": "b-k-ava-train",
            "consent_id": "b-k-ava-train",
            "name": "b-data", "clip_id": show(sb, "b-data")["clips"][0]["id"],
            "output_id": output_of(studio["settings"], "org-b"), "job_id": job["id"],
            "kind": "curate", "file": "app.css"}


def _fill(path: str, ids: dict[str, str]) -> str:
    for k, v in ids.items():
        path = path.replace("{" + k + "}", v)
    return path


# Routes whose path names no object, or that take an upload / a body (tested below).
NO_OBJECT = {"{kind}", "{file}"}


def test_every_route_with_an_object_is_404_for_another_organization(
        app: Any, clients: dict[str, Any], api: Any, b_ids: dict[str, str]) -> None:
    from clearreel.web.app import route_table

    admin_page, admin_api = clients["admin-a"], api("admin-a")
    csrf = csrf_of(admin_page)
    checked = 0
    for method, path in route_table(app):
        if "{" not in path or any(k in path for k in NO_OBJECT):
            continue
        url = _fill(path, b_ids)
        assert "{" not in url, f"add the id for {path} to b_ids"
        client = admin_api if path.startswith("/api/") else admin_page
        if method == "GET":
            r = client.get(url)
        else:
            r = (client.post(url, data={"csrf": csrf}) if client is admin_page
                 else client.post(url, json={"dry_run": True}))
        assert r.status_code == 404, f"{method} {url}: {r.status_code} {r.text[:300]}"
        # B's ids all start with "b-"; a random CSRF token may hold "b-" inside a word.
        leak = re.search(r"(?<![\w-])b-[\w-]", r.text.replace(url, ""))
        assert leak is None, f"{method} {url} leaks B's data: {leak and leak.group()}"
        checked += 1
    assert checked >= 15


def test_the_same_object_of_ones_own_organization_is_found(
        clients: dict[str, Any], api: Any, studio: dict[str, Any]) -> None:
    c = clients["rights-b"]
    assert c.get("/works/b-harbor").status_code == 200
    assert c.get("/performers/b-ava").status_code == 200
    assert c.get("/datasets/b-data").status_code == 200
    assert api("rights-b").get("/api/v1/datasets/b-data").status_code == 200
    assert clients["admin-a"].get("/works/b-harbor").status_code == 404


def test_queries_by_id_do_not_cross_organizations(api: Any) -> None:
    a = api("admin-a")
    assert a.get("/api/v1/rights/check", params={"work": "b-harbor",
                                                 "use": "ai_training"}).status_code == 404
    r = a.post("/api/v1/generate/check", json={"model": "b-model", "prompt": "Mara"})
    assert r.status_code == 404
    listed = a.get("/api/v1/catalog").json()
    assert {w["id"] for w in listed["works"]} == {"a-harbor", "a-tide"}
    assert all(j["id"] for j in a.get("/api/v1/jobs").json()["jobs"]) is True
    assert not [j for j in a.get("/api/v1/jobs").json()["jobs"] if j["user"] == "rights-b"]


def test_generate_page_refuses_another_organizations_model(clients: dict[str, Any]) -> None:
    c = clients["admin-a"]
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "prompt": "Mara",
                                  "model": "b-model"})
    assert r.status_code == 400 and "Choose one of the organization" in r.text


ROLE_PAGES = {
    "/works": {"admin", "rights"}, "/performers": {"admin", "rights"},
    "/audit": {"admin", "rights"}, "/datasets": {"admin", "rights", "creative"},
    "/models": {"admin", "rights", "creative"}, "/generate": {"admin", "creative"},
    "/outputs": {"admin", "creative", "rights"}, "/verify": {"admin", "creative", "rights"},
    "/finance": {"admin", "finance"}, "/jobs": {"admin", "rights", "creative"},
}
ROLE_API = {
    "/api/v1/catalog": {"admin", "rights"}, "/api/v1/audit": {"admin", "rights"},
    "/api/v1/datasets": {"admin", "rights", "creative"},
    "/api/v1/models": {"admin", "rights", "creative"},
    "/api/v1/outputs": {"admin", "rights", "creative"},
    "/api/v1/jobs": {"admin", "rights", "creative"},
    "/api/v1/ledger/statements?period=2026-01": {"admin", "finance"},
}


@pytest.mark.parametrize("role", ["admin", "rights", "creative", "finance"])
def test_roles(clients: dict[str, Any], api: Any, role: str) -> None:
    page, tok = clients[f"{role}-a"], api(f"{role}-a")
    for path, allowed in ROLE_PAGES.items():
        r = page.get(path)
        assert r.status_code == (200 if role in allowed else 403), (role, path, r.status_code)
    for path, allowed in ROLE_API.items():
        r = tok.get(path)
        assert r.status_code == (200 if role in allowed else 403), (role, path, r.text)
    nav = page.get("/").text
    assert ('href="/finance"' in nav) == (role in ROLE_PAGES["/finance"])


def test_no_credentials(app: Any) -> None:
    from fastapi.testclient import TestClient

    anon = TestClient(app, follow_redirects=False)
    assert anon.get("/datasets/a-data").status_code == 303
    assert anon.get("/api/v1/datasets").status_code == 401
    bad = TestClient(app, headers={"Authorization": "Bearer crt_forged"})
    assert bad.get("/api/v1/me").status_code == 401
    assert anon.get("/api/v1/health").json() == {"status": "ok"}


def test_forms_need_their_csrf_token(clients: dict[str, Any]) -> None:
    c = clients["admin-a"]
    assert c.post("/datasets/a-data/verify").status_code == 403
    assert c.post("/datasets/a-data/verify", data={"csrf": "x" * 43}).status_code == 403
    assert c.post("/datasets/a-data/verify",
                  data={"csrf": csrf_of(c)}).status_code == 200
    assert c.post("/generate", data={"prompt": "x", "model": "a-model"}).status_code == 403


def test_sign_in_failures_and_open_redirects(app: Any) -> None:
    import re

    from fastapi.testclient import TestClient

    c = TestClient(app, follow_redirects=False)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/signin").text).group(1)
    r = c.post("/signin", data={"name": "admin-a", "password": "wrong", "csrf": csrf})
    assert r.status_code == 401 and "wrong password" in r.text
    r = c.post("/signin", data={"name": "admin-a", "password": "correct horse battery staple",
                                "csrf": "forged"})
    assert r.status_code == 403
    r = c.post("/signin", data={"name": "admin-a", "password": "correct horse battery staple",
                                "csrf": csrf, "next": "//evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


def test_sign_out_ends_the_session(app: Any) -> None:
    from fastapi.testclient import TestClient

    from web.conftest import signed_in

    c = signed_in(app, "finance-a")
    assert c.get("/finance").status_code == 200
    secret = c.cookies.get("cr_session")
    assert c.post("/signout", data={"csrf": csrf_of(c)}).status_code == 303
    replay = TestClient(app, follow_redirects=False, cookies={"cr_session": secret})
    assert replay.get("/finance").status_code == 303  # the server forgot the session
