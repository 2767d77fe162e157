"""`dataset show` and `dataset list`: what the registry records about datasets."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select

from clearreel.config import Settings


def show(settings: Settings, name: str, *, clips_offset: int = 0,
         clips_limit: int | None = None) -> dict[str, Any]:
    """The contract's `dataset show --json` document (plus a few more fields). `clips_offset`
    and `clips_limit` page the clips (the web studio shows a dataset of 10,000 clips page by
    page); `clips_total` counts them all."""
    from sqlalchemy import func

    from clearreel.dataset._load import get_dataset_row
    from clearreel.dataset.models import Clip, Exclusion, Quarantine
    from clearreel.db import open_session

    with open_session(settings) as s:
        ds = get_dataset_row(s, name)
        q = select(Clip).where(Clip.dataset_pk == ds.pk).order_by(Clip.clip_id)
        clips = s.scalars(q.offset(clips_offset).limit(clips_limit)).all()
        counts = ready_counts(ds)
        if counts is not None:  # packed: its rows no longer change (see `ready_counts`)
            (total, excl_n), clips_max, excl_max = counts, None, None
        else:
            # One aggregate query: the clip count, and what changes whenever rows are added
            # or removed (the exclusions' timecodes are cached under it, see `_exclusions`).
            xq = select(func.count(Exclusion.pk), func.max(Exclusion.pk)).where(
                Exclusion.dataset_pk == ds.pk)
            total, clips_max, excl_n, excl_max = s.execute(
                select(func.count(Clip.pk), func.max(Clip.pk),
                       xq.with_only_columns(func.count(Exclusion.pk)).scalar_subquery(),
                       xq.with_only_columns(func.max(Exclusion.pk)).scalar_subquery())
                .where(Clip.dataset_pk == ds.pk)).one()
        from clearreel.rights.models import registry_version

        key = (settings.url, str(ds.org_id), ds.pk, ds.manifest_sha256, ds.status, ds.stage,
               total, clips_max, excl_n, excl_max, registry_version(s))
        excluded = _exclusions(s, ds.pk, key)
        quar = s.scalars(
            select(Quarantine).where(Quarantine.dataset_pk == ds.pk).order_by(Quarantine.media_uri)
        ).all()
        return {
            "id": ds.id,
            "name": ds.name,
            "status": ds.status,
            "manifest_sha256": ds.manifest_sha256,
            "merkle_root": ds.merkle_root,
            "created": ds.created.isoformat(timespec="seconds"),
            "on": ds.on.isoformat(),
            "territory": ds.territory,
            "path": str(settings.dataset_dir(str(ds.org_id), name).resolve()),
            "clips_total": int(total or 0),
            "clips": [
                {
                    "id": c.clip_id,
                    "work": c.work_id,
                    "start_frame": c.start_frame,
                    "end_frame": c.end_frame,
                    "sha256": c.sha256,
                    "performers": list(c.performers),
                    "characters": list(c.characters),
                    "faces": dict(c.faces or {}),
                    "voices": dict(c.voices or {}),
                    "caption": c.caption,
                    "fps": c.fps,
                    "media": c.media_uri,
                    "start_tc": c.start_tc,
                    "end_tc": c.end_tc,
                    "path": c.path,
                    "licenses": list(c.licenses),
                    "consents": list(c.consents),
                    "scores": dict(c.scores or {}),
                }
                for c in clips
            ],
            "excluded": excluded,
            "quarantined": [
                {"work": q.work_id, "media": q.media_uri, "reason": q.reason} for q in quar
            ],
            "summary": ds.summary or {},
        }


# The exclusions of a dataset with their times, by dataset and the aggregate key of `show`
# (a few datasets: a web studio's dataset page asks for the same one page after page).
_EXCLUDED: OrderedDict[tuple[Any, ...], list[dict[str, Any]]] = OrderedDict()
_EXCLUDED_LOCK = threading.Lock()


def _exclusions(s: Any, dataset_pk: int, key: tuple[Any, ...]) -> list[dict[str, Any]]:
    from clearreel.dataset.manifest import exclusion_entry
    from clearreel.dataset.models import Exclusion

    with _EXCLUDED_LOCK:
        hit = _EXCLUDED.get(key)
        if hit is not None:
            _EXCLUDED.move_to_end(key)
            return [dict(e) for e in hit]
    # Columns, not ORM objects: a dataset may have thousands of exclusions.
    excl = s.execute(
        select(Exclusion.clip_id, Exclusion.work_id, Exclusion.media_uri,
               Exclusion.start_frame, Exclusion.end_frame, Exclusion.stage, Exclusion.reasons)
        .where(Exclusion.dataset_pk == dataset_pk)
        .order_by(Exclusion.work_id, Exclusion.media_uri, Exclusion.start_frame)).all()
    rates = _rates(s, dataset_pk, excl)
    out = [exclusion_entry(e, **_times(e.start_frame, e.end_frame, rates.get(e.media_uri)))
           for e in excl]
    with _EXCLUDED_LOCK:
        _EXCLUDED[key] = out
        while len(_EXCLUDED) > 16:
            _EXCLUDED.popitem(last=False)
    return [dict(e) for e in out]


def _rates(session: Any, dataset_pk: int, excl: Any) -> dict[str, float]:
    """Each media file's frame rate: from the dataset's clips (all of them, not the page),
    else the registry's probe."""
    from clearreel.dataset.models import Clip
    from clearreel.rights.models import MediaAsset

    rows = session.execute(select(Clip.media_uri, Clip.source_fps)
                           .where(Clip.dataset_pk == dataset_pk).distinct()).all()
    rates = {uri: float(fps) for uri, fps in rows if fps}
    missing = {e.media_uri for e in excl} - set(rates)
    if missing:
        for m in session.scalars(select(MediaAsset).where(MediaAsset.uri.in_(sorted(missing)))):
            fps = (m.probe or {}).get("fps")
            if fps:
                from clearreel.util.timecode import rate

                rates[m.uri] = float(rate(str(fps)))
    return rates


def _times(start: int, end: int, fps: float | None) -> dict[str, Any]:
    """SMPTE and millisecond times of frames start..end (inclusive) and the duration."""
    if not fps:
        return {"start_tc": None, "end_tc": None, "start": None, "end": None, "seconds": None}
    from clearreel.util.timecode import format_ms, frame_seconds, frame_to_smpte

    return {
        "start_tc": frame_to_smpte(start, fps),
        "end_tc": frame_to_smpte(end, fps),
        "start": format_ms(frame_seconds(start, fps)),
        "end": format_ms(frame_seconds(end + 1, fps)),
        "seconds": round(frame_seconds(end + 1 - start, fps), 3),
    }


def ready_counts(ds: Any) -> tuple[int, int] | None:
    """(clips, exclusions) of a packed dataset, from the summary `curate` wrote with them.
    A ready dataset's rows never change: curation refuses to resume it, a rebuild makes a new
    dataset, and only `dataset delete` removes them (with the dataset). None while building,
    or without those counts."""
    from clearreel.dataset.models import READY

    summary = ds.summary or {}
    clips, excluded = summary.get("clips"), summary.get("excluded")
    if ds.status != READY or not isinstance(clips, int) or not isinstance(excluded, int):
        return None
    return clips, excluded


def list_datasets(settings: Settings) -> list[dict[str, Any]]:
    from sqlalchemy import func

    from clearreel.dataset.models import Clip, Dataset
    from clearreel.db import open_session

    with open_session(settings) as s:
        rows = list(s.scalars(select(Dataset).order_by(Dataset.created, Dataset.name)))
        known = {d.pk: c[0] for d in rows if (c := ready_counts(d)) is not None}
        counting = [d.pk for d in rows if d.pk not in known]
        counts = dict(s.execute(select(Clip.dataset_pk, func.count())
                                .where(Clip.dataset_pk.in_(counting))
                                .group_by(Clip.dataset_pk)).all()) if counting else {}
        return [
            {
                "name": d.name,
                "id": d.id,
                "status": d.status,
                "clips": int(known.get(d.pk, counts.get(d.pk, 0))),
                "manifest_sha256": d.manifest_sha256,
                "created": d.created.isoformat(timespec="seconds"),
            }
            for d in rows
        ]


__all__ = ["list_datasets", "ready_counts", "show"]
