"""The Merkle root of a fixed tiny library and build is pinned: a refactor of curation, the
manifest or the dataset layout that changes a clip's entry or bytes fails here.

The library is written in code (tests/curate/library.py), so the only thing that varies
between runs is the temporary directory, which the media URIs name: the pinned root is over
the clip entries with `media` reduced to the file name (the manifest's own root, over the
entries as written, is checked to be a function of those same entries).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from clearreel.config import Settings
from clearreel.curate.config import CurateConfig
from clearreel.dataset import load, merkle_root
from clearreel.dataset.manifest import canonical

from .library import Shot, write_library

ON = dt.date(2026, 1, 1)
CONFIG = CurateConfig(
    detector="pyscenedetect",
    clip_min_s=0.5,
    clip_max_s=1.0,
    train_width=64,
    train_height=36,
    train_fps=8.0,
    face_recognition=False,
)
SHOTS = [
    Shot(1.5, ("p-ava",)),
    Shot(1.5, ("p-dev",)),
    Shot(1.5, ("p-ben",)),
    Shot(1.5, ("p-ava", "p-ben")),
]
# Recorded on main before the dataset/curate refactor (issue 9), FFmpeg/x264 as installed:
# the root of the entries as they were then (without `start_s` / `end_s`), unchanged since.
PINNED_ROOT_BEFORE = "eda2703500e206362ffa20bb27a93c7dc989755cf24b4c7df8b71836b4a0f88e"
# The root since clip entries carry their presentation times (issue 8).
PINNED_ROOT = "183ed78b58da10d6c8e39f03016def595202680344f0f799bfd596a567cdc93f"
PINNED_CLIPS = 6


def build(tmp: Path, workspace: Settings, name: str = "pin") -> object:
    from clearreel.curate import curate
    from clearreel.rights.catalog import import_catalog

    lib = write_library(tmp / "lib", {"w-one": SHOTS})
    import_catalog(workspace, lib.catalog)
    curate(workspace, name, on=ON, config=CONFIG, progress=False, workers=1)
    return load(workspace, name)


def portable_root(clips: list[dict[str, object]]) -> str:
    return merkle_root([canonical({**c, "media": Path(str(c["media"])).name}) for c in clips])


def test_the_merkle_root_of_a_fixed_library_is_pinned(tmp_path: Path, workspace: Settings) -> None:
    ds = build(tmp_path, workspace)
    clips = ds.manifest["clips"]  # type: ignore[attr-defined]
    assert len(clips) == PINNED_CLIPS
    assert ds.merkle_root == merkle_root([canonical(c) for c in clips])  # type: ignore[attr-defined]
    assert [c["performers"] for c in clips if "p-dev" in c["performers"]] == []
    assert portable_root(clips) == PINNED_ROOT
    # The same entries less their times give the root recorded before the refactor: the
    # times are the only change to a clip entry's bytes.
    before = [{k: v for k, v in c.items() if k not in ("start_s", "end_s")} for c in clips]
    assert portable_root(before) == PINNED_ROOT_BEFORE
    assert all(c["start_s"] < c["end_s"] for c in clips)
