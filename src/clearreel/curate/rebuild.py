"""`clearreel dataset rebuild NAME --as NEW`: the same dataset without what no longer clears.

After a revocation the studio needs a dataset it may train on again. A rebuild reuses
everything curation already did: the per-file analysis (candidates, scores, captions), the
clip files already cut (hard-linked, or copied across file systems; nothing is decoded), and
the exclusions with their reasons. It re-derives presence and clearance of every clip from
today's registry (`recheck`, the same as `dataset verify`), drops the clips that no longer
clear (recorded as exclusions of stage `clearance` with the reasons, plus `rebuilt_from`),
and packs and signs NEW with a fresh manifest: performers, licences and consents of each
kept clip are today's. NAME is left as it is (a model trained on it stays suspended).

A rebuild only drops: a candidate that was excluded when NAME was curated (a consent that
has been granted since, say) is not cut here; curate a new dataset for that.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clearreel.config import Settings
from clearreel.errors import UsageError, VerificationFailed

USE = "ai_generative_training"
_SKIP = {"pk", "dataset_pk", "org_id"}


def _copy_row(row: Any, **override: Any) -> Any:
    """A new row of the same model with the same column values (except keys)."""
    cols = {c.key: getattr(row, c.key) for c in type(row).__table__.columns
            if c.key not in _SKIP}
    return type(row)(**{**cols, **override})


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def rebuild(settings: Settings, name: str, new: str, *,
            on: dt.date | None = None) -> dict[str, Any]:
    """Rebuild dataset `name` as `new`; returns `{"dataset", "id", "from", "clips", "dropped":
    [...], "manifest_sha256", "merkle_root", "path"}`. `on`: a second date on which every kept
    clip must also clear (today always counts)."""
    import re

    from clearreel.curate.models import CurateMedia
    from clearreel.dataset import get_dataset_row
    from clearreel.dataset.clip import ManifestClip
    from clearreel.dataset.manifest import MANIFEST, read_manifest
    from clearreel.dataset.models import READY, Clip, Dataset, Exclusion, Quarantine
    from clearreel.dataset.recheck import recheck, with_times
    from clearreel.dataset.verify import verify
    from clearreel.dataset.writer import build, dataset_dir
    from clearreel.db import open_session
    from clearreel.rights.audit import record

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}", new):
        raise UsageError(f"--as {new!r}: use letters, digits, '-' and '_' (it names a directory)")
    if new == name:
        raise UsageError("--as must name a new dataset: the old one stays as it was signed")
    # The clips are reused byte for byte: they must be the ones the manifest signed.
    check = verify(settings, name, clearance=False, audit=False)
    if not check["ok"]:
        shown = "; ".join(f"{p['code']}: {p['detail']}" for p in check["problems"][:5])
        raise VerificationFailed(f"dataset {name} does not verify, so its clips cannot be "
                                 f"reused: {shown}")
    today = dt.date.today()
    src_root = dataset_dir(settings, name)
    manifest = read_manifest(src_root)
    with open_session(settings) as s:
        src = get_dataset_row(s, name)
        if src.status != READY:
            raise UsageError(f"dataset {name} is not finished: run `clearreel curate --dataset "
                             f"{name}` to finish it first")
        if s.scalars(select(Dataset).where(Dataset.name == new)).first() is not None:
            raise UsageError(f"dataset {new!r} already exists: choose another --as name")
        r = recheck(s, with_times(s, src.pk, manifest["clips"]),
                    on=sorted({today, *([on] if on else [])}), territory=src.territory)
        dropped = {u.clip: u for u in r.uncleared}
        ds = Dataset(id=f"ds-{uuid.uuid4().hex[:16]}", name=new, config=dict(src.config),
                     works=src.works, on=today, territory=src.territory, engine="rebuild",
                     status="building", stage="pack")
        s.add(ds)
        s.flush()
        for m in s.scalars(select(CurateMedia).where(CurateMedia.dataset_pk == src.pk)):
            s.add(_copy_row(m, dataset_pk=ds.pk))  # the analysis, reused by a later rebuild
        for q in s.scalars(select(Quarantine).where(Quarantine.dataset_pk == src.pk)):
            s.add(_copy_row(q, dataset_pk=ds.pk))
        excl = [_copy_row(e, dataset_pk=ds.pk) for e in s.scalars(
            select(Exclusion).where(Exclusion.dataset_pk == src.pk))]
        rows = {c.clip_id: c for c in s.scalars(select(Clip).where(Clip.dataset_pk == src.pk))}
        root = dataset_dir(settings, new)
        if root.exists():
            raise UsageError(f"{root} already exists: remove it or choose another --as name")
        try:
            entries = []
            for c in manifest["clips"]:
                if c["id"] in dropped:
                    u = dropped[c["id"]]
                    excl.append(Exclusion(
                        dataset_pk=ds.pk, clip_id=c["id"], work_id=c["work"], media_uri=c["media"],
                        start_frame=c["start_frame"], end_frame=c["end_frame"], stage="clearance",
                        reasons=[{**x, "stage": "clearance", "rebuilt_from": name}
                                 for x in u.reasons]))
                    continue
                now = r.cleared[c["id"]]
                _link(src_root / c["file"], root / c["file"])
                entry = ManifestClip.from_json({
                    **c, "performers": now["performers"], "licenses": now["licenses"],
                    "consents": now["consents"]})
                entries.append(entry)
                s.add(_copy_row(rows[c["id"]], dataset_pk=ds.pk, performers=now["performers"],
                                licenses=now["licenses"], consents=now["consents"]))
            if not entries:
                raise UsageError(f"no clip of dataset {name} clears today: there is nothing to "
                                 "rebuild (see `clearreel dataset verify " + name + "`)")
            for e in excl:
                s.add(e)
            s.flush()
            header = {
                **{k: manifest[k] for k in ("config", "works") if k in manifest},
                "dataset": new, "id": ds.id, "organization": ds.org_id,
                "created": ds.created.replace(microsecond=0).isoformat() + "Z",
                "clearance": {"use": USE, "on": today.isoformat(), "territory": ds.territory},
                "pipeline": {**manifest.get("pipeline", {}), "engine": "rebuild",
                             "rebuilt_from": {"dataset": name, "id": src.id,
                                              "manifest_sha256": src.manifest_sha256}},
            }
            exclusions = [{"id": e.clip_id, "work": e.work_id, "media": e.media_uri,
                           "start_frame": e.start_frame, "end_frame": e.end_frame,
                           "stage": e.stage, "reasons": e.reasons}
                          for e in sorted(excl, key=lambda e: (e.work_id, e.media_uri,
                                                               e.start_frame, e.clip_id))]
            packed = build(settings, new, header=header, clips=entries, exclusions=exclusions,
                           sources=list(manifest.get("sources", [])))
        except BaseException:  # nothing half made: the new directory goes with the rows
            shutil.rmtree(root, ignore_errors=True)
            raise
        ds.manifest_sha256, ds.merkle_root = packed.manifest_sha256, packed.merkle_root
        ds.status, ds.stage = "ready", "done"
        ds.completed = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        ds.summary = {**(src.summary or {}), "clips": len(entries), "excluded": len(exclusions),
                      "rebuilt_from": name, "dropped": len(dropped)}
        result = {
            "dataset": new, "id": ds.id, "from": name, "clips": len(entries),
            "dropped": [u.to_json() for u in r.uncleared], "excluded": len(exclusions),
            "manifest_sha256": ds.manifest_sha256, "merkle_root": ds.merkle_root,
            "path": str(root.resolve()), "on": today.isoformat(),
        }
        record(s, "dataset.rebuild", new, dataset=ds.id, source=name, source_id=src.id,
               manifest_sha256=ds.manifest_sha256, clips=len(entries),
               dropped=sorted(dropped), on=today.isoformat())
    assert (root / MANIFEST).exists()
    return result


__all__ = ["rebuild"]
