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
   `written` with their sha256 as soon as they exist.
4. **pack** — WebDataset shards, the Parquet index, the manifest (bill of materials, Merkle
   root) and its ES256 signature; the dataset becomes `ready` and its creation is audited.

The result does not depend on the engine, the number of workers or interruptions: every
decision is a function of the analyses (deterministic) and the registry.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clearreel.config import Settings
from clearreel.curate.config import CurateConfig
from clearreel.errors import MediaError, NotFound, UsageError

USE = "ai_generative_training"
EventHook = Callable[[str, dict[str, Any]], None]


# --- stage functions (top level: engines pickle them to processes and Ray workers) ----------


@dataclass(frozen=True)
class AnalyseTask:
    media_pk: int
    uri: str
    work: Any  # clearreel.curate.analyse.WorkContext
    config: CurateConfig


def analyse_task(task: AnalyseTask) -> dict[str, Any]:
    """Run the per-file analysis; return plain JSON (never raises for a bad file)."""
    from clearreel.curate.analyse import analyse_media

    try:
        path = local_path(task.uri)
        analysis = analyse_media(path, task.work, task.config)
    except MediaError as e:
        return {"ok": False, "reason": str(e)}
    return {"ok": True, **summarise_analysis(analysis)}


@dataclass(frozen=True)
class CutTask:
    uri: str
    # (clip id, start frame, end frame, output path, crop (x, y, w, h) or None)
    clips: tuple[tuple[str, int, int, str, tuple[int, int, int, int] | None], ...]
    width: int
    height: int
    fps: float | None


# Clips further apart than this (source frames) are cut from separate seeks rather than one
# sequential decode: decoding the gap would cost more than seeking to the next keyframe.
SEEK_GAP = 120


def _runs(clips: tuple[Any, ...]) -> list[list[Any]]:
    """Split clips (sorted by start) into runs whose gaps are at most SEEK_GAP frames."""
    runs: list[list[Any]] = []
    for c in sorted(clips, key=lambda c: (c[1], c[2])):
        if runs and c[1] - max(x[2] for x in runs[-1]) <= SEEK_GAP:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def cut_task(task: CutTask) -> dict[str, Any]:
    """Cut a batch of clips of one file, one decode per run of nearby clips (seeking between
    runs, so only the admitted ranges are decoded); return {clip id: sha256} or a reason."""
    from clearreel.media import ClipSpec, cut_clips

    hashes: dict[str, str] = {}
    try:
        src = local_path(task.uri)
        for run in _runs(task.clips):
            specs = [ClipSpec(s, e, Path(out), _crop(crop)) for _, s, e, out, crop in run]
            got = cut_clips(src, specs, task.width, task.height, task.fps)
            hashes.update({c[0]: h for c, h in zip(run, got, strict=True)})
    except MediaError as e:
        return {"ok": False, "reason": str(e)}
    return {"ok": True, "hashes": hashes}


def local_path(uri: str) -> str:
    """A media URI as a local path: plain paths and file:// directly, other schemes via fsspec
    (cached under the workspace's cache by the caller's fsspec configuration)."""
    if "://" not in uri:
        return uri
    if uri.startswith("file://"):
        return uri[len("file://") :]
    try:
        import fsspec
    except ImportError:
        raise MediaError(f"{uri}: remote media need fsspec (pip install fsspec s3fs)") from None
    try:
        return str(fsspec.open_local(f"simplecache::{uri}"))
    except Exception as e:  # fsspec raises backend-specific errors; all mean "cannot read"
        raise MediaError(f"{uri}: cannot fetch ({e})") from e


def _plain(v: Any) -> Any:
    """JSON-able copy of analysis values (numpy scalars, tuples, Fractions, dataclasses)."""
    import dataclasses
    from fractions import Fraction

    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, Fraction):
        return float(v)
    if hasattr(v, "item") and callable(v.item):  # numpy scalar
        v = v.item()
    if isinstance(v, float):
        # JSON has no NaN/Infinity (the manifest's canonical form refuses them).
        return round(v, 6) if math.isfinite(v) else None
    return v


def summarise_analysis(a: Any) -> dict[str, Any]:
    """Reduce a MediaAnalysis to what the later stages need, as plain JSON."""
    probe = a.probe
    fps = float(getattr(a, "fps", 0) or getattr(probe, "fps_float", 0) or 0)
    candidates = []
    for c in a.clips:
        crop = getattr(c, "crop", None)
        candidates.append(
            {
                "start_frame": int(c.start_frame),
                "end_frame": int(c.end_frame),
                "crop": list(crop) if crop else None,
                "scores": _plain(getattr(c, "scores", {}) or {}),
                "filter_reasons": _plain(list(getattr(c, "reasons", []) or [])),
                "phash": _plain(getattr(c, "phash", None)),
                "performers": sorted(getattr(c, "performers", []) or []),
                "characters": sorted(getattr(c, "characters", []) or []),
                "presence": _plain(getattr(c, "presence", None)),
                "caption": str(getattr(c, "caption", "") or ""),
            }
        )
    # Shots that gave no clip (too short, all black) are recorded as exclusions too.
    for d in getattr(a, "dropped", []) or []:
        candidates.append(
            {
                "start_frame": int(d.start_frame),
                "end_frame": int(d.end_frame),
                "crop": None,
                "scores": {},
                "phash": None,
                "performers": [],
                "characters": [],
                "presence": None,
                "caption": "",
                "filter_reasons": [
                    {
                        "code": str(d.reason),
                        "stage": "clips",
                        "detail": f"shot {d.shot}: {d.reason}",
                    }
                ],
            }
        )
    return {
        "sha256": getattr(probe, "sha256", None),
        "probe": _plain(probe.to_dict() if hasattr(probe, "to_dict") else probe),
        "fps": fps,
        "frames": int(getattr(probe, "frames", 0) or 0),
        "seconds": float(getattr(probe, "duration_s", 0.0) or 0.0),
        "candidates": candidates,
    }


# --- helpers --------------------------------------------------------------------------------


def timecode(frame: int, fps: float) -> str:
    """SMPTE-style non-drop-frame HH:MM:SS:FF at the nominal (rounded) rate."""
    nominal = max(1, round(fps))
    ff = frame % nominal
    s = frame // nominal
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


def clip_key(work: str, media_index: int, start: int, end: int) -> str:
    """A clip id, also its WebDataset key: no dots (WebDataset splits keys at the first dot)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", work)
    return f"{safe}_m{media_index}_{start:07d}_{end:07d}"


class _Bars:
    """One rich progress bar per stage, on stderr (silent when disabled or not a terminal)."""

    def __init__(self, enabled: bool):
        self._progress: Any = None
        if enabled:
            from rich.console import Console

            console = Console(stderr=True)
            if console.is_terminal:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                self._progress = Progress(
                    TextColumn("{task.description:<10}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    console=console,
                )
                self._progress.start()
        self._tasks: dict[str, Any] = {}

    def stage(self, name: str, total: int, done: int = 0) -> None:
        if self._progress is not None:
            self._tasks[name] = self._progress.add_task(name, total=total, completed=done)

    def advance(self, name: str, n: int = 1) -> None:
        if self._progress is not None and name in self._tasks:
            self._progress.advance(self._tasks[name], n)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@dataclass
class _Run:
    settings: Settings
    name: str
    config: CurateConfig
    on: dt.date
    territory: str | None
    on_event: EventHook | None
    bars: _Bars
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
) -> dict[str, Any]:
    """Build (or resume building) dataset `dataset`; return the summary.

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
    run = _Run(settings, dataset, config, on_date, terr, on_event, _Bars(progress))
    try:
        with eng:
            _analyse(run, ds_pk, eng)
            _plan(run, ds_pk)
            _cut(run, ds_pk, eng)
        summary = _pack(run, ds_pk, engine, started, resumed)
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


def _analyse(run: _Run, ds_pk: int, eng: Any) -> None:
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
    run.bars.stage("analyse", len(rows), len(rows) - len(pending))
    for i, result in eng.map(analyse_task, tasks):
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
        run.bars.advance("analyse")
        run.emit("media", uri=tasks[i].uri, ok=result["ok"])
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage == "analyse":
            ds.stage = "plan"
    run.emit("stage", stage="plan")


def _filter_reasons(c: dict[str, Any], config: CurateConfig) -> list[dict[str, Any]]:
    """Score-filter reasons for a candidate: the analysis's own, else the thresholds here."""
    if c.get("filter_reasons"):
        return [
            r if isinstance(r, dict) else {"code": str(r), "detail": str(r)}
            for r in c["filter_reasons"]
        ]
    from clearreel.curate.scores import filter_reasons

    return [
        r if isinstance(r, dict) else {"code": str(r), "detail": str(r)}
        for r in filter_reasons(c["scores"], config.thresholds)
    ]


def _plan(run: _Run, ds_pk: int) -> None:
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
        cands: list[dict[str, Any]] = []
        for m in media:
            fps = float((m.probe or {}).get("fps") or 0)
            for c in m.candidates or []:
                cands.append(
                    {
                        **c,
                        "id": clip_key(m.work_id, m.media_index, c["start_frame"], c["end_frame"]),
                        "work": m.work_id,
                        "media": m.media_uri,
                        "media_sha256": m.sha256,
                        "fps": fps,
                    }
                )
        cands.sort(key=lambda c: (c["work"], c["media"], c["start_frame"], c["end_frame"]))
        ids = [c["id"] for c in cands]
        if len(set(ids)) != len(ids):
            raise UsageError(
                "two candidate clips got the same id: work ids differ only in characters "
                "outside [A-Za-z0-9_-]; rename one work"
            )
        run.bars.stage("plan", len(cands))
        reasons: dict[str, list[dict[str, Any]]] = defaultdict(list)
        stage_of: dict[str, str] = {}
        for c in cands:
            r = _filter_reasons(c, run.config)
            if r:
                reasons[c["id"]] += r
                stage_of[c["id"]] = "filter"
        passed = [c for c in cands if c["id"] not in reasons]
        cleared_by = _clear(s, run, passed, reasons, stage_of)
        _dedup(run, passed, cleared_by, reasons, stage_of)
        train_fps = run.config.train_fps or None
        for c in cands:
            if c["id"] in reasons:
                s.add(
                    Exclusion(
                        dataset_pk=ds_pk,
                        clip_id=c["id"],
                        work_id=c["work"],
                        media_uri=c["media"],
                        start_frame=c["start_frame"],
                        end_frame=c["end_frame"],
                        stage=stage_of[c["id"]],
                        reasons=reasons[c["id"]],
                    )
                )
                continue
            lic, con = cleared_by[c["id"]]
            s.add(
                Clip(
                    dataset_pk=ds_pk,
                    clip_id=c["id"],
                    work_id=c["work"],
                    media_uri=c["media"],
                    media_sha256=c["media_sha256"],
                    start_frame=c["start_frame"],
                    end_frame=c["end_frame"],
                    source_fps=c["fps"],
                    fps=float(train_fps or c["fps"]),
                    start_tc=timecode(c["start_frame"], c["fps"]),
                    end_tc=timecode(c["end_frame"], c["fps"]),
                    path=f"clips/{c['id']}.mp4",
                    caption=c["caption"],
                    performers=c["performers"],
                    characters=c["characters"],
                    scores={**c["scores"], "crop": c.get("crop")},
                    phash=_phash_text(c.get("phash")),
                    licenses=lic,
                    consents=con,
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


def _clear(
    s: Any,
    run: _Run,
    cands: list[dict[str, Any]],
    reasons: dict[str, list[dict[str, Any]]],
    stage_of: dict[str, str],
) -> dict[str, tuple[list[str], list[str]]]:
    """The clearance gate. One decision per (work, performers present), audited with the clips
    it covers; a clip is admitted only when its decision allows."""
    from clearreel.rights.clearance import check_use

    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
    for c in cands:
        groups[(c["work"], tuple(c["performers"]))].append(c)
    cleared: dict[str, tuple[list[str], list[str]]] = {}
    for (work, performers), members in sorted(groups.items()):
        decision = check_use(
            s,
            work,
            USE,
            on=run.on,
            territory=run.territory,
            performers=list(performers),
            audit=True,
            context={"dataset": run.name, "clips": [c["id"] for c in members]},
        )
        rs = decision.to_json()["reasons"]
        if decision.allowed:
            for c in members:
                cleared[c["id"]] = (list(decision.licenses), list(decision.consents))
        else:
            denials = [r for r in rs if r.get("effect", "deny") == "deny"] or rs
            for c in members:
                reasons[c["id"]] += [{**r, "stage": "clearance"} for r in denials] or [
                    {"code": "denied", "detail": "denied by the clearance engine"}
                ]
                stage_of[c["id"]] = "clearance"
    return cleared


def _dedup(
    run: _Run,
    cands: list[dict[str, Any]],
    cleared: dict[str, Any],
    reasons: dict[str, list[dict[str, Any]]],
    stage_of: dict[str, str],
) -> None:
    """Near-duplicates across all works: keep one per group (the first cleared one in order)."""
    from clearreel.curate.dedup import near_duplicate_groups

    with_hash = [c for c in cands if c.get("phash") is not None]
    groups = near_duplicate_groups([c["phash"] for c in with_hash], run.config)
    for group in groups:
        members = [with_hash[i] for i in sorted(group)]
        if len(members) < 2:
            continue
        keep = next((c for c in members if c["id"] in cleared), members[0])
        for c in members:
            if c is keep:
                continue
            reasons[c["id"]].append(
                {
                    "code": "near_duplicate",
                    "of": keep["id"],
                    "detail": f"near_duplicate_of {keep['id']}",
                }
            )
            stage_of.setdefault(c["id"], "dedup")
            cleared.pop(c["id"], None)


def _cut(run: _Run, ds_pk: int, eng: Any) -> None:
    from clearreel.dataset.models import Clip, Dataset, Exclusion
    from clearreel.dataset.writer import dataset_dir
    from clearreel.db import open_session

    root = dataset_dir(run.settings, run.name)
    (root / "clips").mkdir(parents=True, exist_ok=True)
    cfg = run.config
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage != "cut":
            return
        clips = list(s.scalars(select(Clip).where(Clip.dataset_pk == ds_pk).order_by(Clip.clip_id)))
        by_media: dict[str, list[Clip]] = defaultdict(list)
        for c in clips:
            if c.status != "written":
                by_media[c.media_uri].append(c)
        tasks: list[CutTask] = []
        batch = max(1, getattr(cfg, "cut_batch", 8))
        for uri, cs in sorted(by_media.items()):
            cs.sort(key=lambda c: c.start_frame)
            for k in range(0, len(cs), batch):
                part = cs[k : k + batch]
                tasks.append(
                    CutTask(
                        uri,
                        tuple(
                            (
                                c.clip_id,
                                c.start_frame,
                                c.end_frame,
                                str(root / str(c.path)),
                                _crop(c.scores.get("crop")),
                            )
                            for c in part
                        ),
                        cfg.train_width,
                        cfg.train_height,
                        cfg.train_fps or None,
                    )
                )
        total, done = len(clips), len(clips) - sum(len(t.clips) for t in tasks)
    run.bars.stage("cut", total, done)
    for i, result in eng.map(cut_task, tasks):
        task = tasks[i]
        ids = [c[0] for c in task.clips]
        with open_session(run.settings) as s:
            rows = {
                c.clip_id: c
                for c in s.scalars(
                    select(Clip).where(Clip.dataset_pk == ds_pk, Clip.clip_id.in_(ids))
                )
            }
            for cid in ids:
                row = rows[cid]
                if result["ok"]:
                    row.sha256, row.status = result["hashes"][cid], "written"
                else:  # the file became unreadable since analysis: the clip cannot be made
                    s.add(
                        Exclusion(
                            dataset_pk=ds_pk,
                            clip_id=cid,
                            work_id=row.work_id,
                            media_uri=row.media_uri,
                            start_frame=row.start_frame,
                            end_frame=row.end_frame,
                            stage="cut",
                            reasons=[{"code": "cut_failed", "detail": result["reason"]}],
                        )
                    )
                    s.delete(row)
        run.bars.advance("cut", len(ids))
        for cid in ids:
            run.emit("clip", id=cid, ok=result["ok"])
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        if ds.stage == "cut":
            ds.stage = "pack"
    run.emit("stage", stage="pack")


def _crop(v: Any) -> tuple[int, int, int, int] | None:
    if not v:
        return None
    x, y, w, h = (int(t) for t in v)
    return (x, y, w, h)


def _pack(run: _Run, ds_pk: int, engine: str, started: float, resumed: bool) -> dict[str, Any]:
    from clearreel.curate.models import CurateMedia
    from clearreel.dataset import build
    from clearreel.dataset.manifest import package_versions
    from clearreel.dataset.models import Clip, Dataset, Exclusion, Quarantine
    from clearreel.dataset.writer import clip_entry, dataset_dir
    from clearreel.db import open_session
    from clearreel.media import resampled_indices
    from clearreel.rights.audit import record

    root = dataset_dir(run.settings, run.name)
    cfg = run.config
    with open_session(run.settings) as s:
        ds = s.get(Dataset, ds_pk)
        assert ds is not None
        clips = list(s.scalars(select(Clip).where(Clip.dataset_pk == ds_pk).order_by(Clip.clip_id)))
        excl = list(
            s.scalars(
                select(Exclusion)
                .where(Exclusion.dataset_pk == ds_pk)
                .order_by(Exclusion.work_id, Exclusion.media_uri, Exclusion.start_frame)
            )
        )
        quar = list(
            s.scalars(
                select(Quarantine)
                .where(Quarantine.dataset_pk == ds_pk)
                .order_by(Quarantine.media_uri)
            )
        )
        media = list(
            s.scalars(
                select(CurateMedia)
                .where(CurateMedia.dataset_pk == ds_pk)
                .order_by(CurateMedia.work_id, CurateMedia.media_index)
            )
        )
        if ds.stage == "pack":
            run.bars.stage("pack", 1)
            from fractions import Fraction

            entries = []
            for c in clips:
                src_fps = Fraction(c.source_fps).limit_denominator(1001)
                out_fps = Fraction(c.fps).limit_denominator(1001)
                frames = len(resampled_indices(c.start_frame, c.end_frame, src_fps, out_fps))
                entries.append(
                    clip_entry(
                        id=c.clip_id,
                        work=c.work_id,
                        media=c.media_uri,
                        media_sha256=c.media_sha256,
                        start_frame=c.start_frame,
                        end_frame=c.end_frame,
                        source_fps=c.source_fps,
                        start_tc=c.start_tc,
                        end_tc=c.end_tc,
                        fps=c.fps,
                        frames=frames,
                        width=cfg.train_width,
                        height=cfg.train_height,
                        file=c.path,
                        sha256=c.sha256,
                        caption=c.caption,
                        performers=list(c.performers),
                        characters=list(c.characters),
                        licenses=list(c.licenses),
                        consents=list(c.consents),
                        scores=dict(c.scores),
                    )
                )
            header = {
                "dataset": run.name,
                "id": ds.id,
                "organization": ds.org_id,
                "created": ds.created.replace(microsecond=0).isoformat() + "Z",
                "clearance": {"use": USE, "on": ds.on.isoformat(), "territory": ds.territory},
                "config": cfg.to_dict(),
                "works": ds.works,
                "pipeline": {"engine": engine, "stages": ["analyse", "plan", "cut", "pack"]},
            }
            sources = [
                {
                    "work": m.work_id,
                    "media": m.media_uri,
                    "sha256": m.sha256,
                    "status": m.status,
                    "frames": m.frames,
                    "seconds": m.seconds,
                    "reason": m.reason,
                }
                for m in media
            ]
            exclusions = [
                {
                    "id": e.clip_id,
                    "work": e.work_id,
                    "media": e.media_uri,
                    "start_frame": e.start_frame,
                    "end_frame": e.end_frame,
                    "stage": e.stage,
                    "reasons": e.reasons,
                }
                for e in excl
            ]
            packed = build(
                run.settings,
                run.name,
                header=header,
                clips=entries,
                exclusions=exclusions,
                sources=sources,
            )
            ds.manifest_sha256, ds.merkle_root = packed.manifest_sha256, packed.merkle_root
            ds.status, ds.stage, ds.completed = (
                "ready",
                "done",
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
            by_reason = Counter(r.get("code", "?") for e in excl for r in e.reasons)
            seconds_in = sum(m.seconds or 0 for m in media if m.status == "analysed")
            ds.summary = {
                "clips": len(clips),
                "excluded": len(excl),
                "excluded_by_reason": dict(sorted(by_reason.items())),
                "excluded_by_stage": dict(sorted(Counter(e.stage for e in excl).items())),
                "quarantined": [
                    {"work": q.work_id, "media": q.media_uri, "reason": q.reason} for q in quar
                ],
                "media": len(media),
                "hours_in": round(seconds_in / 3600, 4),
                "frames_in": sum(m.frames or 0 for m in media if m.status == "analysed"),
                "seconds_out": round(sum(e["frames"] / e["fps"] for e in entries if e["fps"]), 3),
                "versions": package_versions(),
            }
            record(
                s,
                "dataset.create",
                run.name,
                dataset=ds.id,
                manifest_sha256=ds.manifest_sha256,
                merkle_root=ds.merkle_root,
                clips=len(clips),
                excluded=len(excl),
                quarantined=len(quar),
                on=ds.on.isoformat(),
                territory=ds.territory,
            )
            run.bars.advance("pack")
        summary = dict(ds.summary or {})
        summary.pop("versions", None)
        return {
            "dataset": run.name,
            "id": ds.id,
            **summary,
            "manifest_sha256": ds.manifest_sha256,
            "merkle_root": ds.merkle_root,
            "path": str(root.resolve()),
            "engine": engine,
            "resumed": resumed,
            "seconds": round(time.monotonic() - started, 2),
        }


__all__ = [
    "AnalyseTask",
    "CutTask",
    "analyse_task",
    "clip_key",
    "curate",
    "cut_task",
    "timecode",
]
