"""The cut stage: every admitted clip cut at the training size and rate, committed as it comes.

Clips are batched per run of nearby clips of a media file (at most `CUT_BATCH`, one
sequential decode each, see `tasks.cut_task`); each batch's clips are committed as `written` with
their sha256 as soon as they exist, so a resumed run cuts only what is missing.

**Speculative cuts** (`Speculation`, with more than one worker): the plan dedups across the
whole batch, so no clip is final before every file is analysed, and the cores that finish
their last file would idle while the last long ones are analysed. So as each file's analysis
is committed, its clips that pass the score filters and a clearance preview (`check_use` on
the same dates and territory, audited as stage "speculative_cut": no copy of a work is made
without a recorded decision; `plan.admissible`) are queued to be cut into
`staging/` at a priority below every analysis: they run only on a worker no analysis wants.
A staged file is named by its clip id and the hash of everything its bytes depend on
(`spec_key`: source and its sha256, range, crop, times, size, rate, audio), so the cut stage
adopts it (a rename, then its sha256) only for a clip the plan admitted with exactly that
spec; queued jobs are cancelled when the plan is in, running ones are waited for, and the
staging directory is removed before packing. A clip denied by the preview is never cut; one
the plan then excludes (a near-duplicate in a later file, a right revoked meanwhile) is never
adopted. The dataset is byte for byte the one a run without speculation builds (tested).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clearreel.curate.tasks import CutTask, as_crop, cut_task, runs, stage_task

if TYPE_CHECKING:
    from clearreel.curate.engines import Batch
    from clearreel.curate.pipeline import Run
    from clearreel.curate.plan import Candidate

# Clips of one file per cut task: one sequential decode per run of nearby clips in a batch,
# and a batch is the unit committed (and resumed).
CUT_BATCH = 8
# Source frames one cut job spans at most (10 s at 24 fps).
CUT_SPAN = 240
STAGING = "staging"
# Cut jobs wait behind every analysis (priorities are compared as tuples, lowest first).
ANALYSE, CUT = 0, 1

Entry = tuple[str, int, int, str, Any, float | None, float | None]


def spec_key(uri: str, media_sha256: str | None, entry: Entry, run: Run) -> str:
    """What a clip's bytes depend on, hashed: a staged file is adopted only under this key."""
    cfg = run.config
    _, start, end, _, crop, t0, t1 = entry
    data = [
        uri, media_sha256, start, end, list(crop) if crop else None,
        None if t0 is None else round(t0, 6), None if t1 is None else round(t1, 6),
        cfg.train_width, cfg.train_height, cfg.train_fps or None, cfg.keep_audio,
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:24]


def _tasks(run: Run, uri: str, entries: Sequence[Entry]) -> list[CutTask]:
    """Cut tasks for one file's clips: one per run of nearby clips (`tasks.runs`; clips
    further apart are cut from separate seeks anyway, so splitting there costs no decoding
    and lets the workers share the last file's clips), at most `CUT_BATCH` clips and
    `CUT_SPAN` source frames each (a longer run is split at a clip boundary: one more seek,
    so that a long run does not end the batch on one worker)."""
    cfg = run.config
    chunks: list[list[Entry]] = []
    for r in runs(tuple(entries)):
        chunks.append([])
        for e in r:
            if chunks[-1] and (len(chunks[-1]) >= CUT_BATCH or e[2] - chunks[-1][0][1] >= CUT_SPAN):
                chunks.append([])
            chunks[-1].append(e)
    return [
        CutTask(uri, tuple(c), cfg.train_width, cfg.train_height, cfg.train_fps or None,
                cfg.keep_audio)
        for c in chunks
    ]


def _largest_first(task: CutTask, n: int) -> tuple[int, int, int]:
    """A cut job's priority: after every analysis, the longest source span first (LPT), so
    the batch does not end with one long job on one worker."""
    return (CUT, -(max(c[2] for c in task.clips) - min(c[1] for c in task.clips)), n)


class Speculation:
    """Clips cut into `staging/` before the plan (see the module docstring)."""

    def __init__(self, run: Run, batch: Batch, root: Path):
        self.run, self.batch, self.dir = run, batch, root / STAGING
        self.jobs: dict[int, dict[str, Path]] = {}  # job -> {clip id: staged file}
        self._seq = itertools.count()

    def path(self, clip_id: str, key: str) -> Path:
        return _staged(self.dir, clip_id, key)

    def consider(self, uri: str, media_sha256: str | None, cands: Iterable[Candidate]) -> None:
        """Queue the speculative cut of one analysed file's admissible clips."""
        entries, outs = [], {}
        for c in cands:
            e = _entry(c.id, c.start_frame, c.end_frame, "", c.crop,
                       None if c.start_ms is None else c.start_ms / 1000.0,
                       None if c.end_ms is None else c.end_ms / 1000.0)
            out = self.path(c.id, spec_key(uri, media_sha256, e, self.run))
            if not out.exists():  # staged by an interrupted run already
                entries.append((*e[:3], str(out), *e[4:]))
                outs[c.id] = out
        if entries:
            self.dir.mkdir(parents=True, exist_ok=True)
        for task in _tasks(self.run, uri, entries):
            n = next(self._seq)
            self.jobs[n] = {c[0]: outs[c[0]] for c in task.clips}
            self.batch.submit(("stage", n), stage_task, task, priority=_largest_first(task, n))

    def finished(self, key: Any, result: dict[str, Any]) -> tuple[dict[str, Path], bool]:
        """A staged job's clips and whether they were made."""
        job = self.jobs.pop(key[1])
        if result["ok"]:
            self.run.emit("staged", ids=sorted(job))
        return job, bool(result["ok"])

    def cancel_queued(self) -> None:
        for key in self.batch.cancel(lambda k: k[0] == "stage"):
            self.jobs.pop(key[1], None)

    def running(self) -> set[str]:
        """The clips a running (not cancelled) job makes."""
        return {cid for job in self.jobs.values() for cid in job}


def _staged(staging: Path, clip_id: str, key: str) -> Path:
    """Where the clip cut under spec `key` is staged."""
    return staging / f"{clip_id}.{key}.mp4"


def _entry(cid: str, start: int, end: int, out: str, crop: Any,
           t0: float | None, t1: float | None) -> Entry:
    return (cid, int(start), int(end), out, as_crop(crop), t0, t1)


def cut_stage(run: Run, ds_pk: int, batch: Batch, spec: Speculation | None = None) -> None:
    from clearreel.dataset.models import Clip, Dataset
    from clearreel.dataset.writer import dataset_dir
    from clearreel.db import open_session

    root = dataset_dir(run.settings, run.name)
    (root / "clips").mkdir(parents=True, exist_ok=True)
    staging = root / STAGING  # also an interrupted run's, when this one does not speculate
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage != "cut":
            return
        clips = list(s.scalars(select(Clip).where(Clip.dataset_pk == ds_pk).order_by(Clip.clip_id)))
        wanted: dict[str, tuple[str, Entry, str]] = {}  # clip id -> (uri, entry, spec key)
        for c in clips:
            if c.status != "written":
                e = _entry(c.clip_id, c.start_frame, c.end_frame, str(root / str(c.path)),
                           c.scores.get("crop"), c.start_s, c.end_s)
                wanted[c.clip_id] = (c.media_uri, e, spec_key(c.media_uri, c.media_sha256, e, run))
    run.bars.stage("cut", len(clips), len(clips) - len(wanted), unit="clips")
    running: set[str] = set()
    if spec is not None:
        spec.cancel_queued()  # not started: what they would make and the plan kept is cut below
        running = spec.running()
    pending = set(wanted)

    def commit(ids: list[str], hashes: dict[str, str] | None, reason: str = "",
               adopted: bool = False) -> None:
        _commit(run, ds_pk, ids, hashes, reason, adopted)
        pending.difference_update(ids)

    def adopt(ids: Iterable[str]) -> list[str]:
        """Move the staged files of `ids` into place; the ids that had none."""
        from clearreel.media import sha256_file

        hashes, missing = {}, []
        for cid in ids:
            staged = _staged(staging, cid, wanted[cid][2])
            if not staged.is_file():
                missing.append(cid)
                continue
            os.replace(staged, wanted[cid][1][3])
            hashes[cid] = sha256_file(wanted[cid][1][3])
        if hashes:
            commit(sorted(hashes), hashes, adopted=True)
        return missing

    def cut(ids: Iterable[str]) -> None:
        by_media: dict[str, list[Entry]] = defaultdict(list)
        for cid in sorted(ids):
            by_media[wanted[cid][0]].append(wanted[cid][1])
        for uri in sorted(by_media):
            for task in _tasks(run, uri, by_media[uri]):
                batch.submit(("cut", task), cut_task, task, priority=_largest_first(task, -1))

    # Staged by this run's finished jobs, or by an interrupted run: adopted now.
    cut(adopt([cid for cid in sorted(wanted) if cid not in running]))
    while batch:
        key, result = batch.next()
        if key[0] == "stage":
            job, ok = spec.finished(key, result) if spec is not None else ({}, False)
            need = [cid for cid in job if cid in pending]
            cut(adopt(need) if ok else need)
        elif key[0] == "cut":
            ids = [c[0] for c in key[1].clips]
            if result["ok"]:
                commit(ids, result["hashes"])
            else:  # the file became unreadable since analysis: the clip cannot be made
                commit(ids, None, result["reason"])
        else:  # pragma: no cover - the pipeline queues nothing else at this stage
            raise AssertionError(f"unexpected job {key!r} in the cut stage")
    shutil.rmtree(staging, ignore_errors=True)
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage == "cut":
            ds.stage = "pack"
    run.emit("stage", stage="pack")


def _commit(run: Run, ds_pk: int, ids: list[str], hashes: dict[str, str] | None,
            reason: str, adopted: bool) -> None:
    """Clips `ids` written with their sha256 (`hashes`), or excluded as not cuttable;
    `adopted`: they were staged speculatively."""
    from clearreel.dataset.models import Clip, Exclusion
    from clearreel.db import open_session

    with open_session(run.settings) as s:
        rows = {
            c.clip_id: c
            for c in s.scalars(select(Clip).where(Clip.dataset_pk == ds_pk, Clip.clip_id.in_(ids)))
        }
        for cid in ids:
            row = rows[cid]
            if hashes is not None:
                row.sha256, row.status = hashes[cid], "written"
            else:
                s.add(
                    Exclusion(
                        dataset_pk=ds_pk,
                        clip_id=cid,
                        work_id=row.work_id,
                        media_uri=row.media_uri,
                        start_frame=row.start_frame,
                        end_frame=row.end_frame,
                        stage="cut",
                        reasons=[{"code": "cut_failed", "detail": reason}],
                    )
                )
                s.delete(row)
    run.bars.advance("cut", len(ids))
    for cid in ids:
        run.emit("clip", id=cid, ok=hashes is not None, adopted=adopted)


__all__ = ["CUT_BATCH", "CUT_SPAN", "STAGING", "Speculation", "cut_stage", "spec_key"]
