"""generate ↔ attribution: the copy guard blocks regurgitation; shares are recorded.

The dataset is a real signed one (provenance.conftest.index_tiny_dataset); fingerprints,
the FAISS index, the copy guard and the shares are the attribution package's real code.
"""

from __future__ import annotations

import datetime as dt
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


def test_a_shot_that_resembles_a_training_clip_is_delivered_with_shares_that_sum_to_one(
        dataset):
    """A quarter of training clip 1 (of w-other) blended into a new shot: it resembles that
    clip (above the attribution floor) without copying it (under the copy guard)."""
    s = dataset
    req = Request(model="m-tiny", prompt="a lighthouse")
    near = (0.25 * render_procedural(1, W, H, T) + 0.75 * footage(frames=T, seed=9, height=H,
                                                                   width=W)).astype("uint8")
    result = deliver(s, "out-00000000000000bb", near, FPS, req, INFO)
    assert not result["blocked"] and Path(result["path"]).exists()
    shares = result["attribution"]
    assert sum(Decimal(a["share"]) for a in shares) == 1
    assert {a["work"] for a in shares} == {"w-other"}
    with open_session(s) as session:
        assert get_output(session, "out-00000000000000bb").attribution == shares


def test_a_shot_that_resembles_no_training_clip_is_unattributed_and_its_revenue_too(dataset):
    """Unrelated footage: its best match is under the attribution floor, so it has no shares;
    its revenue goes to the studio's unattributed pool with the reason on the statement."""
    from clearreel.ledger import record_revenue
    from clearreel.ledger.statements import build

    s = dataset
    req = Request(model="m-tiny", prompt="a lighthouse")
    result = deliver(s, "out-00000000000000cc", footage(frames=T, seed=9), FPS, req, INFO)
    assert not result["blocked"] and result["attribution"] == []
    with open_session(s) as session:
        out = get_output(session, "out-00000000000000cc")
        why = out.params["unattributed"]
    assert why["best"] < why["floor"] and "resembles no training clip" in why["reason"]
    posted = record_revenue(s, "out-00000000000000cc", "100.00", "USD", on=dt.date(2026, 5, 4),
                            pool="40")
    doc = posted.to_json()
    assert (doc["studio"], doc["unattributed"], doc["pool"]) == ("60.00", "40.00", "0.00")
    assert doc["allocations"] == []
    with open_session(s) as session:
        report = build(session, "2026-05")
    assert report["unattributed"] == {"USD": "40.00"} and report["allocated"] == {"USD": "0.00"}
    assert report["unattributed_lines"][0]["reason"] == why["reason"]


def test_an_output_that_cannot_be_recorded_leaves_no_file(dataset, tmp_path):
    """The record fails (the output id is taken): the signed mp4 is not left behind without
    its record and audit entry; an existing file is never overwritten."""
    import sqlalchemy.exc

    from clearreel.errors import UsageError

    s = dataset
    req = Request(model="m-tiny", prompt="a lighthouse")
    first = deliver(s, "out-00000000000000dd", footage(frames=T, seed=4), FPS, req, INFO,
                    out=tmp_path / "first.mp4")
    assert Path(first["path"]).exists()
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        deliver(s, "out-00000000000000dd", footage(frames=T, seed=5), FPS, req, INFO,
                out=tmp_path / "second.mp4")
    assert not (tmp_path / "second.mp4").exists() and Path(first["path"]).exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".mp4"] == ["first.mp4"]
    with pytest.raises(UsageError, match="never overwritten"):
        deliver(s, "out-00000000000000ee", footage(frames=T, seed=6), FPS, req, INFO,
                out=tmp_path / "first.mp4")
