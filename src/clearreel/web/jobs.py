"""Jobs started from the browser (curate, train, generate), run by a worker, state in the database.

A job row is written when it is submitted (`queued`); the worker thread of `clearreel serve`
claims the oldest queued job (a conditional UPDATE, so two servers never take the same one)
and runs it in a child process (`python -m clearreel.web.jobs JOB`), which records its
progress and result on the row. A server that restarts finds every job where it stood: jobs
left `running` by a process that is gone are queued again (curation resumes its unfinished
dataset, training its last checkpoint, generation starts over), and jobs whose child process is
still alive are left to finish.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from typing import Any

from sqlalchemy import select, update

from clearreel.config import Settings
from clearreel.db import open_session, utcnow
from clearreel.errors import ClearreelError, NotFound, UsageError
from clearreel.web.models import JOB_KINDS, Job

_STEP = re.compile(r"step (\d+)/(\d+)")


def job_doc(j: Job) -> dict[str, Any]:
    def iso(t: dt.datetime | None) -> str | None:
        return t.isoformat(timespec="seconds") if t else None

    return {"id": j.id, "kind": j.kind, "params": j.params, "state": j.state,
            "progress": round(float(j.progress or 0.0), 3), "message": j.message,
            "result": j.result, "user": j.user, "attempts": j.attempts,
            "created": iso(j.created), "started": iso(j.started), "finished": iso(j.finished)}


def validate(kind: str, params: dict[str, Any]) -> dict[str, str]:
    """Field -> message for what is wrong with a job's parameters (empty when fine)."""
    errors: dict[str, str] = {}
    if kind not in JOB_KINDS:
        errors["kind"] = f"unknown job kind {kind!r}: use {', '.join(JOB_KINDS)}"
        return errors
    name_re = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
    if kind == "curate" and not name_re.fullmatch(str(params.get("dataset") or "")):
        errors["dataset"] = "a dataset name: letters, digits, '-' and '_'"
    if kind == "train":
        if not name_re.fullmatch(str(params.get("dataset") or "")):
            errors["dataset"] = "choose the dataset to train on"
        if not name_re.fullmatch(str(params.get("name") or "")):
            errors["name"] = "a model name: letters, digits, '-' and '_'"
        steps = params.get("steps")
        if steps is not None and (not isinstance(steps, int) or not 1 <= steps <= 100_000):
            errors["steps"] = "a whole number of steps between 1 and 100000"
    if kind == "generate":
        if not str(params.get("prompt") or "").strip():
            errors["prompt"] = "describe the shot to generate"
        if not str(params.get("model") or ""):
            errors["model"] = "choose a model"
    return errors


def submit(settings: Settings, kind: str, params: dict[str, Any], user: str) -> dict[str, Any]:
    errors = validate(kind, params)
    if errors:
        raise UsageError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    from clearreel.rights import audit

    with open_session(settings) as s:
        j = Job(id=f"job-{secrets.token_hex(6)}", kind=kind, params=params, state="queued",
                progress=0.0, message="queued", user=user, attempts=0)
        s.add(j)
        s.flush()
        audit.record(s, "web.job", j.id, kind=kind, user=user, params=params)
        return job_doc(j)


def get_job(settings: Settings, job_id: str) -> dict[str, Any]:
    with open_session(settings) as s:
        j = s.scalars(select(Job).where(Job.id == job_id)).first()
        if j is None:
            raise NotFound(f"no job {job_id!r} in this organization")
        return job_doc(j)


def list_jobs(settings: Settings, limit: int = 100) -> list[dict[str, Any]]:
    with open_session(settings) as s:
        return [job_doc(j) for j in s.scalars(select(Job).order_by(Job.created.desc(), Job.pk)
                                              .limit(limit))]


# ------------------------------------------------------------------------------- running


class _Reporter:
    """Writes progress to the job row, at most once a second (and always the last one)."""

    def __init__(self, settings: Settings, job_id: str):
        self.settings, self.job_id, self._last = settings, job_id, 0.0

    def __call__(self, progress: float, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 1.0:
            return
        self._last = now
        with open_session(self.settings) as s:
            s.execute(update(Job).where(Job.id == self.job_id)
                      .values(progress=max(0.0, min(1.0, progress)), message=message[:2000]))


def _claim(settings: Settings, job_id: str, pid: int) -> bool:
    with open_session(settings) as s:
        n = s.execute(update(Job).where(Job.id == job_id, Job.state == "queued")
                      .values(state="running", worker_pid=pid, started=utcnow(),
                              attempts=Job.attempts + 1, message="started")).rowcount
        return bool(n)


def _finish(settings: Settings, job_id: str, state: str, message: str,
            result: dict[str, Any] | None) -> None:
    with open_session(settings) as s:
        s.execute(update(Job).where(Job.id == job_id).values(
            state=state, message=message[:2000], result=result, finished=utcnow(),
            progress=1.0 if state in ("done", "blocked") else Job.progress))


def _org_of(settings: Settings, job_id: str) -> str:
    with open_session(settings, any_org=True) as s:
        org = s.scalars(select(Job.org_id).where(Job.id == job_id)).first()
    if org is None:
        raise NotFound(f"no job {job_id!r}")
    return org


def run_job(base: Settings, job_id: str) -> dict[str, Any]:
    """Run one job to its end (claiming it when it is still queued); returns its document."""
    settings = dataclasses.replace(base, org=_org_of(base, job_id))
    _claim(settings, job_id, os.getpid())
    with open_session(settings) as s:
        j = s.scalars(select(Job).where(Job.id == job_id)).one()
        kind, params = j.kind, dict(j.params)
    report = _Reporter(settings, job_id)
    try:
        state, message, result = _RUNNERS[kind](settings, params, report)
    except ClearreelError as e:
        state, message, result = "failed", str(e), {"exit_code": e.exit_code}
    except Exception as e:  # an internal error: recorded on the job, not lost
        state, message, result = "failed", f"internal error: {type(e).__name__}: {e}", None
    _finish(settings, job_id, state, message, result)
    return get_job(settings, job_id)


def _run_curate(settings: Settings, p: dict[str, Any], report: _Reporter):  # type: ignore[no-untyped-def]
    from clearreel.curate import curate

    seen = {"media": 0, "clip": 0}
    weights = {"analyse": (0.0, 0.5), "plan": (0.5, 0.55), "cut": (0.55, 0.95),
               "pack": (0.95, 1.0)}
    stage = ["analyse"]

    def on_event(event: str, data: dict[str, Any]) -> None:
        if event == "stage":
            stage[0] = str(data.get("stage", stage[0]))
        else:
            seen[event] = seen.get(event, 0) + 1
        lo, hi = weights.get(stage[0], (0.0, 1.0))
        n = seen["media"] if stage[0] == "analyse" else seen["clip"]
        report(lo + (hi - lo) * (1 - 1 / (1 + n / 4)), f"{stage[0]}: {n} done")

    summary = curate(settings, p["dataset"], works=p.get("works") or None,
                     territory=p.get("territory") or None, workers=1, progress=False,
                     on_event=on_event)
    return "done", f"{summary['clips']} clips, {summary['excluded']} excluded", summary


def _run_train(settings: Settings, p: dict[str, Any], report: _Reporter):  # type: ignore[no-untyped-def]
    from clearreel.train import TINY_DEMO_CONFIG, train_model

    config = {**TINY_DEMO_CONFIG, **({"steps": p["steps"]} if p.get("steps") else {})}

    def log(line: str) -> None:
        m = _STEP.search(line)
        if m:
            report(int(m.group(1)) / max(int(m.group(2)), 1), line)

    rec = train_model(settings, p["dataset"], p.get("base") or "tiny", p["name"], config,
                      log=log, show_progress=False)
    return "done", f"model {rec.name} trained", rec.to_json()


def _run_generate(settings: Settings, p: dict[str, Any], report: _Reporter):  # type: ignore[no-untyped-def]
    from clearreel.generate.pipeline import Request, generate
    from clearreel.generate.video import generate_frames

    def frames(*args: Any, **kwargs: Any) -> Any:
        report(0.2, "making frames", force=True)
        out = generate_frames(*args, **kwargs)
        report(0.7, "copy guard, watermark, C2PA, attribution", force=True)
        return out

    report(0.05, "prompt guard", force=True)
    req = Request(model=p["model"], prompt=p["prompt"], project=p.get("project") or None,
                  purpose=p.get("purpose") or None, seed=int(p.get("seed") or 0),
                  image=p.get("image") or None)
    result = generate(settings, req, generate_frames=frames)
    if result["blocked"]:
        why = "; ".join(f"{r.get('code')}: {r.get('detail')}" for r in result["reasons"])
        return "blocked", f"blocked: {why}", result
    return "done", f"made {result['output']}", result


_RUNNERS = {"curate": _run_curate, "train": _run_train, "generate": _run_generate}


# ------------------------------------------------------------------------------- the worker


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(settings: Settings) -> list[str]:
    """Queue again the jobs left `running` by a process that is gone; returns their ids."""
    with open_session(settings, any_org=True) as s:
        stale = [(j.id, j.worker_pid) for j in s.scalars(select(Job).where(Job.state == "running"))]
        ids = [jid for jid, pid in stale if not _alive(pid)]
        if ids:
            s.execute(update(Job).where(Job.id.in_(ids)).values(
                state="queued", worker_pid=None,
                message="queued again: the process running it stopped (server restart)"))
    return ids


class Worker:
    """Runs queued jobs one at a time, each in a child process (`python -m clearreel.web.jobs`)."""

    def __init__(self, settings: Settings, poll: float = 1.0):
        self.settings, self.poll = settings, poll
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="clearreel-jobs", daemon=True)
        self._child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        recover(self.settings)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _next(self) -> str | None:
        with open_session(self.settings, any_org=True) as s:
            return s.scalars(select(Job.id).where(Job.state == "queued")
                             .order_by(Job.created, Job.pk).limit(1)).first()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job_id = self._next()
            except Exception:  # the database is briefly unavailable: try again
                job_id = None
            if job_id is None:
                self._stop.wait(self.poll)
                continue
            env = {**os.environ, "CLEARREEL_HOME": str(self.settings.home)}
            if self.settings.database_url:
                env["CLEARREEL_DATABASE_URL"] = self.settings.database_url
            env.pop("CLEARREEL_ORG", None)
            self._child = subprocess.Popen([sys.executable, "-m", "clearreel.web.jobs", job_id],
                                           env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
            while self._child.poll() is None and not self._stop.is_set():
                self._stop.wait(0.5)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m clearreel.web.jobs JOB_ID", file=sys.stderr)
        return 2
    from clearreel.db.models import load_all

    load_all()
    doc = run_job(Settings(), argv[0])
    return 0 if doc["state"] in ("done", "blocked") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["Worker", "get_job", "job_doc", "list_jobs", "recover", "run_job", "submit",
           "validate"]
