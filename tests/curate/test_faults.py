"""Faults and limits while curating (issue 10): environment errors never lose a clip, two
works may share a master, clip bytes do not depend on the process or machine that cut them,
and a huge picture is refused before a frame is decoded."""

from __future__ import annotations

import dataclasses
import errno
import json
import multiprocessing
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from clearreel.config import Settings
from clearreel.curate import curate
from clearreel.dataset import load
from clearreel.rights.catalog import import_catalog

from .library import Shot, write_library, write_media
from .test_pinned_root import CONFIG, ON, PINNED_ROOT, SHOTS, portable_root


def _workspace(home: Path) -> Settings:
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys

    s = Settings(home=home)
    init_db(s)
    ensure_studio_keys(s)
    return s


def _limit_children(limit: int) -> list[int]:
    """Cap the file size every worker process may write (RLIMIT_FSIZE): a write past it fails
    with EFBIG, as a full disk fails with ENOSPC (Python ignores SIGXFSZ, so the write returns
    the error instead of killing the worker). The main process, which writes the database,
    keeps no limit."""
    pids = [p.pid for p in multiprocessing.active_children() if p.pid]
    for pid in pids:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))
    return pids


def test_a_write_error_while_cutting_stops_the_run_and_a_resume_yields_every_clip(
    tmp_path: Path, workspace: Settings
) -> None:
    from clearreel.dataset.models import Clip, Dataset, Exclusion

    lib = write_library(tmp_path / "lib", {"w-one": SHOTS})
    import_catalog(workspace, lib.catalog)
    limited: list[int] = []

    def hook(event: str, data: dict[str, Any]) -> None:
        if event == "stage" and data.get("stage") == "cut":
            limited.extend(_limit_children(1024))  # no clip of this library fits in 1 KiB

    with pytest.raises(OSError) as got:
        curate(workspace, "d", on=ON, config=CONFIG, progress=False, workers=2, on_event=hook)
    assert limited, "the pool's workers were found"
    assert got.value.errno in (errno.EFBIG, errno.ENOSPC)
    from clearreel.db import open_session

    with open_session(workspace) as s:
        ds = s.scalars(select(Dataset).where(Dataset.name == "d")).one()
        assert ds.stage == "cut" and ds.status == "building"
        # Nothing was recorded as corrupt or failed, and no admitted clip was dropped.
        cut_excl = s.scalars(select(Exclusion).where(Exclusion.stage == "cut")).all()
        assert cut_excl == []
        assert len(s.scalars(select(Clip).where(Clip.dataset_pk == ds.pk)).all()) == 6
    # Space is back (a new pool, no limit): the resumed build has every cleared clip, with the
    # bytes and Merkle root of a build that never failed.
    out = curate(workspace, "d", on=ON, config=CONFIG, progress=False, workers=1)
    assert out["resumed"] and out["clips"] == 6
    assert portable_root(load(workspace, "d").manifest["clips"]) == PINNED_ROOT


def test_the_cli_exits_3_on_a_full_disk_and_records_nothing_as_corrupt(
    tmp_path: Path, workspace: Settings
) -> None:
    """The CLI in a child process whose file-size limit is hit by the clip writes only
    (the limit is set after analysis, in the cut stage's workers; see the helper)."""
    lib = write_library(tmp_path / "lib", {"w-one": SHOTS})
    import_catalog(workspace, lib.catalog)
    cfg = tmp_path / "curate.json"
    cfg.write_text(json.dumps(CONFIG.to_dict()))
    script = f"""
import multiprocessing, resource, sys
from clearreel.curate import pipeline
real = pipeline.cut_stage
def limited(*args):
    for p in multiprocessing.active_children():
        resource.prlimit(p.pid, resource.RLIMIT_FSIZE, (1024, 1024))
    return real(*args)
pipeline.cut_stage = limited
from clearreel.cli import main
main(["curate", "--dataset", "d", "--config", {str(cfg)!r}, "--on", "2026-01-01",
      "--workers", "2"])
"""
    env = {**os.environ, "CLEARREEL_HOME": str(workspace.home)}
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert r.returncode == 3, (r.returncode, r.stderr[-2000:])
    # One line for the error (progress lines may precede it), and no traceback.
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "too large" in last.lower() or "no space" in last.lower() or "disk full" in last, last
    from clearreel.dataset.models import Exclusion
    from clearreel.db import open_session

    with open_session(workspace) as s:
        assert s.scalars(select(Exclusion).where(Exclusion.stage == "cut")).all() == []


def test_two_works_may_name_the_same_master(tmp_path: Path, workspace: Settings) -> None:
    lib = write_library(tmp_path / "lib", {"w-one": SHOTS})
    doc = yaml.safe_load(lib.catalog.read_text())
    twin = {**doc["works"][0], "id": "w-two", "title": "Two"}
    doc["works"].append(twin)  # the same media/w-one.mp4, the same scenes
    lib.catalog.write_text(yaml.safe_dump(doc, sort_keys=False))
    import_catalog(workspace, lib.catalog)
    out = curate(workspace, "d", on=ON, config=CONFIG, progress=False, workers=1)
    ds = load(workspace, "d")
    # Both works were analysed; each clip of one is a near-duplicate of the other's.
    assert {c.work for c in ds.clips} <= {"w-one", "w-two"} and out["clips"] == 6
    codes = {r["code"] for e in ds.manifest["excluded"] for r in e["reasons"]}
    assert "near_duplicate" in codes
    assert len(ds.manifest["sources"]) == 2


def _build_elsewhere(tmp: Path, cpus: set[int], workers: int) -> str:
    """Curate the pinned library at 256x144 in a fresh interpreter limited to `cpus` (x264's
    automatic thread count follows the CPUs a process may use; at 64x36 it is always one)."""
    tag = f"{workers}-{len(cpus)}"
    out = tmp / f"out-{tag}.json"
    script = f"""
import os, sys, json, dataclasses
from pathlib import Path
os.sched_setaffinity(0, {sorted(cpus)!r})
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from curate.test_pinned_root import CONFIG, ON, SHOTS, portable_root
from curate.library import write_library
from curate.test_faults import _workspace
from clearreel.curate import curate
from clearreel.dataset import load
from clearreel.rights.catalog import import_catalog
root = Path({str(tmp)!r}) / "elsewhere-{tag}"
lib = write_library(root / "lib", {{"w-one": SHOTS}}, width=320, height=180)
ws = _workspace(root / "home")
import_catalog(ws, lib.catalog)
config = dataclasses.replace(CONFIG, train_width=256, train_height=144)
curate(ws, "pin", on=ON, config=config, progress=False, workers={workers})
Path({str(out)!r}).write_text(json.dumps(portable_root(load(ws, "pin").manifest["clips"])))
"""
    env = {k: v for k, v in os.environ.items() if k != "CLEARREEL_HOME"}
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    return str(json.loads(out.read_text()))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to differ")
def test_clip_bytes_do_not_depend_on_the_process_or_its_cpus(tmp_path: Path) -> None:
    # In engine workers (spawned, each reused for several tasks) with every CPU, and in a
    # fresh interpreter restricted to one CPU: the same clip bytes, the same Merkle root.
    every = _build_elsewhere(tmp_path, set(os.sched_getaffinity(0)), workers=2)
    one = _build_elsewhere(tmp_path, {min(os.sched_getaffinity(0))}, workers=1)
    assert every == one


def test_a_huge_picture_is_quarantined_before_any_frame_is_decoded(
    tmp_path: Path, workspace: Settings
) -> None:
    lib = write_library(tmp_path / "lib", {"w-one": SHOTS})
    import_catalog(workspace, lib.catalog)
    small = dataclasses.replace(CONFIG, max_pixels=96 * 54 - 1)
    out = curate(workspace, "d", on=ON, config=small, progress=False, workers=1)
    assert out["clips"] == 0
    [q] = out["quarantined"]
    assert "too_large" in q["reason"] and "96x54" in q["reason"] and "max_pixels" in q["reason"]


def test_probe_refuses_a_picture_over_the_limit_from_the_header_alone(tmp_path: Path) -> None:
    """The limit is judged on the header: a file whose every frame is destroyed is still
    refused as too large (not as corrupt), so no frame was decoded to decide it."""
    from clearreel.errors import MediaError
    from clearreel.media import probe

    path = tmp_path / "big.mp4"
    write_media(path, [Shot(0.5)], width=96, height=54)
    assert (probe(path, max_pixels=96 * 54).width, probe(path).height) == (96, 54)
    data = bytearray(path.read_bytes())
    at, end = data.find(b"mdat") + 8, data.find(b"moov") - 4
    assert 0 < at < end
    data[at:end] = bytes(end - at)  # every coded frame, zeroed; the header intact
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError) as e:
        probe(path, max_pixels=96 * 54 - 1)
    assert getattr(e.value, "reason", None) == "too_large"
