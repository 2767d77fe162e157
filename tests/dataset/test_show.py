"""`dataset show`: exclusions name their media file, with SMPTE and millisecond times and a
duration, so two exclusions never read the same."""

from __future__ import annotations

import json
from pathlib import Path

from clearreel.config import Settings
from dataset.test_dataset_files import _build


def _exclude(settings: Settings) -> None:
    from sqlalchemy import select

    from clearreel.dataset.models import Dataset, Exclusion
    from clearreel.db import open_session
    from clearreel.rights.models import MediaAsset, Work

    with open_session(settings, org="org-t") as s:
        ds = s.scalars(select(Dataset)).one()
        w = Work(id="w-a", title="A", kind="film")
        w.media = [MediaAsset(uri="/n/a.mp4", probe={"fps": "25/1"})]
        s.add(w)
        reasons = [{"code": "consent.missing", "consent": None, "of": "p-ava"}]
        for media in ("/m/a.mp4", "/n/a.mp4"):
            s.add(Exclusion(dataset_pk=ds.pk, clip_id=f"x{media[1]}", work_id="w-a",
                            media_uri=media, start_frame=48, end_frame=95,
                            stage="clearance", reasons=reasons))


def test_exclusions_have_media_timecodes_and_duration(workspace: Settings, cli) -> None:  # type: ignore[no-untyped-def]
    _build(workspace)
    _exclude(workspace)
    code, out, _ = cli("--org", "org-t", "dataset", "show", "tiny", "--json")
    assert code == 0
    ex = {e["media"]: e for e in json.loads(out)["excluded"]}
    m = ex["/m/a.mp4"]  # 24 fps, from the dataset's clips of that file
    assert (m["start_tc"], m["end_tc"], m["start"], m["end"], m["seconds"]) == (
        "00:00:02:00", "00:00:03:23", "00:00:02.000", "00:00:04.000", 2.0)
    n = ex["/n/a.mp4"]  # 25 fps, from the registry's probe
    assert (n["start_tc"], n["end"], n["seconds"]) == ("00:00:01:23", "00:00:03.840", 1.92)
    code, out, _ = cli("--org", "org-t", "dataset", "show", "tiny")
    rows = [line for line in out.splitlines() if "[clearance]" in line]
    assert len(rows) == 2 and rows[0] != rows[1]
    assert "/m/a.mp4 00:00:02:00-00:00:03:23 (00:00:02.000-00:00:04.000, 2 s)" in rows[0]
    assert all(str(Path(x)) in "\n".join(rows) for x in ("/m/a.mp4", "/n/a.mp4"))
