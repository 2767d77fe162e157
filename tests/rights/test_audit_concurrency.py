"""Concurrent writers of the audit log lose no entry and keep the chain intact (PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from clearreel.config import Settings


def _writer(home: str, url: str, n: int) -> None:
    from clearreel.db import open_session
    from clearreel.rights import audit

    settings = Settings(home=__import__("pathlib").Path(home), database_url=url, org="org-a")
    for i in range(n):
        with open_session(settings) as s:
            audit.record(s, "test.write", f"w{i}", i=i)


@pytest.mark.pg
def test_concurrent_audit_writers(any_db: Settings) -> None:
    if any_db.database_url is None:
        pytest.skip("the race needs several connections to PostgreSQL")
    from clearreel.db import open_session
    from clearreel.rights import audit
    from clearreel.rights.models import Organization

    with open_session(any_db, any_org=True) as s:
        s.add(Organization(id="org-a", name="A"))
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(any_db.home), any_db.database_url, 10))
             for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    with open_session(any_db, org="org-a") as s:
        assert len(audit.entries(s)) == 40
        assert audit.verify(s) == []
