"""`clearreel ledger ...` through the CLI: exit codes, JSON, CSV, HTML; bad input writes nothing."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.ledger import record_attributed_revenue

from .conftest import ORG, count_postings

ATTR = [{"work": "w-a", "share": "0.6"}, {"work": "w-b", "share": "0.4"}]


@pytest.fixture
def booked(ledger_ws: Settings) -> Settings:
    import datetime as dt

    for amount, day in (("100.01", 3), ("20.00", 17)):
        record_attributed_revenue(
            ledger_ws, "output:o-1", ATTR, amount, "USD", on=dt.date(2026, 3, day), org=ORG
        )
    record_attributed_revenue(
        ledger_ws, "output:o-2", ATTR, "7.50", "USD", on=dt.date(2026, 2, 1), org=ORG
    )
    return ledger_ws


@pytest.mark.parametrize(
    "args",
    [
        ["revenue", "--output", "o-1", "--amount", "-5.00", "--currency", "USD"],
        ["revenue", "--output", "o-1", "--amount", "5,00", "--currency", "USD"],
        ["revenue", "--output", "o-1", "--amount", "5.001", "--currency", "USD"],
        ["revenue", "--output", "o-1", "--amount", "5.5", "--currency", "JPY"],
        ["revenue", "--output", "o-1", "--amount", "5.00", "--currency", "XXX"],
        ["revenue", "--output", "o-1", "--amount", "5.00", "--currency", "USD", "--pool", "101"],
        [
            "revenue",
            "--output",
            "o-1",
            "--amount",
            "5.00",
            "--currency",
            "USD",
            "--on",
            "2026-02-30",
        ],
        ["revenue", "--output", "o-unknown", "--amount", "5.00", "--currency", "USD"],
        [
            "deal",
            "--licensee",
            "Acme",
            "--dataset",
            "nope",
            "--amount",
            "5.00",
            "--currency",
            "USD",
        ],
        ["deal", "--licensee", "Acme", "--dataset", "nope", "--amount", "-1", "--currency", "USD"],
        ["deal", "--licensee", " ", "--dataset", "nope", "--amount", "1", "--currency", "USD"],
        ["statements", "--period", "2026-3"],
        ["statements", "--period", "2026-03", "--party", "p-nobody"],
    ],
)
def test_bad_input_exit_2_writes_nothing(booked: Settings, cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    before = count_postings(booked)
    code, _out, err = cli("ledger", *args)
    assert code == 2, err
    assert err.strip()
    assert count_postings(booked) == before


def test_statements_json_csv_html(booked: Settings, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv_path, html_path = tmp_path / "s.csv", tmp_path / "s.html"
    code, out, err = cli(
        "ledger",
        "statements",
        "--period",
        "2026-03",
        "--json",
        "--csv",
        str(csv_path),
        "--html",
        str(html_path),
    )
    assert code == 0, err
    report = json.loads(out)
    assert set(report) >= {"statements", "revenue", "allocated"}
    assert report["revenue"] == {"USD": "120.01"}
    total = sum(Decimal(st["amount"]) for st in report["statements"])
    assert Decimal(report["allocated"]["USD"]) == total == Decimal("60.01")
    for st in report["statements"]:
        assert set(st) >= {"party", "currency", "amount", "lines"}
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert sum(Decimal(r["amount"]) for r in rows) == total
    assert {r["party"] for r in rows} == {st["party"] for st in report["statements"]}
    page = html_path.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "<style>" in page
    for external in ("<script", "<link", "src=", "href=", "url("):
        assert external not in page
    assert "Ava Stone" in page and "w-a" in page and "60.01" in page
    # one party only
    code, out, _ = cli("ledger", "statements", "--period", "2026-03", "--party", "p-ava", "--json")
    assert code == 0 and [s["party"] for s in json.loads(out)["statements"]] == ["p-ava"]


def test_check_and_pool(booked: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("ledger", "check", "--json")
    assert code == 0
    assert json.loads(out)["valid"] is True and json.loads(out)["postings"] == 27
    code, out, _ = cli("ledger", "pool", "--json")
    assert (code, json.loads(out)) == (0, {"pool_percent": "50"})
    code, out, _ = cli("ledger", "pool", "35", "--json")
    assert (code, json.loads(out)) == (0, {"pool_percent": "35"})
    assert cli("ledger", "pool", "-3")[0] == 2

    from sqlalchemy import text

    from clearreel.db import connect

    with connect(booked).begin() as c:
        c.execute(text("DROP TRIGGER ledger_postings_no_update"))
        c.execute(text("UPDATE ledger_postings SET amount = -1 WHERE seq = 5"))
    code, out, _ = cli("ledger", "check", "--json")
    assert code == 1 and json.loads(out)["valid"] is False
