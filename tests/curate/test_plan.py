"""`plan` is a pure function of the candidates and a clearance callable: no engine, no DB."""

from __future__ import annotations

import pytest

from clearreel.curate.config import CurateConfig
from clearreel.curate.plan import Candidate, Verdict, plan
from clearreel.errors import UsageError

PASS = {"motion": 0.2, "sharpness": 200.0, "brightness": 120.0, "black_fraction": 0.0,
        "flat_fraction": 0.0, "text_fraction": 0.0}  # fmt: skip
HASH_A = ["0f0f0f0f0f0f0f0f"] * 3
HASH_B = ["f0f0f0f0f0f0f0f0"] * 3


def cand(work: str, start: int, performers: tuple[str, ...], **kw: object) -> Candidate:
    c = {"start_frame": start, "end_frame": start + 16, "scores": dict(PASS),
         "performers": list(performers), **kw}  # fmt: skip
    return Candidate.from_json(c, work=work, media=f"/m/{work}.mp4", media_index=0,
                               media_sha256="ab", fps=24.0)  # fmt: skip


def test_filters_clearance_and_dedup_decide_every_candidate() -> None:
    calls: list[tuple[str, tuple[str, ...], list[str]]] = []

    def clear(work: str, performers: tuple[str, ...], clips: list[str]) -> Verdict:
        calls.append((work, performers, clips))
        if "p-dev" in performers:
            return Verdict(False, reasons=({"code": "consent.revoked", "effect": "deny",
                                            "consent": "k-dev"},
                                           {"code": "license.ok", "effect": "allow"}))  # fmt: skip
        return Verdict(True, ("l-all",), tuple(f"k-{p[2:]}" for p in performers))

    cands = [
        cand("w-b", 100, ("p-ava",), phash=HASH_A),  # a duplicate of w-a's first clip
        cand("w-a", 0, ("p-ava",), phash=HASH_A),
        cand("w-a", 40, ("p-dev",), phash=HASH_B),
        cand("w-a", 80, ("p-ava",), scores={**PASS, "brightness": 2.0}),
        cand("w-a", 120, ("p-ava",), filter_reasons=[{"code": "too_short", "detail": "x"}]),
    ]
    out = plan(cands, clear, CurateConfig())
    # One clearance call per (work, performers) group that passed the filters, sorted.
    assert calls == [
        ("w-a", ("p-ava",), ["w-a_m0_0000000_0000016"]),
        ("w-a", ("p-dev",), ["w-a_m0_0000040_0000056"]),
        ("w-b", ("p-ava",), ["w-b_m0_0000100_0000116"]),
    ]
    assert [(a.clip.id, a.licenses, a.consents) for a in out.admitted] == [
        ("w-a_m0_0000000_0000016", ("l-all",), ("k-ava",))
    ]
    got = {x.clip.id: (x.stage, [r["code"] for r in x.reasons]) for x in out.excluded}
    assert got == {
        "w-a_m0_0000040_0000056": ("clearance", ["consent.revoked"]),
        "w-a_m0_0000080_0000096": ("filter", ["too_dark"]),
        "w-a_m0_0000120_0000136": ("filter", ["too_short"]),
        "w-b_m0_0000100_0000116": ("dedup", ["near_duplicate"]),
    }
    dup = next(x for x in out.excluded if x.stage == "dedup")
    assert dup.reasons[0]["of"] == "w-a_m0_0000000_0000016"
    # The result does not depend on the order the candidates come in.
    again = plan(list(reversed(cands)), clear, CurateConfig())
    assert again == out


def test_a_duplicate_keeps_the_cleared_clip_and_ids_must_be_unique() -> None:
    def clear(work: str, performers: tuple[str, ...], clips: list[str]) -> Verdict:
        return Verdict("p-dev" not in performers, ("l",), ())

    cands = [cand("w-a", 0, ("p-dev",), phash=HASH_A), cand("w-a", 40, ("p-ava",), phash=HASH_A)]
    out = plan(cands, clear, CurateConfig())
    assert [a.clip.start_frame for a in out.admitted] == [40]
    # The denied one is excluded for clearance (and also named as a near-duplicate).
    denied = out.excluded[0]
    assert denied.stage == "clearance" and [r["code"] for r in denied.reasons] == [
        "denied", "near_duplicate"]  # fmt: skip
    with pytest.raises(UsageError, match="same id"):
        plan([cand("w.a", 0, ()), cand("w/a", 0, ())], clear, CurateConfig())
