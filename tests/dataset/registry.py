"""Register a dataset packed by the tests (`clearreel.dataset.writer.pack`) as curation would:
a `Dataset` row and one `Clip` row per manifest entry, so `clearreel.dataset.load` finds it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearreel.config import Settings
from clearreel.dataset import ManifestClip


def register_packed(settings: Settings, name: str, dataset_id: str, packed: Any,
                    entries: list[ManifestClip], org: str | None = None) -> None:
    from clearreel.dataset.models import Clip, Dataset
    from clearreel.db import open_session

    with open_session(settings, org=org) as s:
        ds = Dataset(id=dataset_id, name=name, config={}, on=dt.date(2026, 1, 1),
                     territory="US", engine="local", status="ready", stage="done",
                     manifest_sha256=packed.manifest_sha256, merkle_root=packed.merkle_root)
        s.add(ds)
        s.flush()
        for e in entries:
            s.add(Clip(dataset_pk=ds.pk, clip_id=e.id, work_id=e.work, media_uri=e.media,
                       start_frame=e.start_frame, end_frame=e.end_frame,
                       source_fps=e.source_fps, fps=e.fps, start_tc=e.start_tc,
                       end_tc=e.end_tc, path=e.file, sha256=e.sha256, caption=e.caption,
                       performers=list(e.performers), characters=list(e.characters),
                       licenses=list(e.licenses), consents=list(e.consents),
                       scores={**e.scores, "crop": list(e.crop) if e.crop else None},
                       status="written"))


def packed_dataset(settings: Settings, name: str, clips: dict[str, tuple[str, Any]],
                   fps: float, org: str | None = None, *, dataset_id: str | None = None,
                   on: str = "2026-01-01", caption: str = "",
                   performers: dict[str, list[str]] | None = None,
                   start_every: int = 100, created: str | None = None,
                   fields: dict[str, dict[str, Any]] | None = None) -> Any:
    """A real, signed dataset `name` of the given clips, registered as curation would.

    `clips`: clip id -> (work id, frames (T, H, W, 3) uint8). Each clip is written as an mp4
    under the dataset's `clips/`, listed in a manifest (`dataset.writer.pack`: shards, index,
    signature) and recorded as `Dataset` and `Clip` rows, so `clearreel.dataset.load`,
    `dataset verify` and `attribution index` read it as they read a curated one. `fields`:
    clip id -> `ManifestClip` fields to set on that clip's entry (its caption, timecodes, who
    is in it, what cleared it); `created`: the manifest's creation time (default `on`). The
    one packed-dataset fixture of the tests (generate, provenance, attribution, web)."""
    import dataclasses

    from clearreel.dataset.manifest import file_sha256
    from clearreel.dataset.writer import dataset_dir, pack
    from clearreel.db import resolve_org
    from clearreel.media import write_video

    org = org or settings.org or resolve_org(settings)
    s = dataclasses.replace(settings, org=org)
    root = dataset_dir(s, name)
    (root / "clips").mkdir(parents=True)
    entries = []
    for i, (cid, (work, frames)) in enumerate(clips.items()):
        path = root / "clips" / f"{cid}.mp4"
        write_video(path, frames, fps)
        t, h, w = frames.shape[:3]
        start = start_every * i  # the clip's first frame in its source
        entries.append(ManifestClip(
            id=cid, work=work, media=f"/media/{work}.mp4", media_sha256="0" * 64,
            start_frame=start, end_frame=start + t - 1, source_fps=fps, fps=fps, frames=t,
            width=w, height=h, start_s=start / fps, end_s=(start + t) / fps,
            file=f"clips/{cid}.mp4", sha256=file_sha256(path), caption=caption or cid,
            performers=tuple((performers or {}).get(cid, ())),
            scores={"motion": 0.25, "sharpness": 0.8}))
        if fields and cid in fields:
            entries[-1] = dataclasses.replace(entries[-1], **fields[cid])
    header = {"dataset": name, "id": dataset_id or f"ds-{name}", "organization": org,
              "created": created or f"{on}T00:00:00Z",
              "clearance": {"use": "ai_generative_training", "on": on, "territory": "US"},
              "config": {}, "works": None, "pipeline": {"engine": "local"}}
    packed = pack(s, root, header=header, clips=entries, exclusions=[], sources=[])
    register_packed(s, name, dataset_id or f"ds-{name}", packed, entries, org=org)
    return packed
