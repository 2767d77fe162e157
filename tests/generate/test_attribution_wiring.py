"""generate ↔ attribution: the copy guard blocks regurgitation; shares are recorded.

The dataset is a real signed one (provenance.conftest.index_tiny_dataset); fingerprints,
the FAISS index, the copy guard and the shares are the attribution package's real code.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from clearreel.attribution.robustness import render_procedural
from clearreel.db import open_session
from clearreel.generate.outputs import get_output
from clearreel.generate.pipeline import ModelInfo, Request, deliver
from provenance.conftest import TINY_CLIP, TINY_FPS, index_tiny_dataset
from provenance.media import footage

W, H, T = TINY_CLIP
FPS = TINY_FPS


@pytest.fixture
def dataset(studio):
    s = studio()
    index_tiny_dataset(s, "ds-tiny")
    return s


INFO = ModelInfo("m-tiny", "ds-tiny", "c" * 64)


def test_a_copied_training_clip_is_blocked_and_not_written(dataset):
    s = dataset
    req = Request(model="m-tiny", prompt="waves")
    result = deliver(s, "out-00000000000000aa", render_procedural(2, W, H, T), FPS, req, INFO)
    assert result["blocked"] and result["path"] is None
    assert result["reasons"][0]["code"] == "output.regurgitation"
    assert result["reasons"][0]["clip"] == "clip-2"
    assert not list(s.path("outputs").rglob("*.mp4"))
    with open_session(s) as session:
        assert get_output(session, "out-00000000000000aa").blocked


def test_a_new_shot_is_delivered_with_shares_that_sum_to_one(dataset):
    s = dataset
    req = Request(model="m-tiny", prompt="a lighthouse")
    result = deliver(s, "out-00000000000000bb", footage(frames=T, seed=9), FPS, req, INFO)
    assert not result["blocked"] and Path(result["path"]).exists()
    shares = result["attribution"]
    assert shares and sum(Decimal(a["share"]) for a in shares) == 1
    assert {a["work"] for a in shares} <= {"w-harbor", "w-other"}
    with open_session(s) as session:
        assert get_output(session, "out-00000000000000bb").attribution == shares
