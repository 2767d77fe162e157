"""`dataset shots export`: a dataset's clips of one media file as a shot list (EDL, OTIO, CSV).

Each clip becomes one shot at its source frames (`start_frame` .. `end_frame` inclusive, at
the media's rate), named by its clip id, with its performers and characters (see
`clearreel.rights.shotlists` for where each format carries them), so `catalog scenes import`
of the file gives back the same scenes. A shot list holds one media file's timeline: a
dataset with several needs `work` (and `media`, the `_mN_` number in the clip ids).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import UsageError


def export_shots(settings: Settings, name: str, output: Path, *, fmt: str | None = None,
                 work: str | None = None, media: int | None = None) -> dict[str, Any]:
    from clearreel.dataset._load import load
    from clearreel.rights.shotlists import Shot, detect, write_shots
    from clearreel.util.timecode import rate

    fmt = detect(output, fmt)
    ds = load(settings, name)

    def media_no(clip_id: str) -> int:
        m = re.search(r"_m(\d+)_", clip_id)
        return int(m.group(1)) if m else 0

    groups: dict[tuple[str, int], list[Any]] = {}
    for c in ds.clips:
        groups.setdefault((c.work, media_no(c.id)), []).append(c)
    keys = sorted(k for k in groups if (work is None or k[0] == work)
                  and (media is None or k[1] == media))
    if not keys:
        have = ", ".join(f"{w} (media {m})" for w, m in sorted(groups)) or "no clips"
        raise UsageError(f"dataset {name!r} has no clips of that work/media: it has {have}")
    if len(keys) > 1:
        have = ", ".join(f"--work {w} --media {m}" for w, m in keys)
        raise UsageError(f"a shot list holds one media file's timeline and dataset {name!r} "
                         f"has {len(keys)}: choose one ({have})")
    clips = sorted(groups[keys[0]], key=lambda c: c.start_frame)
    fps = rate(clips[0].source_fps)
    shots = [Shot(start=c.start_frame, end=c.end_frame + 1, where=c.id, name=c.id,
                  performers=list(c.performers), characters=list(c.characters),
                  extra={"clip": c.id, "work": c.work, "dataset": name})
             for c in clips]
    write_shots(shots, output, fps, fmt, title=f"{name} {keys[0][0]}")
    return {"dataset": name, "work": keys[0][0], "media": clips[0].media, "format": fmt,
            "fps": str(fps), "shots": len(shots), "path": str(output.resolve())}


__all__ = ["export_shots"]
