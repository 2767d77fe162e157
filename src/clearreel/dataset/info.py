"""`dataset show` and `dataset list`: what the registry records about datasets."""

from __future__ import annotations

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
        total = s.scalar(select(func.count()).select_from(Clip).where(Clip.dataset_pk == ds.pk))
        excl = s.scalars(
            select(Exclusion)
            .where(Exclusion.dataset_pk == ds.pk)
            .order_by(Exclusion.work_id, Exclusion.media_uri, Exclusion.start_frame)
        ).all()
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
            "path": str(settings.path("datasets", name).resolve()),
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
                    "caption": c.caption,
                    "fps": c.fps,
                    "path": c.path,
                    "licenses": list(c.licenses),
                    "consents": list(c.consents),
                }
                for c in clips
            ],
            "excluded": [
                {
                    "id": e.clip_id,
                    "work": e.work_id,
                    "start_frame": e.start_frame,
                    "end_frame": e.end_frame,
                    "stage": e.stage,
                    "reasons": list(e.reasons),
                }
                for e in excl
            ],
            "quarantined": [
                {"work": q.work_id, "media": q.media_uri, "reason": q.reason} for q in quar
            ],
            "summary": ds.summary or {},
        }


def list_datasets(settings: Settings) -> list[dict[str, Any]]:
    from sqlalchemy import func

    from clearreel.dataset.models import Clip, Dataset
    from clearreel.db import open_session

    with open_session(settings) as s:
        counts = dict(
            s.execute(select(Clip.dataset_pk, func.count()).group_by(Clip.dataset_pk)).all()
        )
        return [
            {
                "name": d.name,
                "id": d.id,
                "status": d.status,
                "clips": int(counts.get(d.pk, 0)),
                "manifest_sha256": d.manifest_sha256,
                "created": d.created.isoformat(timespec="seconds"),
            }
            for d in s.scalars(select(Dataset).order_by(Dataset.created, Dataset.name))
        ]


__all__ = ["list_datasets", "show"]
