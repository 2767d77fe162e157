"""Cutting by presentation time: variable-frame-rate sources keep their timing, rotated
sources are cut as displayed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from clearreel.media import ClipSpec, cut_clip, cut_clips, read_frames

sys.path.insert(0, str(Path(__file__).parent.parent))
from curate.library import COLOURS, Shot, write_media


def _shot0(img: np.ndarray) -> bool:
    """Shot 0 is reddish (COLOURS[0]), shot 1 bluish (COLOURS[1])."""
    r, _, b = img.reshape(-1, 3).mean(axis=0)
    return bool(r > b)


def test_a_vfr_clip_is_resampled_by_presentation_time(tmp_path: Path) -> None:
    assert COLOURS[0][0] > COLOURS[0][2] and COLOURS[1][2] > COLOURS[1][0]
    src = tmp_path / "vfr.mp4"
    times = write_media(src, [Shot(1.0, rate=12), Shot(1.0, rate=48)])
    assert len(times) == 60  # 12 frames in the first second, 48 in the next
    out = tmp_path / "clip.mp4"
    [h] = cut_clips(src, [ClipSpec(0, 59, out, None, 0.0, 2.0)], 32, 18, 12)
    frames, fps = read_frames(out)
    assert fps == 12 and len(frames) == 21  # 2 s at 12 fps, as 4k+1
    # Output frame i shows what is on screen at i / 12 s: the whole first second is shot 0.
    assert [_shot0(f) for f in frames] == [True] * 12 + [False] * 9
    # By index at the average rate (30 fps) only the first 5 would have been.
    old = tmp_path / "by_index.mp4"
    cut_clips(src, [ClipSpec(0, 59, old)], 32, 18, 12)
    assert sum(_shot0(f) for f in read_frames(old)[0]) == 5
    # After a seek (the clip starts past 2 s), frames are found by their timestamps.
    src2 = tmp_path / "vfr2.mp4"
    t2 = write_media(src2, [Shot(2.5, rate=12), Shot(1.0, rate=48), Shot(1.0, rate=12)])
    first = 30 + 10  # the 11th frame of the 48 fps shot
    spec = ClipSpec(first, first + 16, tmp_path / "late.mp4", None, t2[first], t2[first + 17])
    [_] = cut_clips(src2, [spec], 32, 18, None)
    late, _ = read_frames(spec.out)
    assert len(late) == 17 and not any(_shot0(f) for f in late)
    assert h


def test_a_rotated_source_is_cut_as_displayed(tmp_path: Path) -> None:
    plain, turned = tmp_path / "plain.mp4", tmp_path / "turned.mp4"
    write_media(plain, [Shot(0.5)], width=96, height=54)
    write_media(turned, [Shot(0.5)], width=96, height=54, rotate=90)
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    cut_clip(plain, 0, 8, a, 64, 36)
    cut_clip(turned, 0, 8, b, 36, 64)  # portrait, as displayed
    fa, _ = read_frames(a)
    fb, _ = read_frames(b)
    assert fb.shape[1:] == (64, 36, 3)
    diff = np.abs(fb[0].astype(int) - np.rot90(fa[0], 1).astype(int)).mean()
    assert diff < 4, diff
