"""probe and the one-pass decode on tiny real files, including broken ones."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from clearreel.errors import MediaError
from clearreel.media import decode, probe, sha256_file, write_video
from clearreel.media.synth import ShotSpec, render_film, render_frames


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "film.mp4"
    render_film(path, [ShotSpec(30, seed=1), ShotSpec(30, seed=2)], 96, 54, fps=24)
    return path


def test_probe_reports_stream_facts(film: Path) -> None:
    p = probe(film)
    assert p.codec in {"h264", "mpeg4"}
    assert "mp4" in p.container
    assert (p.width, p.height) == (96, 54)
    assert p.fps == Fraction(24) and p.fps_float == 24.0
    assert p.frames == 60 and p.frames_exact
    assert p.duration_s == pytest.approx(2.5, abs=0.05)
    assert p.audio == []
    assert p.sha256 == sha256_file(film) and len(p.sha256) == 64
    assert p.to_dict()["fps"] == "24/1"


def test_decode_scales_every_frame_in_one_pass(film: Path) -> None:
    d = decode(film, 64, 36, stills_every=10, stills_size=(96, 54))
    assert d.frames.shape == (60, 36, 64, 3) and d.frames.dtype == np.uint8
    assert d.complete and d.expected_frames == 60
    assert (d.source_width, d.source_height) == (96, 54)
    assert sorted(d.stills) == [0, 10, 20, 30, 40, 50]
    assert d.stills[0].shape == (54, 96, 3)
    assert d.ms(12) == pytest.approx(500.0)


def test_decoded_pixels_match_what_was_encoded(tmp_path: Path) -> None:
    frames, _ = render_frames([ShotSpec(12, seed=3)], 96, 54)
    path = write_video(tmp_path / "x.mp4", frames, 24, crf=10)
    d = decode(path, 96, 54)
    assert np.abs(d.frames.astype(int) - frames.astype(int)).mean() < 6


def test_garbage_file_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    for fn in (probe, lambda p: decode(p, 32, 18)):
        with pytest.raises(MediaError) as e:
            fn(bad)
        assert e.value.reason in {"unreadable", "corrupt"}  # type: ignore[attr-defined]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        probe(tmp_path / "nope.mp4")


def test_audio_only_file_has_no_video(tmp_path: Path) -> None:
    import av

    path = tmp_path / "tone.m4a"
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=8000)
        t = np.arange(8000, dtype=np.float32) / 8000
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 8000
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    with pytest.raises(MediaError) as e:
        probe(path)
    assert e.value.reason == "no_video"  # type: ignore[attr-defined]


def test_truncated_mp4_without_index_cannot_be_opened(film: Path, tmp_path: Path) -> None:
    # Without faststart the index (moov) is written last: cutting the file loses it.
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(film.read_bytes()[: film.stat().st_size // 2])
    with pytest.raises(MediaError) as e:
        decode(cut, 32, 18)
    assert e.value.reason in {"unreadable", "corrupt", "truncated"}  # type: ignore[attr-defined]


def test_truncated_mp4_stops_decoding_midway(tmp_path: Path) -> None:
    # faststart puts the index first: the file opens, announces 96 frames, and runs dry.
    frames, _ = render_frames([ShotSpec(48, seed=1), ShotSpec(48, seed=2)], 96, 54)
    full = write_video(tmp_path / "fast.mp4", frames, 24, faststart=True)
    cut = tmp_path / "fast_cut.mp4"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.55)])
    p = probe(cut)
    assert p.frames == 96  # the container still promises every frame
    with pytest.raises(MediaError) as e:
        decode(cut, 32, 18)
    assert e.value.reason == "truncated"  # type: ignore[attr-defined]
    partial = decode(cut, 32, 18, strict=False)
    assert not partial.complete and 0 < partial.count < 96


def test_decode_stream_yields_contiguous_chunks(film: Path) -> None:
    from clearreel.media import DecodeStream

    whole = decode(film, 64, 36, stills_every=7)
    with DecodeStream(film, 64, 36, chunk=16, stills_every=7) as ds:
        assert ds.fps == Fraction(24) and ds.expected_frames == 60
        chunks = list(ds)
    assert [c.start for c in chunks] == [0, 16, 32, 48]
    assert np.array_equal(np.concatenate([c.frames for c in chunks]), whole.frames)
    assert {i for c in chunks for i in c.stills} == set(whole.stills) == set(range(0, 60, 7))
    assert ds.count == 60 and ds.complete
