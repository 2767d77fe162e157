"""`clearreel curate`: from a studio's works to a cleared, captioned, signed dataset.

Stages (each commits as it goes, so a killed run resumes where it stopped):

1. **analyse** — the engine maps `analyse_media` (probe, ONE low-resolution decode, shots,
   clip ranges, scores, fingerprints, presence, captions) over every media file. Each file's
   result is committed as it arrives (`CurateMedia`), reduced to plain JSON candidates. A
   file that cannot be opened or decoded is quarantined with its reason; the batch goes on.
2. **plan** — in one transaction, over all candidates in a fixed order (work, media, start
   frame): score filters (`CurateConfig.thresholds`), the clearance gate (`check_use` for
   `ai_generative_training` with the performers present in the clip, on the dataset's date and
   territory), then near-duplicate removal across all works (one clip kept per group,
   preferring a cleared one; the others are excluded as `near_duplicate_of <clip>`). Admitted
   clips become `Clip` rows (`pending`), the rest `Exclusion` rows with every reason.
3. **cut** — the engine cuts the admitted clips at the training size and frame rate (one
   sequential decode per batch of clips of a file); each batch's clips are committed as
   `written` with their sha256 as soon as they exist. With more than one worker, clips that
   pass their own checks are cut speculatively while the last files are still analysed, on
   the workers no analysis needs, and adopted only where the plan admits them with the same
   spec (`cut.Speculation`).
4. **pack** — WebDataset shards, the Parquet index, the manifest (bill of materials, Merkle
   root) and its ES256 signature; the dataset becomes `ready` and its creation is audited.

The result does not depend on the engine, the number of workers or interruptions: every
decision is a function of the analyses (deterministic) and the registry.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from clearreel.config import Settings
from clearreel.curate.config import CurateConfig
from clearreel.curate.cut import ANALYSE, Speculation, cut_stage
from clearreel.curate.pack import pack_stage
from clearreel.curate.plan import USE, Candidate, Clearance, Verdict, admissible, plan
from clearreel.curate.tasks import AnalyseTask, analyse_task
from clearreel.dataset.writer import dataset_dir
from clearreel.errors import NotFound, UsageError
from clearreel.util.progress import Progress

EventHook = Callable[[str, dict[str, Any]], None]


@dataclass
class Run:
    settings: Settings
    name: str
    config: CurateConfig
    on: dt.date
    territory: str | None
    on_event: EventHook | None
    bars: Progress
    events: list[str] = field(default_factory=list)

    def emit(self, event: str, **data: Any) -> None:
        if self.on_event is not None:
            self.on_event(event, data)


# --- the pipeline ---------------------------------------------------------------------------


def curate(
    settings: Settings,
    dataset: str,
    works: Sequence[str] | None = None,
    on: dt.date | None = None,
    territory: str | None = None,
    engine: str = "local",
    workers: int | None = None,
    config: CurateConfig | None = None,
    progress: bool = True,
    on_event: EventHook | None = None,
    speculate: bool | None = None,
) -> dict[str, Any]:
    """Build (or resume building) dataset `dataset`; return the summary.

    `speculate`: cut clips before the plan on workers no analysis needs (`cut.Speculation`;
    default: with more than one worker). It changes when clips are cut, never what.

    `on_event(event, data)` is called after each committed unit of work (`"media"`,
    `"clip"`, `"stage"`); raising from it interrupts the run exactly there (tests use it).
    """
    from clearreel.curate.engines import get_engine

    config = (config or CurateConfig()).validate()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}", dataset):
        raise UsageError(
            f"dataset name {dataset!r}: use letters, digits, '-' and '_' (no dots "
            "or slashes; it names a directory and the shards)"
        )
    eng = get_engine(engine, workers)  # unknown engine: UsageError before anything is written
    started = time.monotonic()
    ds_pk, resumed, on_date, terr = _open_dataset(
        settings, dataset, works, on, territory, engine, config
    )
    bars = Progress(progress, prefix="curate ")
    run = Run(settings, dataset, config, on_date, terr, on_event, bars)
    try:
        with eng:
            # Frames decoded of each file in flight (reported by the workers; util.progress).
            eng.on_frames = run.bars.sink("analyse")
            # One batch for the three stages: speculative cuts (`cut.Speculation`) use the
            # workers no analysis needs, and run on while the plan is made.
            batch = eng.batch()
            spec = (
                Speculation(run, batch, dataset_dir(settings, dataset))
                if (eng.workers > 1 if speculate is None else speculate) else None
            )
            try:
                _analyse(run, ds_pk, batch, spec)
                _plan(run, ds_pk)
                cut_stage(run, ds_pk, batch, spec)
            finally:
                batch.close()
        summary = pack_stage(run, ds_pk, engine, started, resumed)
    finally:
        run.bars.close()
    return summary


def _resolve_works(session: Any, works: Sequence[str] | None) -> list[Any]:
    from clearreel.rights.models import Work

    if works:
        found = {w.id: w for w in session.scalars(select(Work).where(Work.id.in_(list(works))))}
        unknown = [w for w in works if w not in found]
        if unknown:
            raise NotFound(f"unknown work(s): {', '.join(unknown)} (see `clearreel catalog list`)")
        return [found[w] for w in dict.fromkeys(works)]
    rows = list(session.scalars(select(Work).order_by(Work.id)))
    if not rows:
        raise UsageError(
            "the registry has no works: import a catalog first (`clearreel catalog import FILE`)"
        )
    return rows


def _open_dataset(
    settings: Settings,
    name: str,
    works: Sequence[str] | None,
    on: dt.date | None,
    territory: str | None,
    engine: str,
    config: CurateConfig,
) -> tuple[int, bool, dt.date, str | None]:
    """Create the dataset and its progress rows, or find the unfinished one to resume."""
    from clearreel.curate.models import CurateMedia
    from clearreel.dataset.models import READY, Dataset
    from clearreel.db import current_org, open_session
    from clearreel.rights.models import Organization

    with open_session(settings) as s:
        existing = s.scalars(select(Dataset).where(Dataset.name == name)).first()
        wanted_works = sorted(dict.fromkeys(works)) if works else None
        if existing is not None:
            if existing.status == READY:
                raise UsageError(
                    f"dataset {name!r} already exists ({existing.id}, built "
                    f"{existing.created:%Y-%m-%d}): choose another name, or check it with "
                    f"`clearreel dataset verify {name}`"
                )
            asked = {
                "config": config.to_dict(),
                "works": wanted_works,
                "on": (on or existing.on).isoformat(),
                "territory": territory or existing.territory,
            }
            had = {
                "config": existing.config,
                "works": existing.works,
                "on": existing.on.isoformat(),
                "territory": existing.territory,
            }
            diff = sorted(k for k in asked if asked[k] != had[k])
            if diff:
                raise UsageError(
                    f"an unfinished dataset {name!r} was started with other {', '.join(diff)}: "
                    "run the same command again to resume it, or remove it with "
                    f"`clearreel dataset delete {name}`"
                )
            return existing.pk, True, existing.on, existing.territory
        rows = _resolve_works(s, works)
        org = s.get(Organization, current_org(s))
        terr = territory or (org.home_territory if org else None)
        ds = Dataset(
            id=f"ds-{uuid.uuid4().hex[:16]}",
            name=name,
            config=config.to_dict(),
            works=wanted_works,
            on=on or dt.date.today(),
            territory=terr,
            engine=engine,
            status="building",
            stage="analyse",
        )
        s.add(ds)
        s.flush()
        for w in rows:
            for i, m in enumerate(w.media):
                s.add(
                    CurateMedia(
                        dataset_pk=ds.pk,
                        work_id=w.id,
                        media_index=i,
                        media_uri=m.uri,
                        status="pending",
                    )
                )
        return ds.pk, False, ds.on, terr


def _work_contexts(session: Any, work_ids: set[str]) -> dict[str, Any]:
    from clearreel.curate.context import work_context

    return {w: work_context(session, w) for w in sorted(work_ids)}


def _sync_reservations(s: Any, asset: Any, found: list[list[str]]) -> None:
    """The file's embedded reservations as curation's probe found them (`rights.reservations`)."""
    from clearreel.rights.reservations import FoundReservation, sync_reservations

    sync_reservations(s, asset.work_pk, asset.pk, [FoundReservation(*f) for f in found])


def _analyse(run: Run, ds_pk: int, batch: Any, spec: Speculation | None) -> None:
    from clearreel.curate.models import CurateMedia
    from clearreel.dataset.models import Dataset, Quarantine
    from clearreel.db import open_session
    from clearreel.rights.models import MediaAsset, Work

    with open_session(run.settings) as s:
        rows = list(
            s.scalars(
                select(CurateMedia).where(CurateMedia.dataset_pk == ds_pk).order_by(CurateMedia.pk)
            )
        )
        pending = [r for r in rows if r.status == "pending"]
        contexts = _work_contexts(s, {r.work_id for r in pending})
        tasks = [AnalyseTask(r.pk, r.media_uri, contexts[r.work_id], run.config) for r in pending]
    tasks.sort(key=_longest_first)
    run.bars.stage("analyse", len(rows), len(rows) - len(pending))
    for i, task in enumerate(tasks):
        batch.submit(("analyse", i), analyse_task, task, priority=(ANALYSE, i))
    left = len(tasks)
    while left:
        key, result = batch.next()
        if key[0] == "stage":  # a speculative cut finished (see `cut.Speculation`)
            assert spec is not None
            spec.finished(key, result)
            continue
        i, left = key[1], left - 1
        media_pk = tasks[i].media_pk
        with open_session(run.settings) as s:
            row = s.get(CurateMedia, media_pk)
            assert row is not None
            asset = s.scalars(
                select(MediaAsset)
                .join(Work)
                .where(Work.id == row.work_id, MediaAsset.uri == row.media_uri)
            ).first()
            if result["ok"]:
                row.status, row.sha256, row.probe = "analysed", result["sha256"], result["probe"]
                row.frames, row.seconds, row.candidates = (
                    result["frames"],
                    result["seconds"],
                    result["candidates"],
                )
                row.probe = {**(result["probe"] or {}), "fps": result["fps"]}
                if asset is not None:  # the registry's record of the file, "filled in by curation"
                    asset.sha256, asset.probe, asset.status, asset.quarantine_reason = (
                        result["sha256"],
                        result["probe"],
                        "ok",
                        None,
                    )
                    _sync_reservations(s, asset, result.get("reservations") or [])
            else:
                row.status, row.reason = "quarantined", result["reason"]
                s.add(
                    Quarantine(
                        dataset_pk=ds_pk,
                        work_id=row.work_id,
                        media_uri=row.media_uri,
                        reason=result["reason"],
                    )
                )
                if asset is not None:
                    asset.status, asset.quarantine_reason = "quarantined", result["reason"]
        run.bars.advance("analyse", key=tasks[i].uri)
        run.emit("media", uri=tasks[i].uri, ok=result["ok"])
        if spec is not None and result["ok"]:
            _speculate(run, spec, media_pk)
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage == "analyse":
            ds.stage = "plan"
    run.emit("stage", stage="plan")


def _longest_first(task: AnalyseTask) -> tuple[int, int]:
    """Sort key: the largest files are analysed first (longest-processing-time-first), so the
    batch does not end with one long file on one worker while the other workers idle. The
    order only changes when each file is analysed, never what: results are committed per file
    and planned in work order. A file that cannot be sized (remote, missing) sorts last."""
    from clearreel.util.uri import UriError, file_path

    try:
        path = file_path(task.uri)
        size = path.stat().st_size if path is not None else -1
    except (UriError, OSError):
        size = -1
    return -size, task.media_pk


def _candidates(m: Any) -> list[Candidate]:
    """An analysed file's (`CurateMedia`) candidate clips."""
    return [
        Candidate.from_json(
            c,
            work=m.work_id,
            media=m.media_uri,
            media_index=m.media_index,
            media_sha256=m.sha256,
            fps=float((m.probe or {}).get("fps") or 0),
        )
        for c in m.candidates or []
    ]


def _clearance(run: Run, s: Any, *, stage: str = "plan") -> Clearance:
    """The plan's clearance callable: `check_use` for the dataset's use on its dates and
    territory, audited with the dataset, the clips and the `stage` that asked ("plan", or
    "speculative_cut" for the preview that lets a clip be cut before the plan). Anything
    made must clear today: `--on` only adds a second date on which it must also clear
    (ARCHITECTURE.md, "Clearance rules"), so a consent revoked since a past date cannot make
    a dataset now."""
    from clearreel.rights.clearance import check_use

    dates = sorted({dt.date.today(), run.on})

    def clear(work: str, performers: tuple[str, ...], clips: list[str],
              heard: tuple[str, ...] | None = None) -> Verdict:
        ds_ = [
            check_use(
                s,
                work,
                USE,
                on=day,
                territory=run.territory,
                performers=list(performers),
                heard=None if heard is None else list(heard),
                audit=True,
                context={"dataset": run.name, "clips": clips,
                         **({} if stage == "plan" else {"stage": stage})},
            )
            for day in dates
        ]
        allowed = all(d.allowed for d in ds_)
        reasons = [r for d in ds_ for r in d.to_json()["reasons"] if allowed or not d.allowed]
        return Verdict(
            allowed,
            tuple(dict.fromkeys(x for d in ds_ for x in d.licenses)),
            tuple(dict.fromkeys(x for d in ds_ for x in d.consents)),
            tuple(reasons),
        )

    return clear


def _speculate(run: Run, spec: Speculation, media_pk: int) -> None:
    """Queue the speculative cut of a just-analysed file's clips that pass the filters and
    a clearance preview, audited as stage "speculative_cut": a copy of the work is made only
    on a recorded decision. The plan decides what enters the dataset later (`cut.Speculation`)."""
    from clearreel.curate.models import CurateMedia
    from clearreel.db import open_session

    with open_session(run.settings) as s:
        m = s.get(CurateMedia, media_pk)
        assert m is not None
        ok = admissible(_candidates(m), _clearance(run, s, stage="speculative_cut"), run.config)
        spec.consider(m.media_uri, m.sha256, ok)


def _plan(run: Run, ds_pk: int) -> None:
    """Decide every candidate (`plan.plan`) in one transaction; write Clip and Exclusion rows."""
    from clearreel.curate.models import CurateMedia
    from clearreel.dataset.models import Clip, Dataset, Exclusion
    from clearreel.db import open_session

    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage != "plan":
            return
        media = list(
            s.scalars(
                select(CurateMedia)
                .where(CurateMedia.dataset_pk == ds_pk, CurateMedia.status == "analysed")
                .order_by(CurateMedia.work_id, CurateMedia.media_index)
            )
        )
        cands = [c for m in media for c in _candidates(m)]
        run.bars.stage("plan", len(cands), unit="candidates")

        clear = _clearance(run, s)
        decided = plan(cands, clear, run.config)
        for x in decided.excluded:
            s.add(
                Exclusion(
                    dataset_pk=ds_pk,
                    clip_id=x.clip.id,
                    work_id=x.clip.work,
                    media_uri=x.clip.media,
                    start_frame=x.clip.start_frame,
                    end_frame=x.clip.end_frame,
                    stage=x.stage,
                    reasons=list(x.reasons),
                )
            )
        train_fps = run.config.train_fps or None
        for a in decided.admitted:
            c = a.clip
            s.add(
                Clip(
                    dataset_pk=ds_pk,
                    clip_id=c.id,
                    work_id=c.work,
                    media_uri=c.media,
                    media_sha256=c.media_sha256,
                    start_frame=c.start_frame,
                    end_frame=c.end_frame,
                    source_fps=c.fps,
                    fps=float(train_fps or c.fps),
                    start_tc=c.start_tc,
                    end_tc=c.end_tc,
                    start_s=None if c.start_ms is None else c.start_ms / 1000.0,
                    end_s=None if c.end_ms is None else c.end_ms / 1000.0,
                    path=f"clips/{c.id}.mp4",
                    caption=c.caption,
                    performers=list(c.performers),
                    characters=list(c.characters),
                    faces=dict(c.faces),
                    voices=dict(c.voices),
                    scores={**c.scores, "crop": list(c.crop) if c.crop else None},
                    phash=_phash_text(c.phash),
                    licenses=list(a.licenses),
                    consents=list(a.consents),
                    status="pending",
                )
            )
        run.bars.advance("plan", len(cands))
        ds.stage = "cut"
    run.emit("stage", stage="cut")


def _phash_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, list):
        return ",".join(str(x) for x in v)[:64]
    return str(v)[:64]


__all__ = ["USE", "Run", "curate"]
