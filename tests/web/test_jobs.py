"""Jobs: state and progress in the database, run by the worker in a child process, found again
after a restart."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from sqlalchemy import update

from web.conftest import csrf_of


def _scoped(studio: dict[str, Any], org: str = "org-a") -> Any:
    return dataclasses.replace(studio["settings"], org=org)


def test_a_blocked_generation_job_records_the_guards_reasons(studio: dict[str, Any],
                                                             clients: dict[str, Any]) -> None:
    from clearreel.web import jobs

    s = _scoped(studio)
    job = jobs.submit(s, "generate", {"model": "a-model", "prompt": "Jonah waits in the rain",
                                      "purpose": "previz"}, "creative-a")
    assert job["state"] == "queued"
    done = jobs.run_job(studio["settings"], job["id"])
    assert done["state"] == "blocked" and done["progress"] == 1.0
    assert done["result"]["blocked"] is True
    assert any(r["code"].startswith("replica.") for r in done["result"]["reasons"])
    # The guard's report travels with the result (as in `generate --json`) and the page shows it.
    (jonah,) = done["result"]["guard"]["depicted"]
    assert jonah["id"] == "a-jonah" and jonah["played_by"] == ["a-ben"]
    assert [r["code"] for r in jonah["denied_by"]] == ["replica.missing"]
    page = clients["creative-a"].get(f"/jobs/{job['id']}").text
    assert '<table class="depicted">' in page and "replica.missing" in page


def test_a_failing_job_says_why_and_keeps_its_row(studio: dict[str, Any]) -> None:
    from clearreel.web import jobs

    s = _scoped(studio)
    job = jobs.submit(s, "train", {"dataset": "no-such-data", "name": "m2"}, "creative-a")
    done = jobs.run_job(studio["settings"], job["id"])
    assert done["state"] == "failed" and "no-such-data" in done["message"]
    assert jobs.get_job(s, job["id"])["attempts"] == 1


def test_bad_parameters_are_refused_before_a_row_is_written(studio: dict[str, Any]) -> None:
    import pytest

    from clearreel.errors import UsageError
    from clearreel.web import jobs

    s = _scoped(studio)
    before = len(jobs.list_jobs(s))
    with pytest.raises(UsageError, match="dataset"):
        jobs.submit(s, "curate", {"dataset": "../etc"}, "rights-a")
    with pytest.raises(UsageError, match="kind"):
        jobs.submit(s, "delete", {}, "rights-a")
    assert len(jobs.list_jobs(s)) == before


def test_a_restart_requeues_jobs_whose_process_is_gone(studio: dict[str, Any]) -> None:
    from clearreel.db import open_session
    from clearreel.web import jobs
    from clearreel.web.models import Job

    s = _scoped(studio)
    dead = jobs.submit(s, "curate", {"dataset": "x1"}, "rights-a")
    alive = jobs.submit(s, "curate", {"dataset": "x2"}, "rights-a")
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a pid that no longer exists
    with open_session(s) as ses:
        ses.execute(update(Job).where(Job.id == dead["id"])
                    .values(state="running", worker_pid=pid, progress=0.4))
        ses.execute(update(Job).where(Job.id == alive["id"])
                    .values(state="running", worker_pid=os.getpid(), progress=0.2))
    assert dead["id"] in jobs.recover(studio["settings"])
    again = jobs.get_job(s, dead["id"])
    assert again["state"] == "queued" and "restart" in again["message"]
    assert again["progress"] == 0.4  # where it stood is kept
    assert jobs.get_job(s, alive["id"])["state"] == "running"
    with open_session(s) as ses:  # tidy: these two must not be picked up by other tests
        ses.execute(update(Job).where(Job.id.in_([dead["id"], alive["id"]]))
                    .values(state="failed"))


def test_the_worker_runs_a_job_from_the_browser_in_a_child_process(
        studio: dict[str, Any], clients: dict[str, Any]) -> None:
    from clearreel.web import jobs
    from clearreel.web.jobs import Worker

    c = clients["creative-a"]
    r = c.post("/generate/start", data={"csrf": csrf_of(c, "/generate"), "model": "a-model",
                                        "prompt": "Jonah on the pier", "purpose": "previz"})
    assert r.status_code == 303
    job_id = r.headers["location"].rsplit("/", 1)[1]
    page = c.get(f"/jobs/{job_id}")
    assert page.status_code == 200 and 'data-state="queued"' in page.text
    w = Worker(studio["settings"], poll=0.2)
    w.start()
    try:
        deadline = time.monotonic() + 120  # a bound, not a measurement
        while time.monotonic() < deadline:
            state = c.get(f"/jobs/{job_id}/state").json()
            if state["state"] not in ("queued", "running"):
                break
            time.sleep(0.3)
    finally:
        w.stop()
    assert state["state"] == "blocked", state
    doc = jobs.get_job(_scoped(studio), job_id)
    assert doc["attempts"] == 1 and doc["result"]["reasons"]
    assert "Blocked: nothing was generated" in c.get(f"/jobs/{job_id}").text
