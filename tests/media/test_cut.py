"""cut_clip / cut_clips: frame-accurate, exact counts, resampling to 4k+1, crop, hashes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from clearreel.errors import MediaError, UsageError
from clearreel.media import (
    ClipSpec,
    cut_clip,
    cut_clips,
    decode,
    probe,
    resampled_indices,
    sha256_file,
    write_video,
)
from clearreel.media.synth import ShotSpec, render_frames

Src = tuple[Path, np.ndarray]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Src:
    # Every frame carries its index as a 7-bit barcode along the top, so a cut can be checked
    # frame by frame.
    frames, _ = render_frames([ShotSpec(60, seed=1), ShotSpec(60, seed=2)], 96, 54)
    frames = frames.copy()
    for i in range(len(frames)):
        for bit in range(7):
            frames[i, :12, bit * 12 : (bit + 1) * 12] = 255 if (i >> bit) & 1 else 0
    path = write_video(tmp_path_factory.mktemp("cut") / "src.mp4", frames, 24, crf=8)
    return path, frames


def _index_band(path: Path) -> list[int]:
    """Read the barcode back (any output size: the band scales with the picture)."""
    d = decode(path, 96, 54)
    return [
        sum(1 << b for b in range(7) if f[2:10, b * 12 + 3 : b * 12 + 9].mean() > 128)
        for f in d.frames
    ]


def test_cut_is_frame_accurate_with_exact_count(
    source: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    src, _ = source
    out = tmp_path / "clip.mp4"
    digest = cut_clip(src, 70, 86, out, 96, 54)  # past 2 s: the seeking path
    assert digest == sha256_file(out)
    assert probe(out).frames == 17
    assert _index_band(out) == list(range(70, 87))


def test_cut_from_the_start_and_many_in_one_pass(
    source: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    src, _ = source
    specs = [
        ClipSpec(0, 8, tmp_path / "a.mp4"),
        ClipSpec(5, 13, tmp_path / "b.mp4"),
        ClipSpec(100, 116, tmp_path / "c.mp4"),
    ]
    hashes = cut_clips(src, specs, 96, 54)
    assert len(hashes) == 3 and len(set(hashes)) == 3
    assert _index_band(tmp_path / "a.mp4") == list(range(0, 9))
    assert _index_band(tmp_path / "b.mp4") == list(range(5, 14))
    assert _index_band(tmp_path / "c.mp4") == list(range(100, 117))


def test_cut_is_deterministic(source: Src, tmp_path: Path) -> None:
    src, _ = source
    a = cut_clip(src, 10, 30, tmp_path / "1.mp4", 64, 36)
    b = cut_clip(src, 10, 30, tmp_path / "2.mp4", 64, 36)
    assert a == b


def test_cut_bytes_do_not_depend_on_heap_state_or_hash_seed(source: Src, tmp_path: Path) -> None:
    """Freed memory full of random bytes (what an uninitialised frame buffer or padding read
    would pick up), a 100-pixel width (chroma rows not a multiple of the SIMD width) and a
    fresh interpreter with another hash seed: the same clip, the same bytes."""
    import os
    import subprocess
    import sys

    src, _ = source
    first = cut_clip(src, 10, 30, tmp_path / "1.mp4", 100, 56)
    for i in range(3):
        junk = [os.urandom(n) for n in range(700, 90_000, 3_001)]
        del junk
        assert cut_clip(src, 10, 30, tmp_path / f"g{i}.mp4", 100, 56) == first
    code = (f"from clearreel.media import cut_clip; "
            f"print(cut_clip({str(src)!r}, 10, 30, {str(tmp_path / 'f.mp4')!r}, 100, 56))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split()[-1] == first


def test_resample_keeps_duration_as_4k_plus_1(
    source: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    src, _ = source
    out = tmp_path / "r.mp4"
    # 49 frames at 24 fps = 2.04 s = 32.7 frames at 16 fps: the largest 4k+1 below is 29.
    cut_clip(src, 0, 48, out, 96, 54, fps=16)
    p = probe(out)
    assert p.fps == Fraction(16) and p.frames == 29 and (p.frames - 1) % 4 == 0
    idx = resampled_indices(0, 48, Fraction(24), Fraction(16))
    assert idx[:5] == [0, 1, 3, 4, 6] and len(idx) == 29
    assert _index_band(out) == idx
    assert resampled_indices(3, 19, Fraction(24), None) == list(range(3, 20))


def test_crop_then_cover_scale(source: Src, tmp_path: Path) -> None:
    src, frames = source
    out = tmp_path / "crop.mp4"
    cut_clip(src, 20, 24, out, 32, 16, crop=(48, 20, 48, 24))
    d = decode(out, 32, 16)
    want = frames[20, 20:44, 48:96]
    import cv2

    want = cv2.resize(want, (32, 16), interpolation=cv2.INTER_AREA)
    assert np.abs(d.frames[0].astype(int) - want.astype(int)).mean() < 12


def test_bad_requests(source: Src, tmp_path: Path) -> None:
    src, _ = source
    with pytest.raises(UsageError):
        cut_clip(src, 0, 8, tmp_path / "x.mp4", 63, 36)
    with pytest.raises(UsageError):
        cut_clip(src, 9, 8, tmp_path / "x.mp4", 64, 36)
    with pytest.raises(MediaError, match="ended before"):
        cut_clip(src, 110, 500, tmp_path / "x.mp4", 64, 36)
