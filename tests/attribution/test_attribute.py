"""Shares per work: exact Decimals that sum to 1 and follow similarity; the copy guard."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from clearreel.attribution import (
    ATTRIBUTION_FLOOR,
    COPY_THRESHOLD,
    attribute,
    copy_guard,
    shares_from_scores,
)
from clearreel.attribution.robustness import make_copy, render_procedural

from .conftest import CLIPS, FPS, H, W, clip_frames


@given(st.lists(st.tuples(st.sampled_from(["w-a", "w-b", "w-c", "w-d", "w-e", "w-f", "w-g"]),
                          st.floats(-1, 1)), min_size=1, max_size=30),
       st.sampled_from([0.01, 0.05, 0.5]))
def test_shares_sum_to_exactly_one(scores: list[tuple[str, float]], temperature: float) -> None:
    shares = shares_from_scores(scores, temperature)
    assert sum(s["share"] for s in shares) == Decimal(1)
    assert all(isinstance(s["share"], Decimal) and s["share"] > 0 for s in shares)
    assert all(s["share"].as_tuple().exponent == -6 for s in shares)
    assert len({s["work"] for s in shares}) == len(shares)


def test_shares_follow_similarity() -> None:
    shares = shares_from_scores([("w-a", 0.9), ("w-b", 0.8), ("w-c", 0.5), ("w-a", 0.4)])
    assert [s["work"] for s in shares] == ["w-a", "w-b", "w-c"]
    assert shares[0]["share"] > shares[1]["share"] > shares[2]["share"]
    # Equal similarity, equal shares (up to the one unit the rounding must place).
    even = shares_from_scores([("w-a", 0.7), ("w-b", 0.7), ("w-c", 0.7)])
    assert sorted(s["share"] for s in even) == [Decimal("0.333333")] * 2 + [Decimal("0.333334")]
    # The unit goes by work id (attribution's tie-break; the ledger's prefers the larger weight).
    assert [(s["work"], s["share"]) for s in even] == [
        ("w-a", Decimal("0.333334")), ("w-b", Decimal("0.333333")), ("w-c", Decimal("0.333333"))]
    assert shares_from_scores([]) == []


def test_attribute_an_output(workspace, tiny_dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from clearreel.attribution import index_dataset

    index_dataset(workspace, "tiny")
    # An "output" that mostly shows clip-4 (work w-b), re-encoded.
    q = make_copy(clip_frames("clip-4"), FPS, "reencode", tmp_path / "out.mp4")
    shares = attribute(workspace, q, "tiny", top=5)
    assert sum(s["share"] for s in shares) == 1
    assert shares[0]["work"] == CLIPS["clip-4"][0] and shares[0]["share"] > Decimal("0.9")
    # Frames in memory (as generation hands them over) give the same answer.
    frames = clip_frames("clip-4")
    assert attribute(workspace, frames, "tiny", top=5, fps=FPS)[0]["work"] == "w-b"


def test_copy_guard_blocks_a_copy_and_passes_new_footage(workspace, tiny_dataset, organization,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    from clearreel.attribution import index_dataset
    from clearreel.db import open_session
    from clearreel.rights import audit

    index_dataset(workspace, "tiny")
    copy = make_copy(clip_frames("clip-3"), FPS, "flip", tmp_path / "copy.mp4")
    hit = copy_guard(workspace, copy, "tiny", subject="out-1")
    assert hit is not None and hit.clip == "clip-3" and hit.score >= COPY_THRESHOLD
    fresh = render_procedural(4242, W, H, 40)
    assert copy_guard(workspace, fresh, "tiny", fps=FPS, subject="out-2") is None
    # Threshold 1.01: nothing is a copy.
    assert copy_guard(workspace, copy, "tiny", threshold=1.01, audit=False) is None
    with open_session(workspace) as s:
        entries = [e for e in audit.entries(s, action="attribution.copy_guard")]
        assert {e.subject: e.payload["blocked"] for e in entries} == {"out-1": True, "out-2": False}
        assert not audit.verify(s)
    assert np.isclose(hit.to_json()["score"], hit.score, atol=1e-4)


def test_assess_gives_shares_and_the_guard_in_one_pass(workspace, tiny_dataset, organization,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path) -> None:
    from clearreel.attribution import assess, index_dataset

    index_dataset(workspace, "tiny")
    a = assess(workspace, clip_frames("clip-2"), "tiny", fps=FPS, subject="out-9")
    assert a.blocked and a.copy is not None and a.copy.clip == "clip-2"
    assert a.attribution[0]["work"] == "w-c" and sum(s["share"] for s in a.attribution) == 1
    doc = a.to_json()
    assert doc["blocked"] and doc["copy"]["clip"] == "clip-2"
    assert isinstance(doc["attribution"][0]["share"], str)
    # Unrelated footage: not a copy, and no clip reaches the attribution floor.
    fresh = assess(workspace, render_procedural(4343, W, H, 40), "tiny", fps=FPS, audit=False)
    assert not fresh.blocked and fresh.attribution == [] and fresh.matches
    assert fresh.matches[0].score < ATTRIBUTION_FLOOR
    assert fresh.to_json()["unattributed"]["best"] == round(fresh.matches[0].score, 4)
