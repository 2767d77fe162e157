"""The pack stage: the manifest's header, sources, clips and exclusions from the records,
then `clearreel.dataset.build` (shards, Parquet index, Merkle root, signature); the dataset
becomes `ready` and its creation is audited."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clearreel.curate.plan import USE
from clearreel.curate.tasks import as_crop

if TYPE_CHECKING:
    from clearreel.curate.pipeline import Run


def pack_stage(run: Run, ds_pk: int, engine: str, started: float, resumed: bool) -> dict[str, Any]:
    """Pack the dataset (once; a finished one is only summarised) and return the summary."""
    from clearreel.curate.models import CurateMedia
    from clearreel.dataset import ManifestClip, build
    from clearreel.dataset.manifest import exclusion_entry, package_versions
    from clearreel.dataset.models import Clip, Dataset, Exclusion, Quarantine
    from clearreel.dataset.writer import dataset_dir
    from clearreel.db import open_session
    from clearreel.media import resampled_count, resampled_indices
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
            run.bars.stage("pack", 1, unit="step")
            from fractions import Fraction

            entries = []
            for c in clips:
                src_fps = Fraction(c.source_fps).limit_denominator(1001)
                out_fps = Fraction(c.fps).limit_denominator(1001)
                if c.start_s is not None and c.end_s is not None and out_fps != src_fps:
                    # resampled by presentation time, as `cut_clips` did
                    frames = resampled_count(c.start_s, c.end_s, out_fps)
                else:
                    frames = len(resampled_indices(c.start_frame, c.end_frame, src_fps, out_fps))
                entries.append(
                    ManifestClip(
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
                        scores={k: v for k, v in c.scores.items() if k != "crop"},
                        crop=as_crop(c.scores.get("crop")),
                        start_s=c.start_s,
                        end_s=c.end_s,
                        heard=tuple(sorted(c.voices or {})) if cfg.keep_audio else None,
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
            exclusions = [exclusion_entry(e) for e in excl]
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
                "seconds_out": round(sum(e.seconds for e in entries), 3),
                "warnings": reference_warnings(s, media),
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


def reference_warnings(s: Any, media: list[Any]) -> list[str]:
    """A performer credited in a work, with face (voice) references, whose face was never
    recognised (voice never heard) in any analysed file of that work: the reference may be
    wrong (or they are not on screen, or silent); their presence then rests on scenes and
    labels alone."""
    from clearreel.rights.likeness import face_paths, voice_paths
    from clearreel.rights.models import Participation, Party, Work

    out = []
    for what, checked_key, key, paths, fix in (
            ("face", "faces_checked", "faces", face_paths, "check the photo"),
            ("voice", "voices_checked", "voices", voice_paths, "check the recording")):
        checked: dict[str, set[str]] = {}  # work -> parties recognised in it
        for m in media:
            cands = [c for c in m.candidates or [] if c.get(checked_key)]
            if m.status == "analysed" and cands:
                seen = checked.setdefault(m.work_id, set())
                for c in cands:
                    seen |= set(c.get(key) or {})
        if not checked:
            continue
        refs = {p.id: paths(p.references or []) for p in s.scalars(select(Party))}
        rows = s.execute(select(Work.id, Participation.party_id).join(Participation.work)
                         .where(Work.id.in_(sorted(checked)), Participation.role == "performer")
                         .order_by(Work.id, Participation.party_id)).all()
        for work, party in dict.fromkeys(rows):
            if refs.get(party) and party not in checked[work]:
                out.append(f"{work}: the {what} reference of {party}, credited as a performer, "
                           f"never matched in the work ({', '.join(refs[party])}); {fix}")
    return out


__all__ = ["pack_stage", "reference_warnings"]
