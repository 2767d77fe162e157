"""Anchors of the ledger: whoever can write the database (triggers dropped, hashes recomputed)
is caught by the signed checkpoints of the posting chain's head (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, text

from clearreel.config import Settings
from clearreel.db import connect, open_session
from clearreel.ledger import book, record_attributed_revenue

from .conftest import ORG
from .test_book import _disable_append_only

ATTR = [{"work": "w-a", "share": "0.6"}, {"work": "w-b", "share": "0.4"}]


def _book(s: Settings, n: int = 3) -> None:
    for i in range(n):
        record_attributed_revenue(s, f"output:o-{i}", ATTR, "100.01", "USD",
                                  on=dt.date(2026, 3, 15), org=ORG)


def _check(cli) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    code, out, _ = cli("ledger", "check", "--json")
    return code, json.loads(out)


def _recompute(c: Connection) -> None:
    """Recompute every posting hash and the chain head from the rows as they now are (what an
    attacker who knows the hash construction does after editing amounts)."""
    rows = c.execute(text(
        "SELECT p.pk, p.seq, t.digest, a.code, p.currency, p.amount, p.work_id "
        "FROM ledger_postings p JOIN ledger_transactions t ON t.pk = p.txn_pk "
        "JOIN ledger_accounts a ON a.pk = p.account_pk WHERE p.org_id = :o ORDER BY p.seq"),
        {"o": ORG}).all()
    prev = book.GENESIS
    for pk, seq, digest, code, cur, amount, work in rows:
        h = book.posting_hash(ORG, seq, digest, code, cur, int(amount), work, prev)
        c.execute(text("UPDATE ledger_postings SET hash = :h, prev_hash = :p WHERE pk = :k"),
                  {"h": h, "p": prev, "k": pk})
        prev = h
    c.execute(text("UPDATE ledger_heads SET hash = :h WHERE org_id = :o"), {"h": prev, "o": ORG})


def test_each_transaction_is_anchored(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _book(ledger_db)
    lines = [json.loads(x) for x in
             (ledger_db.anchors_dir(ORG) / "ledger.jsonl").read_text().splitlines()]
    assert [(a["seq"], a["transactions"]) for a in lines] == [(9, 1), (18, 2), (27, 3)]
    code, data = _check(cli)
    assert code == 0 and data["valid"] and data["anchors"]["newest"]["seq"] == 27
    assert data["anchors"]["newest"]["head"] == data["head"]
    code, out, _ = cli("ledger", "check")
    assert code == 0 and "newest at ledger posting 27" in out


def test_moving_money_and_recomputing_the_chain_fails(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _book(ledger_db)
    _disable_append_only(ledger_db)
    with connect(ledger_db).begin() as c:
        # 1.00 USD from Ben's share to Ava's, in the first transaction: still balanced.
        for party, delta in (("p-ava", -100), ("p-ben", 100)):
            c.execute(text(
                "UPDATE ledger_postings SET amount = amount + :d WHERE txn_pk = (SELECT pk FROM "
                "ledger_transactions WHERE seq = 1 AND org_id = :o) AND account_pk = (SELECT pk "
                "FROM ledger_accounts WHERE code = :c AND org_id = :o)"),
                {"d": delta, "o": ORG, "c": f"payable:{party}"})
        _recompute(c)
    with open_session(ledger_db, ORG) as s:
        assert book.check(s)["valid"]  # balances, links, hashes, head: all consistent again
    code, data = _check(cli)
    assert code == 1 and not data["valid"]
    rewritten = [p for p in data["problems"] if p.startswith("rewritten")]
    assert len(rewritten) == 3 and "ledger posting 9 was anchored" in rewritten[0], rewritten
    code, _, err = cli("ledger", "check")
    assert code == 1 and "the chain was edited and recomputed" in err


def test_deleting_the_newest_transaction_fails(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _book(ledger_db)
    _disable_append_only(ledger_db)
    with connect(ledger_db).begin() as c:
        c.execute(text("DELETE FROM ledger_postings WHERE org_id = :o AND seq > 18"), {"o": ORG})
        c.execute(text("DELETE FROM ledger_transactions WHERE org_id = :o AND seq = 3"),
                  {"o": ORG})
        h = c.execute(text("SELECT hash FROM ledger_postings WHERE org_id = :o AND seq = 18"),
                      {"o": ORG}).scalar_one()
        c.execute(text("UPDATE ledger_heads SET seq = 18, txn_seq = 2, hash = :h "
                       "WHERE org_id = :o"), {"h": h, "o": ORG})
    with open_session(ledger_db, ORG) as s:
        assert book.check(s)["valid"]
    code, data = _check(cli)
    assert code == 1
    assert any(p.startswith("truncated") and "ledger posting 27" in p
               and "holds only 18" in p for p in data["problems"]), data["problems"]


def test_a_forged_ledger_anchor_fails(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _book(ledger_db, 1)
    p = ledger_db.anchors_dir(ORG) / "ledger.jsonl"
    a = json.loads(p.read_text().splitlines()[-1])
    with open(p, "a") as f:  # a later head, claimed with the old signature
        f.write(json.dumps({**a, "seq": 9, "head": "0" * 64, "transactions": 1}) + "\n")
    code, data = _check(cli)
    assert code == 1 and len(data["problems"]) == 1
    assert "ledger.jsonl line 2 (entry 9): its signature does not verify" in data["problems"][0]


def test_an_unanchored_ledger_checks_as_before(ledger_db: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _book(ledger_db, 1)
    (ledger_db.anchors_dir(ORG) / "ledger.jsonl").unlink()
    code, data = _check(cli)
    assert code == 0 and data["anchors"]["status"] == "not anchored"
    code, out, _ = cli("ledger", "check")
    assert code == 0 and "not anchored" in out
