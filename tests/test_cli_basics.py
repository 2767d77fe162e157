"""`clearreel init`, `--help`, and the audit chain: an edited, deleted or reordered entry is
detected by `clearreel audit verify` (exit 1), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from clearreel.config import Settings

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


def test_init_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> None:
    home = tmp_path / "ws"
    monkeypatch.setenv("CLEARREEL_HOME", str(home))
    monkeypatch.delenv("CLEARREEL_DATABASE_URL", raising=False)
    code, out, _ = cli("init", "--json")
    assert code == 0
    data = json.loads(out)
    assert Path(data["home"]) == home.resolve()
    assert (home / "clearreel.db").exists() and (home / "workspace.json").exists()
    # Keys are per organization, made when its catalog is imported: none before.
    assert data["keys"] == {} and not any((home / "keys").iterdir())
    ident = (home / "workspace.json").read_text()
    code, _, _ = cli("init")
    assert code == 0 and (home / "workspace.json").read_text() == ident


def test_commands_without_a_workspace_say_how_to_fix_it(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.setenv("CLEARREEL_HOME", str(tmp_path / "none"))
    monkeypatch.delenv("CLEARREEL_DATABASE_URL", raising=False)
    code, _, err = cli("catalog", "list")
    assert code == 2 and "clearreel init" in err


def test_version_prints_one_line_without_a_workspace(tmp_path, monkeypatch, cli) -> None:
    from clearreel.cli._common import version_text

    monkeypatch.setenv("CLEARREEL_HOME", str(tmp_path / "none"))
    code, out, _ = cli("--version")
    assert code == 0 and out == version_text() + "\n" and out.startswith("clearreel ")
    assert not (tmp_path / "none").exists()


def test_help_lists_the_registry_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "clearreel", "--help"], capture_output=True,
                         text=True, check=True, env={"COLUMNS": "200", "PATH": ""})
    for name in ("init", "audit", "catalog", "rights"):
        assert name in out.stdout
    out = subprocess.run([sys.executable, "-m", "clearreel", "rights", "check", "--help"],
                         capture_output=True, text=True, check=True,
                         env={"COLUMNS": "200", "PATH": ""})
    for opt in ("--work", "--use", "--territory", "--on", "--performer", "--json"):
        assert opt in out.stdout


def _chain(settings: Settings, n: int = 4) -> None:
    from clearreel.db import open_session
    from clearreel.rights import audit
    from clearreel.rights.models import Organization

    with open_session(settings, any_org=True) as s:
        if s.get(Organization, "org-audit") is None:
            s.add(Organization(id="org-audit", name="Audit Pictures"))
    with open_session(settings, org="org-audit") as s:
        for i in range(n):
            audit.record(s, "rights.check", f"w-{i}", allowed=bool(i % 2), reasons=[{"code": "x"}])


def _verify(cli) -> tuple[int, dict]:
    code, out, _ = cli("audit", "verify", "--json")
    return code, json.loads(out)


def test_an_intact_chain_verifies(any_db: Settings, cli) -> None:
    _chain(any_db)
    code, data = _verify(cli)
    anchors = data.pop("anchors")
    assert (code, data) == (0, {"valid": True, "entries": 4, "problems": []})
    # one transaction, one anchor: the head it committed
    assert anchors["status"] == "anchored" and anchors["newest"]["seq"] == 4


def test_an_edited_entry_is_detected(any_db: Settings, cli) -> None:
    from clearreel.db import open_session
    from clearreel.rights.models import AuditEntry

    _chain(any_db)
    with open_session(any_db, org="org-audit") as s:
        e = s.scalars(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        e.payload = {**e.payload, "allowed": not e.payload["allowed"]}
    code, data = _verify(cli)
    assert code == 1 and data["problems"] == ["entry 2: content does not match its hash (edited)"]


def test_an_edited_subject_in_raw_sql_is_detected(any_db: Settings, cli) -> None:
    from clearreel.db import connect

    _chain(any_db)
    with connect(any_db).begin() as c:
        c.execute(text("UPDATE audit_log SET subject = 'w-other' WHERE seq = 3"))
    code, data = _verify(cli)
    assert code == 1 and "entry 3: content does not match its hash (edited)" in data["problems"]


def test_a_deleted_entry_is_detected(any_db: Settings, cli) -> None:
    from clearreel.db import connect
    from clearreel.rights.models import AuditEntry

    _chain(any_db)
    with connect(any_db).begin() as c:
        c.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 2))
    code, data = _verify(cli)
    assert code == 1
    assert data["problems"][0] == "entry 2: missing (next entry is 3): deleted or reordered"
    assert "entry 3: previous-hash link broken" in data["problems"][1]


def test_deleting_the_last_entry_and_renumbering_is_detected(any_db: Settings, cli) -> None:
    from clearreel.db import connect
    from clearreel.rights.models import AuditEntry

    _chain(any_db)
    t = AuditEntry.__table__
    with connect(any_db).begin() as c:
        c.execute(t.delete().where(t.c.seq == 1))
        for seq in (2, 3, 4):  # renumber to hide the gap
            c.execute(update(t).where(t.c.seq == seq).values(seq=seq - 1))
    code, data = _verify(cli)
    assert code == 1 and len(data["problems"]) >= 3


def test_a_reordered_entry_is_detected(any_db: Settings, cli) -> None:
    from clearreel.db import connect
    from clearreel.rights.models import AuditEntry

    _chain(any_db)
    t = AuditEntry.__table__
    with connect(any_db).begin() as c:  # swap entries 2 and 3 (via a free number)
        c.execute(update(t).where(t.c.seq == 2).values(seq=99))
        c.execute(update(t).where(t.c.seq == 3).values(seq=2))
        c.execute(update(t).where(t.c.seq == 99).values(seq=3))
    code, data = _verify(cli)
    assert code == 1
    assert any("previous-hash link broken" in p for p in data["problems"])
    assert any("content does not match" in p for p in data["problems"])
