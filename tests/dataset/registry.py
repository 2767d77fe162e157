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
