"""`clearreel consent grant|revoke|show` and `clearreel rights report`, on SQLite and PG."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from clearreel.config import Settings
from clearreel.rights.catalog import import_catalog

from .conftest import base, find, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture
def reg(any_db: Settings, tmp_path: Path) -> Settings:
    doc = base()
    find(doc, "parties", "p-ben")["name"] = '=HYPERLINK("http://x")'  # reason details start so
    import_catalog(any_db, write(tmp_path / "c.yaml", doc))
    return any_db


def _audit(settings: Settings, action: str) -> list[Any]:
    from clearreel.db import open_session
    from clearreel.rights.audit import entries

    with open_session(settings) as s:
        return [e.payload for e in entries(s, action)]


def test_grant_show_revoke(reg: Settings, tmp_path: Path, cli: Any) -> None:
    letter = tmp_path / "ava-replica.pdf"
    letter.write_bytes(b"%PDF signed")
    code, out, err = cli("consent", "grant", "--party", "p-ava", "--kind", "digital_replica",
                         "--work", "w-two", "--project", "proj-a", "--purpose", "previz",
                         "--signed", "2025-01-10", "--expires", "2027-01-10",
                         "--evidence", str(letter), "--json")
    assert code == 0, err
    k = json.loads(out)
    assert (k["works"], k["projects"], k["purposes"]) == (["w-two"], ["proj-a"], ["previz"])
    assert k["evidence"].startswith(str(letter.resolve())) and "sha256:" in k["evidence"]
    code, out, _ = cli("consent", "show", "p-ava", "--json")
    ids = [x["id"] for x in json.loads(out)["consents"]]
    assert ids == ["k-ava-digital_replica-20250110", "k-ava"]
    code, out, _ = cli("consent", "show", "p-ava")
    assert "projects proj-a" in out and "in force today" in out
    code, out, err = cli("consent", "revoke", "k-ava", "--date", "2025-06-01", "--json")
    assert code == 0, err
    assert json.loads(out)["datasets"] == [] and json.loads(out)["models"] == []
    code, out, _ = cli("consent", "show", "p-ava", "--json")
    ava = {x["id"]: x for x in json.loads(out)["consents"]}["k-ava"]
    assert (ava["status"], ava["revoked"], ava["in_force_today"]) == ("revoked", "2025-06-01",
                                                                      False)
    assert [p["kind"] for p in _audit(reg, "consent.grant")] == ["digital_replica"]
    assert [p["revoked"] for p in _audit(reg, "consent.revoke")] == ["2025-06-01"]
    # rule 3 still answers an earlier date as it was then
    from clearreel.db import open_session
    from clearreel.rights.clearance import check_use

    with open_session(reg) as s:
        import datetime as dt

        assert check_use(s, "w-one", "ai_training", on=dt.date(2025, 5, 31),
                         performers=["p-ava"]).allowed
        assert not check_use(s, "w-one", "ai_training", on=dt.date(2025, 6, 1),
                             performers=["p-ava"]).allowed


@pytest.mark.parametrize("args,needle", [
    (["grant", "--party", "p-avaa", "--kind", "training", "--signed", "2025-01-01"],
     "did you mean 'p-ava'"),
    (["grant", "--party", "p-ava", "--kind", "training", "--signed", "01/02/2025"],
     "--signed '01/02/2025' is not a date"),
    (["grant", "--party", "p-ava", "--kind", "selfie", "--signed", "2025-01-01"],
     "unknown consent kind"),
    (["grant", "--party", "p-ava", "--kind", "training", "--signed", "2025-01-01",
      "--expires", "2024-01-01"], "expires after it is signed"),
    (["grant", "--party", "p-ava", "--kind", "training", "--signed", "2025-01-01",
      "--work", "w-nope"], "unknown work(s) w-nope"),
    (["revoke", "k-nope"], "unknown consent 'k-nope'"),
    (["revoke", "k-ava", "--date", "2023-01-01"], "before consent k-ava was signed"),
    (["revoke", "k-ava", "--date", "tomorrow"], "--date 'tomorrow' is not a date"),
    (["show", "p-nobody"], "unknown party 'p-nobody'"),
])
def test_bad_input_is_exit_2_with_a_fix(reg: Settings, cli: Any, args: list[str],
                                        needle: str) -> None:
    before = len(_audit(reg, "consent.grant")) + len(_audit(reg, "consent.revoke"))
    code, _out, err = cli("consent", *args)
    assert code == 2 and needle in err
    assert len(_audit(reg, "consent.grant")) + len(_audit(reg, "consent.revoke")) == before


def test_revoking_twice_is_refused(reg: Settings, cli: Any) -> None:
    assert cli("consent", "revoke", "k-ben")[0] == 0
    code, _out, err = cli("consent", "revoke", "k-ben")
    assert code == 2 and "already revoked" in err


def test_rights_report_by_work_and_performer(reg: Settings, cli: Any) -> None:
    code, out, err = cli("rights", "report", "--work", "w-one", "--on", "2025-03-01", "--json")
    assert code == 0, err
    doc = json.loads(out)
    cells = {(c["work"], c["use"]): c for c in doc["cells"]}
    assert cells[("w-one", "ai_training")]["allowed"]
    assert not cells[("w-one", "character_generation")]["allowed"]
    assert "license.none" in cells[("w-one", "character_generation")]["codes"]
    # --on answers what would have been decided then: after the licence ended (2026-12-31).
    code, out, _ = cli("rights", "report", "--work", "w-one", "--on", "2027-02-01", "--json")
    assert not any(c["allowed"] for c in json.loads(out)["cells"]
                   if c["use"] != "digital_replica")
    code, out, _ = cli("rights", "report", "--performer", "p-ben", "--on", "2025-03-01", "--json")
    doc = json.loads(out)
    assert doc["works"] == ["w-one", "w-two"]
    replica = {c["work"]: c for c in doc["cells"] if c["use"] == "digital_replica"}
    assert not replica["w-one"]["allowed"] and "replica.missing" in replica["w-one"]["codes"]
    assert _audit(reg, "rights.report")[-1]["cells"][0]["use"] == "ai_training"


def test_rights_report_csv_is_formula_safe(reg: Settings, cli: Any) -> None:
    from clearreel.rights.report import safe_cell

    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("plain") == "plain" and safe_cell(None) == ""
    code, out, _ = cli("rights", "report", "--performer", "p-ben", "--on", "2025-03-01", "--csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["work", "use", "allowed", "codes", "detail"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)
    assert len(rows) == 1 + 2 * 7  # a header, two works x the seven uses
    assert any(cell.startswith("'=HYPERLINK") for r in rows for cell in r)
    code, _out, err = cli("rights", "report", "--work", "w-one", "--csv", "--json")
    assert code == 2 and "choose one" in err
    code, _out, err = cli("rights", "report")
    assert code == 2 and "exactly one" in err
