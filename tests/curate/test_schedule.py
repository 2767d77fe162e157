"""Scheduling the analysis: the largest files go first, and the order changes nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.curate import curate
from clearreel.dataset import load
from clearreel.rights.catalog import import_catalog

from .library import write_library
from .test_pinned_root import CONFIG, ON, SHOTS, portable_root


def test_the_largest_files_are_analysed_first_and_the_dataset_is_the_same(
    tmp_path: Path, workspace: Settings
) -> None:
    # Three works whose masters differ in length; the catalog lists the shortest first.
    works = {"w-a": SHOTS[:1], "w-b": SHOTS[:2], "w-c": SHOTS}
    lib = write_library(tmp_path / "lib", works)
    import_catalog(workspace, lib.catalog)
    sizes = {str(p): p.stat().st_size for p in lib.media.values()}
    assert len(set(sizes.values())) == 3
    order: list[str] = []

    def hook(event: str, data: dict[str, Any]) -> None:
        if event == "media":
            order.append(data["uri"])

    # One worker: files are analysed one after the other, in the order they were scheduled.
    out = curate(workspace, "d", on=ON, config=CONFIG, progress=False, workers=1, on_event=hook)
    assert [Path(u).name for u in order] == ["w-c.mp4", "w-b.mp4", "w-a.mp4"], order
    assert [sizes[u] for u in order] == sorted(sizes.values(), reverse=True)
    # Two workers run two files at once and commit them as they finish: the same clips, byte
    # for byte.
    again = curate(workspace, "e", on=ON, config=CONFIG, progress=False, workers=2)
    assert again["clips"] == out["clips"] > 0
    assert portable_root(_clips(workspace, "e")) == portable_root(_clips(workspace, "d"))


def _clips(workspace: Settings, name: str) -> list[dict[str, object]]:
    clips: list[dict[str, object]] = load(workspace, name).manifest["clips"]  # type: ignore[attr-defined]
    return clips
