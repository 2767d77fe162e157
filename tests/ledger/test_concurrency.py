"""Concurrent writers (separate processes) lose no posting and keep the chain intact."""

from __future__ import annotations

import multiprocessing as mp
import os

from clearreel.config import Settings
from clearreel.ledger import check

from .conftest import ORG, count_postings

WRITERS, EACH = 4, 8
ATTR = [{"work": "w-a", "share": "0.6"}, {"work": "w-b", "share": "0.4"}]
POSTINGS_PER_TXN = 9  # receipts, studio, pool in/out, 3 parties of w-a, 2 of w-b


def _writer(home: str, url: str | None, worker: int, n: int) -> None:
    from pathlib import Path

    from clearreel.ledger import record_attributed_revenue

    s = Settings(home=Path(home), database_url=url, org=ORG)
    for i in range(n):
        record_attributed_revenue(
            s, f"output:o-{worker}-{i}", ATTR, f"{worker + 1}.{i:02d}", "USD", org=ORG
        )


def _run_writers(s: Settings) -> None:
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=_writer, args=(str(s.home), s.database_url, w, EACH))
        for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS


def test_concurrent_writers_lose_nothing(ledger_db: Settings) -> None:
    """On SQLite and (marker pg) PostgreSQL: WRITERS processes append at the same time."""
    is_pg = bool(ledger_db.database_url)
    _run_writers(ledger_db)
    assert count_postings(ledger_db) == WRITERS * EACH * POSTINGS_PER_TXN
    result = check(ledger_db, ORG)
    assert result["valid"], result["problems"]
    assert result["transactions"] == WRITERS * EACH
    from clearreel.db import open_session
    from clearreel.rights import audit

    with open_session(ledger_db, ORG) as s:
        assert len(audit.entries(s, "ledger.revenue")) == WRITERS * EACH
        assert audit.verify(s) == []
    assert os.environ.get("CLEARREEL_TEST_PG_URL") or not is_pg
