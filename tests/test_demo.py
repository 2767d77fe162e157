"""`clearreel demo` end to end (slow: about a minute on 2 cores with --quick)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from clearreel.demo import MARKER, run_demo
from clearreel.errors import UsageError


@pytest.mark.slow
def test_the_whole_flow(tmp_path: Path) -> None:
    summary = run_demo(tmp_path / "demo", films=3, quick=True, console=Console(quiet=True))
    # Rights: the co-owned film is denied with the co-owner's licence as the reason.
    tides = summary["clearance report"]["w-tides"]["ai_generative_training"]
    assert not tides["allowed"] and "license.forbids" in tides["reasons"]
    # Curation admitted clips, excluded others with reasons, and the dataset verifies.
    cur = summary["curation"]
    assert cur["clips"] > 0 and cur["excluded"] > 0 and summary["dataset verify"]["ok"]
    # Generation: one made, one blocked with reasons. The made one is attributed with shares
    # summing to one, or (the tiny model's noise resembles no training clip) unattributed with
    # the reason, its revenue then held in the studio's unattributed account.
    gen = summary["generation"]
    assert not gen["allowed"]["blocked"] and gen["blocked"]["blocked"]
    shares = gen["allowed"]["attribution"]
    assert (sum(Decimal(a["share"]) for a in shares) == 1 if shares
            else "resembles no training clip" in gen["allowed"]["unattributed"]["reason"])
    assert {r["code"] for r in gen["blocked"]["reasons"]} & {"license.constrained",
                                                             "character.unlicensed"}
    ver = summary["output verify"]
    assert ver["c2pa"] == {"present": True, "valid": True, "trusted": True}
    assert ver["watermark"]["output"] == gen["allowed"]["output"]
    # A revocation after training: the dataset fails, the model is suspended and refused;
    # the rebuilt dataset verifies without the performer, the retrained model generates.
    rev = summary["revocation"]
    expect = rev["truth"]["expect"]
    party = expect["rebuilt_without"]
    assert rev["verify"]["ok"] is expect["dataset_verify"] and rev["verify"]["problems"]
    assert all(party in p["performers"] for p in rev["verify"]["problems"])
    assert rev["refused"]["reasons"][0]["code"] == expect["generate_reason"]
    assert rev["rebuilt"]["dropped"] and rev["rebuilt"]["clips"] > 0
    assert not rev["generated"]["blocked"]
    assert rev["models"] == {"studio-tiny": expect["old_model_after_rebuild"],
                             "studio-tiny-r": expect["retrained_model"]}
    # Royalties reach people, the books balance, the audit chain is intact.
    assert summary["royalties"]["statements"]["statements"]
    assert summary["royalties"]["check"]["valid"] and not summary["audit"]["problems"]


def test_refuses_a_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    keep = tmp_path / "studio-files"
    keep.mkdir()
    (keep / "precious.mov").write_bytes(b"do not delete")
    with pytest.raises(UsageError, match="not a clearreel demo directory"):
        run_demo(keep, console=Console(quiet=True))
    assert (keep / "precious.mov").read_bytes() == b"do not delete"
    assert not (keep / MARKER).exists()
