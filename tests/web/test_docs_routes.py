"""docs/web.md lists every route the app serves, and no route it does not."""

from __future__ import annotations

import re
from pathlib import Path

from clearreel.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"


def test_every_route_is_documented_and_every_documented_route_exists(tmp_path: Path) -> None:
    from clearreel.web.app import create_app, route_table

    served = {f"{m} {p}" for m, p in route_table(create_app(Settings(home=tmp_path)))}
    listed = set(re.findall(r"^\| `([A-Z]+ /[^`]*)` \|", DOC.read_text(), flags=re.M))
    assert len(served) > 40
    assert served - listed == set(), "add these routes to docs/web.md"
    assert listed - served == set(), "docs/web.md lists routes the app does not serve"


def test_openapi_lists_the_api_and_no_page(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from clearreel.web.app import create_app

    doc = TestClient(create_app(Settings(home=tmp_path))).get("/api/v1/openapi.json").json()
    assert all(p.startswith("/api/v1/") for p in doc["paths"])
    assert "/api/v1/rights/check" in doc["paths"]
    assert doc["components"]["schemas"]
