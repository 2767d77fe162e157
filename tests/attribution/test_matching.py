"""Temporal alignment: speed, offset and partial overlap."""

from __future__ import annotations

import numpy as np

from clearreel.attribution.matching import align


def _seq(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_segment_is_located() -> None:
    r = _seq(40)
    a = align(r[12:30], r)
    assert a.score > 0.999 and a.r_start == 12 and a.q_start == 0 and a.q_end == 17


def test_copy_inside_a_longer_query() -> None:
    r = _seq(20)
    q = np.concatenate([_seq(15, seed=1), r, _seq(10, seed=2)])
    a = align(q, r)
    assert a.score > 0.999 and a.q_start == 15 and a.q_end == 34 and a.r_start == 0


def test_speed_up() -> None:
    r = _seq(50)
    q = r[np.rint(np.arange(0, 50, 1.25)).astype(int).clip(0, 49)]
    a = align(q, r)
    assert a.speed == 1.25 and a.score > 0.99


def test_unrelated_scores_low() -> None:
    assert align(_seq(20, seed=3), _seq(20, seed=4)).score < 0.5
