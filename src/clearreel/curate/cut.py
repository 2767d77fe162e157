"""The cut stage: every admitted clip cut at the training size and rate, committed as it comes.

Clips are batched per media file (`CUT_BATCH`, one sequential decode per run
of nearby clips, see `tasks.cut_task`); each batch's clips are committed as `written` with
their sha256 as soon as they exist, so a resumed run cuts only what is missing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clearreel.curate.tasks import CutTask, as_crop, cut_task

if TYPE_CHECKING:
    from clearreel.curate.pipeline import Run

# Clips of one file per cut task: one sequential decode per run of nearby clips in a batch,
# and a batch is the unit committed (and resumed).
CUT_BATCH = 8


def cut_stage(run: Run, ds_pk: int, eng: Any) -> None:
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
        batch = CUT_BATCH
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
                                as_crop(c.scores.get("crop")),
                                c.start_s,
                                c.end_s,
                            )
                            for c in part
                        ),
                        cfg.train_width,
                        cfg.train_height,
                        cfg.train_fps or None,
                        cfg.keep_audio,
                    )
                )
        total, done = len(clips), len(clips) - sum(len(t.clips) for t in tasks)
    run.bars.stage("cut", total, done, unit="clips")
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


__all__ = ["CUT_BATCH", "cut_stage"]
