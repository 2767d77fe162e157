"""Speculative cuts: clips cut while the last files are analysed, adopted only where the plan
admits them, and a dataset byte for byte the one a run without them builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clearreel.config import Settings
from clearreel.curate import curate
from clearreel.dataset import load, verify
from clearreel.dataset.writer import dataset_dir
from clearreel.rights.catalog import import_catalog

from .library import write_library
from .test_pinned_root import CONFIG, ON, SHOTS, portable_root

# w-a and w-b repeat w-c's first shots (near-duplicates across files); p-dev revoked his
# training consent (his clips are denied); w-c is long, so the short files finish first and
# their clips are cut while it is still analysed.
WORKS = {"w-a": SHOTS[:1], "w-b": SHOTS[:2], "w-c": SHOTS * 3}


class Events:
    def __init__(self, stop_after_staged: bool = False):
        self.staged: set[str] = set()
        self.adopted: set[str] = set()
        self.cut: set[str] = set()
        self.stop = stop_after_staged

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "staged":
            self.staged |= set(data["ids"])
            if self.stop:
                raise KeyboardInterrupt  # interrupted with staged clips on disk
        if event == "clip" and data["ok"]:
            (self.adopted if data["adopted"] else self.cut).add(data["id"])


def _clips(ws: Settings, name: str) -> list[dict[str, object]]:
    clips: list[dict[str, object]] = load(ws, name).manifest["clips"]  # type: ignore[attr-defined]
    return clips


def _exclusions(ws: Settings, name: str) -> dict[str, str]:
    from sqlalchemy import select

    from clearreel.dataset.models import Dataset, Exclusion
    from clearreel.db import open_session

    with open_session(ws) as s:
        ds = s.scalars(select(Dataset).where(Dataset.name == name)).one()
        return {x.clip_id: x.stage for x in s.scalars(
            select(Exclusion).where(Exclusion.dataset_pk == ds.pk))}


def test_speculative_cuts_are_adopted_only_where_admitted_and_change_no_byte(
    tmp_path: Path, workspace: Settings
) -> None:
    lib = write_library(tmp_path / "lib", WORKS)
    import_catalog(workspace, lib.catalog)
    curate(workspace, "ref", on=ON, config=CONFIG, progress=False, workers=1)
    ev = Events()
    curate(workspace, "spec", on=ON, config=CONFIG, progress=False, workers=2, on_event=ev)

    assert portable_root(_clips(workspace, "spec")) == portable_root(_clips(workspace, "ref"))
    admitted = {str(c["id"]) for c in _clips(workspace, "spec")}
    excluded = _exclusions(workspace, "spec")
    assert {"clearance", "dedup"} <= set(excluded.values())
    # Clips were cut ahead and the dataset used them.
    assert ev.staged and ev.adopted and ev.adopted <= ev.staged
    assert ev.adopted | ev.cut == admitted and not ev.adopted & ev.cut
    # Nothing the clearance preview denies is ever cut; nothing excluded is adopted.
    assert not {c for c in ev.staged if excluded.get(c) in ("clearance", "filter")}
    assert not ev.adopted & set(excluded)
    # Every clip cut ahead was allowed by an audited preview, recorded as such; the preview
    # denied the revoked performer's clips, and the plan's own decisions are audited too.
    from clearreel.db import open_session
    from clearreel.rights.audit import entries

    with open_session(workspace) as s:
        checks = [e.payload for e in entries(s, "rights.check")
                  if (e.payload.get("context") or {}).get("dataset") == "spec"]
    preview = [c for c in checks if c["context"].get("stage") == "speculative_cut"]
    planned = [c for c in checks if "stage" not in c["context"]]
    assert ev.staged <= {i for c in preview if c["allowed"] for i in c["context"]["clips"]}
    assert any(not c["allowed"] and "p-dev" in c["performers"] for c in preview)
    assert admitted <= {i for c in planned if c["allowed"] for i in c["context"]["clips"]}
    assert not (dataset_dir(workspace, "spec") / "staging").exists()
    assert verify(workspace, "spec", on=ON)["ok"]


def test_clips_staged_by_an_interrupted_run_are_adopted_on_resume(
    tmp_path: Path, workspace: Settings
) -> None:
    # w-a is first in plan order, so its clips (the only ones staged before w-c's analysis
    # ends) are admitted, whichever near-duplicates w-c holds.
    lib = write_library(tmp_path / "lib", {"w-a": SHOTS[:1], "w-c": SHOTS * 3})
    import_catalog(workspace, lib.catalog)
    curate(workspace, "ref", on=ON, config=CONFIG, progress=False, workers=1)
    first = Events(stop_after_staged=True)
    with pytest.raises(KeyboardInterrupt):
        curate(workspace, "d", on=ON, config=CONFIG, progress=False, workers=2, on_event=first)
    staging = dataset_dir(workspace, "d") / "staging"
    on_disk = {p.name.split(".")[0] for p in staging.glob("*.mp4")}
    assert on_disk and not list(staging.glob("*.part.mp4")), "a staged file is whole or absent"
    # A staged file is adopted only under its clip's exact spec: one named for another spec
    # (another source, range, size...) is never taken, whatever it holds.
    for c in _clips(workspace, "ref"):
        (staging / f"{c['id']}.{'0' * 24}.mp4").write_bytes(b"not this clip")
    again = Events()
    out = curate(workspace, "d", on=ON, config=CONFIG, progress=False, workers=2, on_event=again)
    assert out["resumed"] is True
    admitted = {str(c["id"]) for c in _clips(workspace, "d")}
    # What the first run staged and the plan admitted was adopted, not cut again.
    assert on_disk & admitted and on_disk & admitted <= again.adopted
    assert not on_disk & again.staged
    assert portable_root(_clips(workspace, "d")) == portable_root(_clips(workspace, "ref"))
    assert verify(workspace, "d", on=ON)["ok"]
