"""Presentation time everywhere (ARCHITECTURE.md, Presence: frames and PTS).

Real media written with PyAV: a variable-frame-rate file (irregular PTS), a rotated file
(display matrix), and a file several analysis windows long. Scenes are given in time, so a
pipeline that maps frames to time by index / average rate, or that judges a later window's
clips at the first window's offsets, admits the revoked performer's shot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from clearreel.config import Settings
from clearreel.curate.config import CurateConfig
from clearreel.dataset import load
from clearreel.media import decode, probe

from .library import Shot, write_library, write_media

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


def test_decode_gives_every_frame_its_presentation_time(tmp_path: Path) -> None:
    shots = [Shot(1.0, rate=12), Shot(1.0, rate=48), Shot(0.5, rate=24)]
    times = write_media(tmp_path / "vfr.mp4", shots)
    assert len(times) == 12 + 48 + 12
    d = decode(tmp_path / "vfr.mp4", 32, 18)
    assert d.count == len(times)
    np.testing.assert_allclose(d.times, times, atol=1e-6)
    assert d.ms(12) == pytest.approx(1000.0) and d.ms(60) == pytest.approx(2000.0)
    # The average rate would put frame 60 at 60 / (72 / 2.5 s) = 2.083 s.
    assert abs(60 / float(d.fps) - 2.0) > 0.05


def test_a_rotated_file_is_decoded_as_displayed(tmp_path: Path) -> None:
    path = tmp_path / "portrait.mp4"
    write_media(path, [Shot(0.5)], width=96, height=54, rotate=90)
    pr = probe(path)
    assert (pr.rotation, pr.width, pr.height) == (90, 54, 96)
    write_media(tmp_path / "plain.mp4", [Shot(0.5)], width=96, height=54)
    up = decode(path, 28, 48)
    ref = decode(tmp_path / "plain.mp4", 48, 28)
    assert up.frames.shape[1:] == (48, 28, 3) and (up.source_width, up.source_height) == (54, 96)
    # Turned a quarter counter-clockwise, as the display matrix says.
    turned = np.rot90(ref.frames[0], 1)
    assert np.abs(up.frames[0].astype(int) - turned.astype(int)).mean() < 3


def build(tmp: Path, ws: Settings, works: dict[str, list[Shot]], name: str, **cfg: object):  # type: ignore[no-untyped-def]
    from clearreel.curate import curate
    from clearreel.rights.catalog import import_catalog

    lib = write_library(tmp / name, works)
    import_catalog(ws, lib.catalog)
    config = dataclasses.replace(CONFIG, **cfg)  # type: ignore[arg-type]
    summary = curate(ws, name, on=ON, config=config, progress=False, workers=1)
    return lib, summary, load(ws, name)


def shot_of(times: list[float], shots: list[Shot], frame: int) -> int:
    """Which shot a frame index lies in, by its presentation time."""
    t, end = times[frame], 0.0
    for i, s in enumerate(shots):
        end += s.seconds
        if t < end - 1e-9:
            return i
    return len(shots) - 1


def check(lib, ds, manifest_excluded, shots: list[Shot], work: str) -> None:  # type: ignore[no-untyped-def]
    times = lib.times[work]
    assert ds.clips, "some clips clear"
    for c in ds.clips:
        first, last = shot_of(times, shots, c.start_frame), shot_of(times, shots, c.end_frame)
        assert first == last, c.id  # a clip never crosses a shot
        # Exactly the performers of its own shot, and never the revoked one.
        assert set(c.performers) == set(shots[first].performers), c.id
        assert "p-dev" not in c.performers
    dev = [i for i, s in enumerate(shots) if "p-dev" in s.performers]
    excluded = {shot_of(times, shots, e["start_frame"]) for e in manifest_excluded}
    assert set(dev) <= excluded


def test_scenes_land_on_the_right_frames_of_a_variable_frame_rate_file(
    tmp_path: Path, workspace: Settings
) -> None:
    # Shot 0 runs at 12 fps, so by index / average rate every later frame would be placed
    # early: the revoked performer's shot 1 would be judged as shot 0 (Ava only).
    shots = [
        Shot(3.0, ("p-ava",), rate=12),
        Shot(1.5, ("p-dev",), rate=48),
        Shot(1.5, ("p-ben",), rate=24),
        Shot(1.5, ("p-ava", "p-ben"), rate=24),
    ]
    lib, _, ds = build(tmp_path, workspace, {"w-vfr": shots}, "vfr")
    check(lib, ds, ds.manifest["excluded"], shots, "w-vfr")
    # Timecodes are the presentation times of the clip's first and last frames.
    times = lib.times["w-vfr"]
    for c in ds.clips:
        t = times[c.start_frame]
        assert c.start_s == pytest.approx(t, abs=1e-6), c.id  # the manifest carries PTS
        assert c.start_tc == f"00:00:{int(t):02d}:{int(t % 1 * 24 + 1e-3):02d}", c.id
        # The clip keeps its duration at the training rate (4k+1 frames).
        end = times[c.end_frame + 1] if c.end_frame + 1 < len(times) else times[-1] + 1 / 24
        n = int((end - t) * 8 + 1e-4)
        assert c.frames == max(1, (n - 1) // 4 * 4 + 1), c.id
        assert probe(c.path).frames == c.frames


def test_clips_after_the_first_analysis_window_are_judged_at_their_own_time(
    tmp_path: Path, workspace: Settings
) -> None:
    # 8 shots of 1.5 s (288 frames) in windows of 64 frames: the revoked performer's shots
    # lie in later windows, at offsets where window one shows Ava or Ben.
    who = [("p-ava",), ("p-ben",), ("p-ava",), ("p-ben",), ("p-dev",), ("p-ava",), ("p-dev",),
           ("p-ben",)]  # fmt: skip
    shots = [Shot(1.5, p) for p in who]
    lib, _, ds = build(tmp_path, workspace, {"w-long": shots}, "long", window_s=2.0)
    frames = len(lib.times["w-long"])
    assert frames >= 4 * 64  # several windows
    check(lib, ds, ds.manifest["excluded"], shots, "w-long")
    assert {shot_of(lib.times["w-long"], shots, c.start_frame) for c in ds.clips} >= {5, 7}
