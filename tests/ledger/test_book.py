"""The book on SQLite and PostgreSQL: balancing, allocation to the cent, the chain, statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from clearreel.config import Settings
from clearreel.db import connect, open_session
from clearreel.errors import UsageError
from clearreel.ledger import (
    check,
    record_attributed_revenue,
    record_deal_minutes,
    set_pool_percent,
    statements,
)
from clearreel.ledger.models import LedgerPosting, LedgerTransaction

from .conftest import ORG, count_postings

ATTR = [{"work": "w-a", "share": "0.6"}, {"work": "w-b", "share": "0.4"}]
MARCH = dt.date(2026, 3, 15)


def _revenue(
    s: Settings,
    amount: str = "100.01",
    currency: str = "USD",
    *,
    attribution=ATTR,
    on: dt.date = MARCH,
    pool: str | None = None,
    source: str = "output:o-1",
):  # type: ignore[no-untyped-def]
    return record_attributed_revenue(
        s, source, attribution, amount, currency, on=on, pool=pool, org=ORG
    )


def _balances(s: Settings) -> dict[str, int]:
    from clearreel.ledger.models import LedgerAccount

    with open_session(s, ORG) as ses:
        rows = ses.execute(
            select(LedgerAccount.code, func.sum(LedgerPosting.amount))
            .join(LedgerPosting, LedgerPosting.account_pk == LedgerAccount.pk)
            .group_by(LedgerAccount.code)
        ).all()
    return {code: int(total) for code, total in rows}


def test_revenue_to_the_cent_by_hand(ledger_db: Settings) -> None:
    # Worked in test_allocate.test_three_level_allocation_by_hand.
    posted = _revenue(ledger_db)
    assert posted.transaction == "tx-000001"
    assert (posted.allocation.pool, posted.allocation.studio) == (5001, 5000)
    assert _balances(ledger_db) == {
        "receipts": 10001,
        "studio_revenue": -5000,
        "rights_pool": 0,
        "payable:p-studio": -(1801 + 1000),
        "payable:p-ava": -900,
        "payable:p-ben": -300,
        "payable:p-cy": -1000,
    }
    j = posted.to_json()
    assert j["amount"] == "100.01" and j["pool"] == "50.01" and j["studio"] == "50.00"
    assert {(a["party"], a["work"], a["amount"]) for a in j["allocations"]} == {
        ("p-studio", "w-a", "18.01"),
        ("p-ava", "w-a", "9.00"),
        ("p-ben", "w-a", "3.00"),
        ("p-studio", "w-b", "10.00"),
        ("p-cy", "w-b", "10.00"),
    }
    result = check(ledger_db, ORG)
    assert result["valid"], result["problems"]
    assert (result["transactions"], result["postings"]) == (1, 9)


def test_every_transaction_balances_and_is_audited(ledger_db: Settings) -> None:
    from clearreel.rights import audit

    _revenue(ledger_db, "0.07", pool="37.5")
    _revenue(ledger_db, "1500", "JPY")
    _revenue(ledger_db, "12.345", "KWD", attribution=[{"work": "w-none", "share": "1"}])
    with open_session(ledger_db, ORG) as s:
        for t in s.scalars(select(LedgerTransaction)):
            assert sum(p.amount for p in t.postings) == 0
            assert all(p.currency == t.currency for p in t.postings)
        entries = audit.entries(s, "ledger.revenue")
        assert [e.subject for e in entries] == ["tx-000003", "tx-000002", "tx-000001"]
        assert audit.verify(s) == []
    assert check(ledger_db, ORG)["valid"]
    # w-none: nobody holds points, so its whole share is held in suspense, not lost.
    assert (
        _balances(ledger_db)["suspense:w-none"] == -6173
    )  # 50 % of 12.345 KWD, odd fils to the pool


def test_pool_percentage_option_and_setting(ledger_db: Settings) -> None:
    assert _revenue(ledger_db, "10.00", pool="100").allocation.studio == 0
    assert _revenue(ledger_db, "10.00", pool="0").allocation.pool == 0
    set_pool_percent(ledger_db, "40", org=ORG)
    p = _revenue(ledger_db, "10.00")
    assert (p.allocation.pool, p.allocation.studio) == (400, 600)
    assert p.to_json()["pool_percent"] == "40"
    assert _revenue(ledger_db, "10.00", pool="25").allocation.pool == 250  # option wins
    assert check(ledger_db, ORG)["valid"]


def test_points_within_a_work(ledger_db: Settings) -> None:
    p = _revenue(ledger_db, "1000.00", pool="100", attribution=[{"work": "w-a", "share": "1"}])
    got = {s.party: s.amount for s in p.allocation.shares}
    assert got == {"p-studio": 60000, "p-ava": 30000, "p-ben": 10000}


def test_bad_input_writes_nothing(ledger_db: Settings) -> None:
    _revenue(ledger_db)
    before = count_postings(ledger_db)
    bad = [
        dict(amount="-1.00"),
        dict(amount="1.001"),
        dict(amount="x"),
        dict(currency="ZZZ"),
        dict(attribution=[{"work": "w-unknown", "share": "1"}]),
        dict(attribution=[]),
        dict(pool="150"),
    ]
    for kw in bad:
        with pytest.raises(UsageError):
            _revenue(ledger_db, **kw)  # type: ignore[arg-type]
    assert count_postings(ledger_db) == before
    assert check(ledger_db, ORG)["valid"]


def test_deal_by_minutes(ledger_db: Settings) -> None:
    from fractions import Fraction

    # 3 min of w-a, 1 min of w-b: 1000.00 -> 750.00 / 250.00, then by points.
    p = record_deal_minutes(
        ledger_db,
        "Acme AI",
        "ds-main",
        {"w-a": Fraction(3), "w-b": Fraction(1)},
        "1000.00",
        "EUR",
        on=MARCH,
        org=ORG,
    )
    assert p.kind == "deal" and p.source == "deal:Acme AI/ds-main"
    assert p.allocation.studio == 0 and p.allocation.by_work == {"w-a": 75000, "w-b": 25000}
    assert {(s.work, s.party): s.amount for s in p.allocation.shares} == {
        ("w-a", "p-studio"): 45000,
        ("w-a", "p-ava"): 22500,
        ("w-a", "p-ben"): 7500,
        ("w-b", "p-studio"): 12500,
        ("w-b", "p-cy"): 12500,
    }
    q = record_deal_minutes(
        ledger_db,
        "Acme AI",
        "ds-main",
        {"w-a": Fraction(1, 3), "w-b": Fraction(2, 3)},
        "0.10",
        "EUR",
        on=MARCH,
        pool="50",
        org=ORG,
    )
    assert (q.allocation.pool, q.allocation.studio) == (5, 5)
    assert q.allocation.by_work == {"w-a": 2, "w-b": 3}  # 1.67 / 3.33 -> 2 / 3
    assert _balances(ledger_db)["licence_income"] == -5
    assert check(ledger_db, ORG)["valid"]


def test_statements_totals_equal_allocations(ledger_db: Settings) -> None:
    posted = [
        _revenue(ledger_db, "100.01"),
        _revenue(ledger_db, "33.33", pool="70"),
        _revenue(
            ledger_db,
            "999",
            "JPY",
            attribution=[{"work": "w-a", "share": "1"}, {"work": "w-none", "share": "2"}],
        ),
        _revenue(ledger_db, "55.55", on=dt.date(2026, 4, 1)),
    ]
    march = statements(ledger_db, "2026-03", org=ORG)
    assert march["period"] == "2026-03"
    expected: dict[tuple[str, str], int] = {}
    for p in posted[:3]:
        for sh in p.allocation.shares:
            if sh.party:
                key = (sh.party, p.currency)
                expected[key] = expected.get(key, 0) + sh.amount
    from clearreel.ledger.currency import format_amount

    got = {(st["party"], st["currency"]): st["amount"] for st in march["statements"]}
    assert got == {k: format_amount(v, k[1]) for k, v in expected.items()}
    for st in march["statements"]:
        assert sum(Decimal(ln["amount"]) for ln in st["lines"]) == Decimal(st["amount"])
    for cur in ("USD", "JPY"):
        total = sum(Decimal(st["amount"]) for st in march["statements"] if st["currency"] == cur)
        assert Decimal(march["allocated"][cur]) == total
        assert Decimal(march["revenue"][cur]) == (
            Decimal(march["allocated"][cur])
            + Decimal(march["retained"][cur])
            + Decimal(march["suspense"][cur])
        )
    assert march["revenue"] == {"JPY": "999", "USD": "133.34"}
    april = statements(ledger_db, "2026-04", party="p-ava", org=ORG)
    assert [st["party"] for st in april["statements"]] == ["p-ava"]
    assert april["revenue"] == {"USD": "55.55"}
    with pytest.raises(UsageError):
        statements(ledger_db, "2026-13", org=ORG)
    with pytest.raises(UsageError):
        statements(ledger_db, "2026-03", party="p-nobody", org=ORG)


def _disable_append_only(s: Settings) -> None:
    """What an attacker with database access does first; the chain must still tell."""
    with connect(s).begin() as c:
        if c.dialect.name == "sqlite":
            for t in ("ledger_postings", "ledger_transactions"):
                c.execute(text(f"DROP TRIGGER {t}_no_update"))
                c.execute(text(f"DROP TRIGGER {t}_no_delete"))
        else:
            for t in ("ledger_postings", "ledger_transactions"):
                c.execute(text(f"ALTER TABLE {t} DISABLE TRIGGER {t}_append_only"))


def test_append_only_in_the_database(ledger_db: Settings) -> None:
    from sqlalchemy.exc import DBAPIError

    _revenue(ledger_db)
    for stmt in (
        "UPDATE ledger_postings SET amount = amount + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transactions SET source = 'x'",
        "DELETE FROM ledger_transactions",
    ):
        with pytest.raises(DBAPIError, match="append-only"), connect(ledger_db).begin() as c:
            c.execute(text(stmt))
    assert check(ledger_db, ORG)["valid"]


TAMPER = {
    "edit amount": ("UPDATE ledger_postings SET amount = amount - 100 WHERE seq = 12", "edited"),
    "move money": (
        "UPDATE ledger_postings SET amount = amount + (CASE WHEN seq = 14 THEN 100 "
        "ELSE -100 END) WHERE seq IN (14, 15)",
        "edited",
    ),
    "delete middle": ("DELETE FROM ledger_postings WHERE seq = 13", "missing"),
    "delete newest": ("DELETE FROM ledger_postings WHERE seq = 27", "chain head"),
    "edit transaction": (
        "UPDATE ledger_transactions SET effective = '2026-05-01' WHERE seq = 2",
        "digest",
    ),
    "reorder": (
        "UPDATE ledger_postings SET seq = 1000 WHERE seq = 10; "
        "UPDATE ledger_postings SET seq = 10 WHERE seq = 11; "
        "UPDATE ledger_postings SET seq = 11 WHERE seq = 1000",
        "broken",
    ),
}


@pytest.mark.parametrize("how", list(TAMPER))
def test_check_detects_tampering(ledger_db: Settings, how: str) -> None:
    for _ in range(3):
        _revenue(ledger_db)  # 3 transactions x 9 postings
    assert check(ledger_db, ORG)["valid"]
    _disable_append_only(ledger_db)
    stmt, fragment = TAMPER[how]
    with connect(ledger_db).begin() as c:
        for one in stmt.split("; "):
            c.execute(text(one))
    result = check(ledger_db, ORG)
    assert not result["valid"]
    assert any(fragment in p for p in result["problems"]), result["problems"]
