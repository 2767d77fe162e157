"""`clearreel catalog ...` and `clearreel rights ...` through the CLI, on SQLite and PG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from clearreel.config import Settings

from .conftest import base, find, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture
def imported(any_db: Settings, tmp_path: Path, cli) -> Path:
    doc = base()
    find(doc, "consents", "k-ben").update(status="revoked", revoked="2025-03-01")
    p = write(tmp_path / "catalog.yaml", doc)
    code, out, err = cli("catalog", "import", str(p), "--json")
    assert code == 0, err
    assert json.loads(out)["created"]["works"] == 2
    return p


def test_import_human_and_idempotent(imported: Path, cli) -> None:
    code, out, _ = cli("catalog", "import", str(imported))
    assert code == 0 and "created nothing; updated nothing; 13 unchanged" in out


def test_import_refuses_an_invalid_file_with_exit_2(any_db: Settings, tmp_path: Path, cli) -> None:
    doc = base()
    find(doc, "licenses", "l-main")["territories"] = ["Mars"]
    p = write(tmp_path / "bad.yaml", doc)
    code, out, err = cli("catalog", "import", str(p), "--json")
    assert code == 2 and out == ""
    assert f"{p}:" in err and "unknown territory 'Mars'" in err
    code, _, err = cli("catalog", "list")
    assert code == 2 and "no organization" in err


def test_list_and_show(imported: Path, cli) -> None:
    code, out, _ = cli("catalog", "list", "--json")
    data = json.loads(out)
    assert code == 0 and [w["id"] for w in data["works"]] == ["w-one", "w-two"]
    assert data["organization"]["id"] == "org-test"
    code, out, _ = cli("catalog", "list")
    assert code == 0 and "Test Pictures" in out and "l-main" in out
    for id_, typ in [("w-one", "work"), ("p-ava", "party"), ("l-main", "license"),
                     ("k-ava", "consent"), ("c-mara", "character")]:
        code, out, _ = cli("catalog", "show", id_, "--json")
        assert code == 0 and json.loads(out)["type"] == typ and json.loads(out)["id"] == id_
    code, out, _ = cli("catalog", "show", "c-mara")
    assert code == 0 and "character c-mara" in out and "w-one" in out
    code, _, err = cli("catalog", "show", "nope")
    assert code == 2 and "no work, party" in err


def test_export_round_trips_through_the_cli(imported: Path, tmp_path: Path, cli) -> None:
    out_file = tmp_path / "export.yaml"
    code, _, _ = cli("catalog", "export", "-o", str(out_file))
    assert code == 0
    doc = yaml.safe_load(out_file.read_text())
    assert find(doc, "consents", "k-ben")["revoked"].isoformat() == "2025-03-01"
    code, out, _ = cli("catalog", "import", str(out_file), "--json")
    assert json.loads(out)["updated"] == {} and json.loads(out)["created"] == {}
    code, out, _ = cli("catalog", "export", "--format", "json")
    assert code == 0 and json.loads(out)["organization"]["id"] == "org-test"
    code, _, _ = cli("catalog", "export", "--format", "xml")
    assert code == 2


def test_rights_check_exit_codes_and_json(imported: Path, cli) -> None:
    args = ["rights", "check", "--work", "w-one", "--use", "ai_training"]
    code, out, _ = cli(*args, "--on", "2025-02-28", "--json")
    d = json.loads(out)
    assert code == 0 and d["allowed"] is True
    assert {"code", "license", "consent", "party", "detail"} <= set(d["reasons"][0])
    code, out, _ = cli(*args, "--on", "2025-03-01", "--json")
    d = json.loads(out)
    assert code == 1 and d["allowed"] is False
    assert [(r["code"], r["consent"]) for r in d["reasons"] if r["effect"] == "deny"] == [
        ("consent.revoked", "k-ben")]
    # Only Ava present: Ben's revocation does not matter.
    code, out, _ = cli(*args, "--on", "2025-03-01", "--performer", "p-ava", "--json")
    assert code == 0 and json.loads(out)["performers"] == ["p-ava"]


def test_rights_check_explains_in_words(imported: Path, cli) -> None:
    code, out, _ = cli("rights", "check", "--work", "w-one", "--use", "ai_training",
                       "--on", "2025-03-01", "--territory", "FR")
    assert code == 1
    assert "DENIED" in out and "ai_training of w-one on 2025-03-01 in FR" in out
    assert "consent.revoked" in out
    assert "Ben Reyes (p-ben) revoked consent k-ben on 2025-03-01" in out
    code, out, _ = cli("rights", "check", "--work", "w-two", "--use", "data_mining",
                       "--on", "2025-03-01")
    assert code == 0 and "ALLOWED" in out and "licence l-main from Test Pictures" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--work", "w-nope", "--use", "ai_training"], "unknown work 'w-nope'"),
    (["--work", "w-one", "--use", "training"], "unknown use 'training'"),
    (["--work", "w-one", "--use", "ai_training", "--on", "2025-02-30"], "is not a date"),
    (["--work", "w-one", "--use", "ai_training", "--territory", "ZZ"], "unknown territory"),
    (["--work", "w-one", "--use", "ai_training", "--performer", "p-ghost"], "unknown performer"),
])
def test_rights_check_bad_input_exits_2(imported: Path, cli, extra: list[str],
                                        message: str) -> None:
    code, out, err = cli("rights", "check", *extra, "--json")
    assert code == 2 and message in err and out == ""


def test_rights_generation_and_consent_mode(imported: Path, cli) -> None:
    code, out, _ = cli("rights", "generation", "--performer", "p-ava", "--project", "x",
                       "--on", "2025-06-01", "--json")
    assert code == 1 and json.loads(out)["reasons"][0]["code"] == "replica.missing"
    code, out, _ = cli("rights", "consent-mode", "--json")
    assert json.loads(out) == {"consent_mode": "strict"}
    code, out, _ = cli("rights", "consent-mode", "unless_refused")
    assert code == 0 and "unless_refused" in out
    code, _, err = cli("rights", "consent-mode", "lax")
    assert code == 2 and "unknown consent mode" in err
    code, out, _ = cli("rights", "check", "--work", "w-one", "--use", "ai_training",
                       "--on", "2025-02-28", "--json")
    assert json.loads(out)["consent_mode"] == "unless_refused"


def test_decisions_are_in_the_audit_log(imported: Path, cli) -> None:
    cli("rights", "check", "--work", "w-one", "--use", "data_mining", "--on", "2025-01-01")
    code, out, _ = cli("audit", "list", "--json")
    actions = [e["action"] for e in json.loads(out)["entries"]]
    assert actions == ["rights.check", "catalog.import"]
    code, out, _ = cli("audit", "verify", "--json")
    data = json.loads(out)
    assert code == 0 and data.pop("anchors")["newest"]["seq"] == 2
    assert data == {"valid": True, "entries": 2, "problems": []}
