"""Every page, signed in through the real form, on a two-organization workspace."""

from __future__ import annotations

from typing import Any

import pytest

from web.studio import output_of

PAGES_A = [
    "/", "/works", "/works/a-harbor", "/works?on=2023-01-01", "/works?territory=FR",
    "/performers", "/performers/a-ava", "/audit", "/datasets", "/datasets/a-data",
    "/models", "/generate", "/outputs", "/verify", "/finance", "/jobs",
]


@pytest.mark.parametrize("path", PAGES_A)
def test_admin_sees_every_page(clients: dict[str, Any], path: str) -> None:
    r = clients["admin-a"].get(path)
    assert r.status_code == 200, r.text[:2000]
    assert "<main" in r.text


def test_not_signed_in_redirects_to_sign_in(app: Any) -> None:
    from fastapi.testclient import TestClient

    r = TestClient(app, follow_redirects=False).get("/works?on=2025-01-01")
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=/works%3Fon%3D2025-01-01"


def test_matrix_explains_each_cell(clients: dict[str, Any]) -> None:
    page = clients["rights-a"].get("/works").text
    assert "Harbor Lights" in page and "a-lic" in page
    old = clients["rights-a"].get("/works?on=2023-06-01").text
    assert "license." in old or "licence" in old


def test_output_page_and_video(clients: dict[str, Any], studio: dict[str, Any]) -> None:
    out = output_of(studio["settings"], "org-a")
    r = clients["creative-a"].get(f"/outputs/{out}")
    assert r.status_code == 200 and "Blocked" in r.text


def _likeness_table(html: str) -> str:
    import re

    m = re.search(r'<table class="depicted">.*?</table>', html, re.S)
    assert m, "no likeness report on the page"
    return m.group(0)


def test_an_allowed_prompt_shows_who_it_depicts_and_what_allowed_it(
        clients: dict[str, Any]) -> None:
    """Mara is licensed (a-lic) and played by Ava Stone, whose digital-replica consent covers
    previz: the page says who was matched, by which name, and which consent and licence."""
    from web.conftest import csrf_of

    c = clients["creative-a"]
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "model": "a-model",
                                  "prompt": "Mara waits on the quay", "purpose": "previz"})
    assert r.status_code == 200 and "<h2>Allowed</h2>" in r.text
    table = _likeness_table(r.text)
    assert "character <code>a-mara</code>" in table and "played by <code>a-ava</code>" in table
    assert "&ldquo;Mara&rdquo; (name &ldquo;Mara&rdquo;)" in table
    assert "consent <code>a-k-ava-replica</code>" in table
    assert "licence <code>a-lic</code>" in table and "character.licensed" in table
    # A person named by the given name alone: the form is said, and her consent.
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "model": "a-model",
                                  "prompt": "Ava walks along the harbour", "purpose": "previz"})
    table = _likeness_table(r.text)
    assert "person <code>a-ava</code>" in table
    assert "&ldquo;Ava&rdquo; (given name &ldquo;Ava Stone&rdquo;)" in table
    assert "consent <code>a-k-ava-replica</code>" in table and "a-lic" not in table


def test_a_blocked_prompt_names_what_refused_it(clients: dict[str, Any]) -> None:
    from web.conftest import csrf_of

    c = clients["creative-a"]
    r = c.post("/generate", data={"csrf": csrf_of(c, "/generate"), "model": "a-model",
                                  "prompt": "Jonah on the pier", "purpose": "previz"})
    assert "Blocked" in r.text
    table = _likeness_table(r.text)
    assert "character <code>a-jonah</code>" in table and "replica.missing" in table


def test_the_api_guard_check_is_the_guard_report(api: Any) -> None:
    doc = api("creative-a").post("/api/v1/generate/check", json={
        "model": "a-model", "prompt": "Mara waits on the quay", "purpose": "previz"}).json()
    assert doc["allowed"]
    (mara,) = doc["depicted"]
    assert (mara["kind"], mara["id"], mara["played_by"]) == ("character", "a-mara", ["a-ava"])
    assert mara["named_by"][0]["form"] == "full"
    assert {(r["code"], r["consent"] or r["license"]) for r in mara["allowed_by"]} == {
        ("character.licensed", "a-lic"), ("replica.consent", "a-k-ava-replica")}
    assert mara["denied_by"] == []
