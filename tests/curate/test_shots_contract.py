"""The shot detectors' shared contract, against the sample sample_studio's truth.json.

Every registered detector must find the hard cuts within ±2 frames with high recall and
precision, and put a boundary inside every dissolve.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from clearreel.curate.config import CurateConfig
from clearreel.curate.shots import (
    DETECTORS,
    Shot,
    detect_shots,
    runs_above,
    shots_from_transitions,
)
from clearreel.errors import UsageError
from clearreel.media import Decoded

TOLERANCE = 2


def boundaries(shots: list[Shot]) -> list[float]:
    """Where one shot turns into the next: the cut frame, or the middle of a transition."""
    return [(a.end_frame + 1 + b.start_frame) / 2 for a, b in itertools.pairwise(shots)]


def score(shots: list[Shot], truth: dict[str, Any]) -> dict[str, Any]:
    dissolves = [tuple(d) for d in truth["dissolves"]]
    hard = [c for c in truth["cuts"] if not any(a <= c <= b + 1 for a, b in dissolves)]
    found = boundaries(shots)
    in_dissolve = [
        f for f in found if any(a - TOLERANCE <= f <= b + TOLERANCE for a, b in dissolves)
    ]
    elsewhere = [f for f in found if f not in in_dissolve]
    hits = [c for c in hard if any(abs(f - c) <= TOLERANCE for f in elsewhere)]
    true_pos = [f for f in elsewhere if any(abs(f - c) <= TOLERANCE for c in hard)]
    return {
        "recall": len(hits) / max(1, len(hard)),
        "precision": len(true_pos) / max(1, len(elsewhere)),
        "dissolves_found": sum(
            any(a - TOLERANCE <= f <= b + TOLERANCE for f in found) for a, b in dissolves
        ),
        "dissolves": len(dissolves),
        "extra_in_dissolves": len(in_dissolve) - len(dissolves),
    }


Detected = Callable[[str, str], list[Shot]]


def _results(
    sample_studio: dict[str, Any], detected: Detected, name: str, works: list[str]
) -> list[dict[str, Any]]:
    return [score(detected(name, w), sample_studio["truth"]["works"][w]) for w in works]


def _check(rs: list[dict[str, Any]]) -> None:
    assert np.mean([r["recall"] for r in rs]) >= 0.9, rs
    assert np.mean([r["precision"] for r in rs]) >= 0.9, rs
    assert sum(r["dissolves_found"] for r in rs) == sum(r["dissolves"] for r in rs), rs
    assert all(r["extra_in_dissolves"] <= 0 for r in rs), rs


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_contract_on_one_film(
    name: str, sample_studio: dict[str, Any], detected: Detected
) -> None:
    """Hard cuts within ±2 frames (recall and precision >= 0.9), a boundary in each dissolve."""
    rs = _results(sample_studio, detected, name, ["w-harbor"])
    assert rs[0]["recall"] == 1.0 and rs[0]["dissolves"] >= 1
    _check(rs)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_contract_on_every_film(
    name: str, sample_studio: dict[str, Any], detected: Detected
) -> None:
    _check(_results(sample_studio, detected, name, sorted(sample_studio["truth"]["works"])))


def test_shots_partition_in_order_and_never_overlap(
    decoded: Callable[[str], Decoded], detected: Detected
) -> None:
    d = decoded("w-harbor")
    for name in DETECTORS:
        shots = detected(name, "w-harbor")
        assert shots[0].start_frame == 0 and shots[-1].end_frame == d.count - 1
        for a, b in itertools.pairwise(shots):
            assert a.end_frame < b.start_frame


def test_unknown_detector_is_a_usage_error(decoded: Callable[[str], Decoded]) -> None:
    with pytest.raises(UsageError, match="transnetv2"):
        detect_shots("nope", decoded("w-harbor"))


def test_transition_runs_to_shots() -> None:
    p = np.zeros(100, np.float32)
    p[29] = 0.9  # hard cut at 30
    p[60:66] = 0.7  # a gradual transition over 60..65
    runs = runs_above(p, 0.5)
    assert runs == [(29, 29), (60, 65)]
    assert shots_from_transitions(100, runs) == [Shot(0, 29), Shot(30, 59), Shot(66, 99)]
    # A transition that would leave a shot shorter than min_frames is ignored.
    assert shots_from_transitions(100, [(2, 2)], min_frames=8) == [Shot(0, 99)]


def test_transnet_leaves_global_rng_and_determinism_alone() -> None:
    """TransNetV2's constructor seeds every RNG and forces deterministic algorithms; the
    loader restores the caller's state."""
    import torch

    from clearreel.curate import shots

    loaded, shots._TRANSNET = shots._TRANSNET, None
    try:
        torch.manual_seed(123)
        expected = torch.rand(1).item()
        torch.manual_seed(123)
        shots._transnet()
        assert torch.rand(1).item() == expected
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        if loaded is not None:
            shots._TRANSNET = loaded


@pytest.mark.slow
def test_transnet_bf16_and_fp32_find_the_same_shots(decoded: Callable[[str], Decoded]) -> None:
    d = decoded("w-tides")
    fp32 = detect_shots("transnetv2", d, CurateConfig(transnet_precision="fp32"))
    bf16 = detect_shots("transnetv2", d, CurateConfig(transnet_precision="bf16"))
    assert fp32 == bf16
