"""The shot-detection cascade: TransNetV2 only near frames a cheap change signal marks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from clearreel.curate.config import CurateConfig
from clearreel.curate.shots import (
    _CASCADE_CONTEXT,
    _transnet_input,
    candidate_spans,
    cascade_spans,
    cuts_of,
    detect_shots,
    frames_read,
    transition_signals,
    transnet_predictions,
)
from clearreel.media import Decoded


def test_a_still_shot_gives_transnet_nothing_to_read(decoded: Callable[[str], Decoded]) -> None:
    d = decoded("w-harbor")
    still = np.repeat(d.frames[:1], 120, axis=0)
    assert candidate_spans(_transnet_input(still), d.fps_float, CurateConfig()) == []


def test_every_truth_transition_lies_inside_a_candidate_span(
    sample_studio: dict[str, Any], decoded: Callable[[str], Decoded]
) -> None:
    """Recall first: each hard cut and every frame of each dissolve is read by TransNetV2."""
    truth = sample_studio["truth"]["works"]["w-harbor"]
    d = decoded("w-harbor")
    spans = candidate_spans(_transnet_input(d.frames), d.fps_float, CurateConfig())
    inside = lambda f: any(a <= f <= b for a, b in spans)  # noqa: E731
    assert all(inside(c - 1) and inside(c) for c in truth["cuts"]), (truth["cuts"], spans)
    assert all(inside(f) for a, b in truth["dissolves"] for f in range(a, b + 1))
    assert frames_read(spans, d.count) <= d.count


def test_spans_whose_contexts_overlap_are_joined() -> None:
    frames = np.zeros((400, 27, 48, 3), np.uint8)
    frames[100:] = 200  # a cut at 100
    frames[100 + 2 * _CASCADE_CONTEXT :] = 30  # a second one close enough that the contexts overlap
    frames[350:] = 120  # and one far from it
    spans = candidate_spans(frames, 24.0, CurateConfig())
    assert len(spans) == 2 and spans[0][0] < 100 and spans[0][1] >= 200, spans
    assert spans[1][0] <= 350 <= spans[1][1]


def test_signals_see_a_dissolve_that_no_consecutive_step_shows() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 100, (27, 48, 3)).astype(np.float32)  # a dark textured shot
    b = rng.integers(150, 256, (27, 48, 3)).astype(np.float32)  # a bright one
    w = np.linspace(0, 1, 48)[:, None, None, None]
    blend = ((1 - w) * a + w * b).astype(np.uint8)
    still_a, still_b = np.repeat(a[None], 40, 0), np.repeat(b[None], 40, 0)
    frames = np.concatenate([still_a.astype(np.uint8), blend, still_b.astype(np.uint8)])
    sig = transition_signals(frames, 24.0)
    cfg = CurateConfig()
    assert sig[0].max() < cfg.cascade_grey and sig[1].max() < cfg.cascade_hist, sig.max(axis=1)
    assert sig[2].max() > cfg.cascade_long, sig.max(axis=1)


def test_predictions_on_spans_match_the_full_run_inside_and_are_zero_outside(
    decoded: Callable[[str], Decoded],
) -> None:
    d = decoded("w-harbor")
    frames = d.frames[:300]
    full_single, full_many = transnet_predictions(frames, "fp32")
    spans = [(40, 90), (200, 240)]
    single, many = transnet_predictions(frames, "fp32", spans=spans)
    for a, b in spans:
        assert np.abs(single[a : b + 1] - full_single[a : b + 1]).max() < 0.02
        assert np.abs(many[a : b + 1] - full_many[a : b + 1]).max() < 0.02
    outside = np.ones(len(frames), bool)
    for a, b in spans:
        outside[a : b + 1] = False
    assert not single[outside].any() and not many[outside].any()


def test_a_long_range_candidate_is_widened_by_its_half_second() -> None:
    """The long-range signal peaks mid-dissolve; the span reaches the faint first and last
    blended frames, which lie up to its lag (half a second) from any frame it fires on."""
    rng = np.random.default_rng(1)
    a = rng.integers(0, 100, (27, 48, 3)).astype(np.float32)
    b = rng.integers(150, 256, (27, 48, 3)).astype(np.float32)
    w = np.linspace(0, 1, 50)[1:-1, None, None, None]  # 48 blended frames
    frames = np.concatenate([np.repeat(a[None], 100, 0), (1 - w) * a + w * b,
                             np.repeat(b[None], 100, 0)]).astype(np.uint8)
    spans = candidate_spans(frames, 24.0, CurateConfig())
    assert len(spans) == 1
    assert spans[0][0] <= 100 and spans[0][1] >= 147, spans


def test_dense_footage_is_read_whole_and_gives_the_full_runs_shots(
    decoded: Callable[[str], Decoded],
) -> None:
    """A film that cuts every few seconds: the candidates cover most frames, so the cascade
    reads every frame in the full run's windows and gives exactly its answer."""
    d = decoded("w-harbor")
    cfg = CurateConfig(transnet_precision="fp32")
    spans = candidate_spans(_transnet_input(d.frames), d.fps_float, cfg)
    assert frames_read(spans, d.count) > cfg.cascade_max_share * d.count
    assert cascade_spans(_transnet_input(d.frames), d.fps_float, cfg) is None
    assert detect_shots("transnetv2-cascade", d, cfg) == detect_shots("transnetv2", d, cfg)
    # Share 0: always the full run, even where nothing changes.
    still = np.repeat(d.frames[:1], 120, axis=0)
    assert cascade_spans(_transnet_input(still), 24.0, CurateConfig(cascade_max_share=0)) is None


def test_long_takes_are_read_in_part_and_lose_no_cut(
    sample_studio: dict[str, Any], decoded: Callable[[str], Decoded]
) -> None:
    """Two long takes of real rendered motion (a shot played forward and back) and a cut: the
    cascade reads a minority of the frames and finds the cut the full run finds."""
    d = decoded("w-harbor")
    scenes = [s for s in sample_studio["truth"]["works"]["w-harbor"]["shots"]
              if s["kind"] == "scene" and s["end_frame"] - s["start_frame"] >= 50]
    # 10 frames in: past the faint end of a dissolve (12 frames) into the shot.
    a, b = (s["start_frame"] + 10 for s in scenes[:2])
    first, second = d.frames[a : a + 40], d.frames[b : b + 40]

    def take(f: np.ndarray) -> np.ndarray:
        return np.concatenate([f if i % 2 == 0 else f[::-1] for i in range(8)])

    frames = np.concatenate([take(first), take(second)])  # 640 frames, a cut at 320
    cfg = CurateConfig(transnet_precision="fp32")
    spans = cascade_spans(_transnet_input(frames), 24.0, cfg)
    assert spans is not None and frames_read(spans, len(frames)) < len(frames) // 2, spans
    full = cuts_of(detect_shots("transnetv2", frames, cfg, fps=24.0))
    got = cuts_of(detect_shots("transnetv2-cascade", frames, cfg, fps=24.0))
    assert any(abs(c - 320) <= 1 for c in full), full
    assert got == full
