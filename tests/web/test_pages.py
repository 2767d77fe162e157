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
