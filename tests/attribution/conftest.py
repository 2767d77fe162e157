"""Tiny real media for attribution tests: procedural shots encoded with PyAV, three works."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearreel.attribution import ClipSet, build_index
from clearreel.attribution.robustness import render_procedural
from clearreel.dataset import ManifestClip
from clearreel.media import write_video

W, H, FPS, T = 96, 54, 16, 40  # 2.5 s clips at 96x54
# clip id -> (work, seed); seeds >= 1000 are kept for unrelated videos
CLIPS = {f"clip-{i}": (f"w-{'abc'[i % 3]}", i) for i in range(6)}


def clip_frames(clip: str) -> np.ndarray:
    return render_procedural(CLIPS[clip][1], W, H, T)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("attr-media")
    for cid in CLIPS:
        write_video(d / f"{cid}.mp4", clip_frames(cid), FPS)
    return d


def make_clipset(root: Path, media: Path, manifest: str = "a" * 64) -> ClipSet:
    refs = [ManifestClip(id=cid, work=work, start_frame=10 * i, end_frame=10 * i + T - 1, fps=FPS,
                         path=media / f"{cid}.mp4", source_fps=FPS)
            for i, (cid, (work, _)) in enumerate(CLIPS.items())]
    return ClipSet("tiny", manifest, root, refs, id="ds-tiny")


@pytest.fixture(scope="session")
def indexed(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> ClipSet:
    """A clip set with its index built once for the session (read-only for tests)."""
    cs = make_clipset(tmp_path_factory.mktemp("datasets") / "tiny", media_dir)
    build_index(cs)
    return cs


@pytest.fixture
def tiny_dataset(workspace, organization) -> ClipSet:  # type: ignore[no-untyped-def]
    """Dataset "tiny" in the workspace: a real signed dataset of the six clips
    (tests/dataset/registry.packed_dataset), read through the attribution stage's adapter."""
    import dataclasses

    from clearreel.attribution import load_clipset
    from dataset.registry import packed_dataset

    s = dataclasses.replace(workspace, org=organization)
    packed_dataset(s, "tiny", {cid: (work, clip_frames(cid)) for cid, (work, _) in CLIPS.items()},
                   FPS, dataset_id="ds-tiny", start_every=10)
    return load_clipset(s, "tiny")


@pytest.fixture
def organization(workspace):  # type: ignore[no-untyped-def]
    """One organization in the registry (the audit log is per organization)."""
    from clearreel.db import open_session
    from clearreel.rights.models import Organization

    with open_session(workspace, any_org=True) as s:
        s.add(Organization(id="org-test", name="Test Pictures", home_territory="US"))
    return "org-test"
