"""Anchors of the audit log: signed checkpoints of its head, kept apart from the database, so
a truncated or recomputed chain fails `audit verify` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from clearreel.config import Settings
from clearreel.db import connect, open_session
from clearreel.provenance import anchors
from clearreel.rights import audit

from .conftest import base, write

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
ORG = "org-test"


@pytest.fixture
def logged(any_db: Settings, tmp_path: Path, cli) -> Settings:
    """An imported catalog and a few rights decisions: 6 audit entries, each anchored."""
    code, _, err = cli("catalog", "import", str(write(tmp_path / "c.yaml", base())))
    assert code == 0, err
    for day in ("2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"):
        code, _, err = cli("rights", "check", "--work", "w-one", "--use", "data_mining",
                           "--on", day, "--json")
        assert code == 0, err
    return any_db


def _lines(settings: Settings) -> list[dict]:
    p = settings.anchors_dir(ORG) / "audit.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines()]


def _verify(cli) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    code, out, err = cli("audit", "verify", "--json")
    return code, json.loads(out), err


def test_every_commit_is_anchored_and_verifies(logged: Settings, cli) -> None:
    lines = _lines(logged)
    assert [a["seq"] for a in lines] == [1, 2, 3, 4, 5, 6]
    assert (logged.anchors_dir(ORG) / "audit.jsonl").parent == logged.home / "anchors" / ORG
    with open_session(logged, ORG) as s:
        heads = {e.seq: e.hash for e in audit.entries(s)}
    assert all(a["head"] == heads[a["seq"]] and a["org"] == ORG for a in lines)
    code, data, _ = _verify(cli)
    assert code == 0 and data["valid"] and data["entries"] == 6
    assert data["anchors"]["status"] == "anchored" and data["anchors"]["verified"] == 6
    assert data["anchors"]["newest"]["seq"] == 6 and data["anchors"]["problems"] == []
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "6 entries" in out and "newest at audit entry 6" in out
    assert (logged.keys_dir(ORG) / "anchor.key").stat().st_mode & 0o077 == 0


def test_deleting_the_newest_rows_fails(logged: Settings, cli) -> None:
    with connect(logged).begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE org_id = :o AND seq > 4"), {"o": ORG})
    with open_session(logged, ORG) as s:
        assert audit.verify(s) == []  # the chain alone cannot see it: what is left is intact
    code, data, err = _verify(cli)
    assert code == 1 and not data["valid"]
    assert any("truncated" in p and "audit entry 6" in p and "holds only 4" in p
               for p in data["problems"]), data["problems"]
    code, _, err = cli("audit", "verify")
    assert code == 1 and "the newest entries were deleted" in err


def test_a_recomputed_chain_fails(logged: Settings, cli) -> None:
    """Edit entry 3's payload and recompute every hash after it: the chain verifies, the
    anchors of entries 3..6 do not."""
    from clearreel.rights.models import AuditEntry

    with open_session(logged, ORG) as s:
        rows = sorted(s.query(AuditEntry).all(), key=lambda e: e.seq)
        prev = audit.GENESIS
        for e in rows:
            if e.seq == 3:
                e.payload = {**e.payload, "allowed": True, "forged": True}
            e.prev_hash = prev
            e.hash = audit._entry_hash(e)
            prev = e.hash
    with open_session(logged, ORG) as s:
        assert audit.verify(s) == []
    code, data, _ = _verify(cli)
    assert code == 1
    rewritten = [p for p in data["problems"] if p.startswith("rewritten")]
    assert len(rewritten) == 4 and "audit entry 3 was anchored" in rewritten[0], rewritten


def test_a_forged_anchor_line_fails(logged: Settings, cli) -> None:
    p = logged.anchors_dir(ORG) / "audit.jsonl"
    last = _lines(logged)[-1]
    forged = {**last, "seq": 2, "head": "f" * 64}  # someone else's claim, the old signature
    with open(p, "a") as f:
        f.write(json.dumps(forged) + "\n")
    code, data, _ = _verify(cli)
    assert code == 1
    assert data["problems"] == [
        "anchor audit.jsonl line 7 (entry 2): its signature does not verify with the "
        f"organization's anchor key {last['key']}: forged or altered"]


def test_an_anchor_signed_with_another_key_fails(logged: Settings, tmp_path: Path,
                                                  cli) -> None:
    """A well-formed anchor from another workspace's key for the same organization id."""
    other = Settings(home=tmp_path / "other")
    line = anchors.write(other, ORG, "audit", 6, "e" * 64)
    with open(logged.anchors_dir(ORG) / "audit.jsonl", "a") as f:
        f.write(json.dumps(line) + "\n")
    code, data, _ = _verify(cli)
    assert code == 1 and len(data["problems"]) == 1
    assert "signature does not verify" in data["problems"][0]


def test_a_rolled_back_transaction_writes_no_anchor(logged: Settings, cli) -> None:
    with pytest.raises(RuntimeError), open_session(logged, ORG) as s:
        audit.record(s, "test.rolled_back", "x")
        raise RuntimeError("refused")
    assert [a["seq"] for a in _lines(logged)] == [1, 2, 3, 4, 5, 6]
    with open_session(logged, ORG) as s:
        audit.record(s, "test.kept", "y")
    assert [a["seq"] for a in _lines(logged)][-1] == 7
    code, data, _ = _verify(cli)
    assert code == 0 and data["anchors"]["newest"]["seq"] == 7


def test_a_workspace_without_anchors_verifies_as_not_anchored(logged: Settings, cli) -> None:
    """An old workspace (its entries predate anchors) verifies as before, and says so."""
    (logged.anchors_dir(ORG) / "audit.jsonl").unlink()
    code, data, _ = _verify(cli)
    assert code == 0 and data["valid"] and data["anchors"]["status"] == "not anchored"
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "not anchored" in out


def test_a_torn_last_line_is_not_an_anchor(logged: Settings, cli) -> None:
    """A crash in the middle of an append leaves half a line: ignored, not a forgery."""
    with open(logged.anchors_dir(ORG) / "audit.jsonl", "a") as f:
        f.write('{"format":"clearreel.anchor/1","chain":"au')
    code, data, _ = _verify(cli)
    assert code == 0 and data["anchors"]["torn_last_line"] is True


def test_export_and_verify_against_the_exported_copy(logged: Settings, tmp_path: Path,
                                                     cli) -> None:
    dest = tmp_path / "bucket" / "anchors"
    code, out, err = cli("audit", "anchors", "export", str(dest), "--json")
    assert code == 0, err
    assert sorted(Path(f).name for f in json.loads(out)["files"]) == ["anchor.pub", "audit.jsonl"]
    assert (dest / "audit.jsonl").read_bytes() == (
        logged.anchors_dir(ORG) / "audit.jsonl").read_bytes()
    # Whoever can write the workspace deletes the newest rows and the newest anchors alike:
    # the workspace's anchors agree, the exported copy does not.
    with connect(logged).begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE org_id = :o AND seq > 4"), {"o": ORG})
    p = logged.anchors_dir(ORG) / "audit.jsonl"
    p.write_text("".join(x + "\n" for x in p.read_text().splitlines()[:4]))
    assert _verify(cli)[0] == 0
    code, out, _ = cli("audit", "verify", "--json", "--anchors", str(dest))
    assert code == 1 and any("truncated" in p for p in json.loads(out)["problems"])
    code, _, err = cli("audit", "anchors", "export", str(logged.home / "x"))
    assert code == 2 and "outside it" in err
    code, _, err = cli("audit", "verify", "--anchors", str(tmp_path / "nope"))
    assert code == 2 and "no such folder" in err


def test_an_anchor_that_cannot_be_written_is_exit_3_after_the_commit(logged: Settings,
                                                                     cli) -> None:
    """The database change stands (it was committed); the command says so and exits 3, and
    the next append's anchor covers the entry that missed its own."""
    folder = logged.anchors_dir(ORG)
    saved = folder.with_name("saved")
    folder.rename(saved)
    folder.write_text("not a folder")  # the write fails: ENOTDIR / EEXIST
    code, _, err = cli("rights", "check", "--work", "w-one", "--use", "data_mining",
                       "--on", "2025-06-01", "--json")
    assert code == 3 and "was committed (entry 7)" in err, err
    with open_session(logged, ORG) as s:
        assert max(e.seq for e in audit.entries(s)) == 7
    folder.unlink()
    saved.rename(folder)
    code, _, err = cli("rights", "check", "--work", "w-one", "--use", "data_mining",
                       "--on", "2025-07-01", "--json")
    assert code == 0, err
    assert _verify(cli)[0] == 0 and [a["seq"] for a in _lines(logged)] == [1, 2, 3, 4, 5, 6, 8]


def test_truncation_hidden_by_new_appends_still_fails(logged: Settings, cli) -> None:
    """Delete entries 5-6, then let the studio append two new decisions (numbered 5-6 again):
    the newest anchor now matches the newest entry's number, but not the old anchors' heads."""
    with connect(logged).begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE org_id = :o AND seq > 4"), {"o": ORG})
    for day in ("2025-08-01", "2025-09-01"):
        assert cli("rights", "check", "--work", "w-one", "--use", "data_mining", "--on", day,
                   "--json")[0] == 0
    code, data, _ = _verify(cli)
    assert code == 1 and data["entries"] == 6
    assert [p.split(" was anchored")[0] for p in data["problems"]] == [
        "rewritten: audit entry 5", "rewritten: audit entry 6"]


def test_each_organization_anchors_apart_with_its_own_key(logged: Settings, tmp_path: Path,
                                                          cli) -> None:
    doc = base()
    doc["organization"] = {"id": "org-other", "name": "Other Pictures", "home_territory": "US"}
    for lic in doc["licenses"]:
        lic["licensee"] = "org-other"
    code, _, err = cli("--org", "org-other", "catalog", "import",
                       str(write(tmp_path / "other.yaml", doc)))
    assert code == 0, err
    theirs = logged.anchors_dir("org-other") / "audit.jsonl"
    assert [json.loads(x)["org"] for x in theirs.read_text().splitlines()] == ["org-other"]
    assert [a["seq"] for a in _lines(logged)] == [1, 2, 3, 4, 5, 6]  # ours untouched
    assert (logged.keys_dir("org-other") / "anchor.pub").read_bytes() != (
        logged.keys_dir(ORG) / "anchor.pub").read_bytes()
    # Another organization's genuine anchor does not vouch for this one's chain.
    with open(logged.anchors_dir(ORG) / "audit.jsonl", "a") as f:
        f.write(theirs.read_text().splitlines()[-1] + "\n")
    code, out, _ = cli("--org", ORG, "audit", "verify", "--json")
    assert code == 1 and "signature does not verify" in json.loads(out)["problems"][0]
    assert cli("--org", "org-other", "audit", "verify")[0] == 0
