"""The sample studio's ground truth (truth.json): per work the cuts, dissolves and who is on
screen in each shot, and the expectations: the decisions the clearance engine must reach for
this studio (the contract, applied), and what the revocation must reach downstream.
"""

from __future__ import annotations

from typing import Any

from clearreel.sample._cast import (
    BEFORE_REVOCATION,
    CHARACTERS,
    HOME_TERRITORY,
    REFERENCE_DATE,
    STABLE_FROM,
    STABLE_UNTIL,
    TDM_USES,
    TRAINING_CONSENTED,
    Scenario,
    scenarios,
)
from clearreel.sample._catalog import covered_until
from clearreel.sample._render import Film


def _present(sc: Scenario, characters: list[str], covered: bool = True) -> list[str]:
    """Performers present by the catalog's presence rule, for a stretch showing `characters`
    (`covered`: whether the catalog's shot list covers it)."""
    if sc.presence == "none" or not covered:  # unknown presence is not absence: every
        return sorted({CHARACTERS[c].performer for c in sc.cast})  # credited performer
    return sorted({CHARACTERS[c].performer for c in characters})


def truth_work(sc: Scenario, film: Film, cues: list[dict[str, Any]]) -> dict[str, Any]:
    shots = []
    until = covered_until(film) if sc.presence == "partial_scenes" else film.frames
    for s in film.shots:
        present = _present(sc, s.characters, covered=s.end < until)
        shots.append({
            "index": s.index, "kind": s.kind, "start_frame": s.start, "end_frame": s.end,
            "characters": s.characters,
            "performers": [CHARACTERS[c].performer for c in s.characters],
            "repeat_of": s.repeat_of,
            # Expected decision for ai_generative_training in the home territory on any date
            # of the stable window, with the performers the catalog makes present here.
            "cleared": sc.gen_training_licensed and set(present) <= TRAINING_CONSENTED,
        })
    return {
        "media": f"media/{sc.key}.mp4", "subtitles": f"media/{sc.key}.en.srt",
        "title": sc.title, "frames": film.frames, "width": film.width, "height": film.height,
        "fps": film.fps, "presence": sc.presence,
        **({"shot_list_covers_until_frame": covered_until(film)}
           if sc.presence == "partial_scenes" else {}),
        "cuts": film.cuts,
        "dissolves": [[d.first, d.last] for d in film.dissolves],
        "black_frames": [[s.start, s.end] for s in film.shots if s.kind == "black"],
        "text_frames": [[s.start, s.end] for s in film.shots if s.kind in ("title", "credits")],
        "near_duplicates": [[s.repeat_of, s.index] for s in film.shots if s.repeat_of is not None],
        "shots": shots,
        "cues": [{**c, "speaker": CHARACTERS[c["speaker"]].name.upper() if c["speaker"] else None}
                 for c in cues],
        # Variable frame rate: each frame's presentation time, and the end of the last frame
        # (a constant-rate film has frame t at t / fps).
        **({"vfr": True, "frame_times_s": [ms / 1000 for ms in film.pts_ms[:-1]],
            "end_s": film.pts_ms[-1] / 1000} if film.pts_ms is not None else {}),
    }


def _check(work: str, use: str, allowed: bool, why: str, *, territory: str = HOME_TERRITORY,
           on: str | None = None, performers: list[str] | None = None,
           licenses: tuple[str, ...] = (), consents: tuple[str, ...] = (),
           parties: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"work": work, "use": use, "territory": territory,
            "on": on or REFERENCE_DATE.isoformat(), "performers": performers,
            "allowed": allowed, "licenses": list(licenses), "consents": list(consents),
            "parties": list(parties), "why": why}


def expectations(work_ids: list[str]) -> dict[str, Any]:
    """What the clearance engine must answer for this studio (the contract, applied)."""
    before = BEFORE_REVOCATION.isoformat()
    checks: list[dict[str, Any]] = []
    if "w-harbor" in work_ids:
        for use in ("ai_training", "ai_generative_training"):
            checks.append(_check("w-harbor", use, False,
                                 "Dev Raman (Theo), present in the scenes, revoked his training "
                                 "consent on 2026-03-01", consents=("k-dev-training",),
                                 parties=("p-dev",)))
        for use in ("ai_inference", "data_mining"):
            checks.append(_check("w-harbor", use, True, "the studio's library licence",
                                 licenses=("l-northlight-library",)))
        checks.append(_check("w-harbor", "ai_generative_training", True,
                             "a stretch with only Mara and Jonah: both consented",
                             performers=["p-ava", "p-ben"], licenses=("l-northlight-library",),
                             consents=("k-ava-training", "k-ben-training")))
        checks.append(_check("w-harbor", "ai_generative_training", True,
                             "before the revocation Dev's consent was in force", on=before,
                             licenses=("l-northlight-library",),
                             consents=("k-ava-training", "k-ben-training", "k-dev-training")))
    if "w-tides" in work_ids:
        checks.append(_check("w-tides", "ai_generative_training", False,
                             "co-owner Harborline says notAllowed; the most restrictive licence "
                             "wins over the studio's allowance", licenses=("l-harborline-tides",),
                             parties=("p-harborline",)))
        for use in ("ai_training", "ai_inference", "data_mining"):
            checks.append(_check("w-tides", use, True,
                                 "both licences allow it; Mara and Jonah (speaker labels) "
                                 "consented to training",
                                 licenses=("l-northlight-library", "l-harborline-tides")))
    if "w-northwind" in work_ids:
        for use in ("ai_training", "ai_generative_training"):
            checks.append(_check("w-northwind", use, False,
                                 "the worldwide licence expired on 2025-12-31 and its renewal "
                                 "covers GB, IE, CA only; Atlas's licence does not count (Atlas "
                                 "holds no rights)",
                                 licenses=("l-meridian-2019", "l-meridian-2026")))
            checks.append(_check("w-northwind", use, False,
                                 "licensed in GB, but every credited performer counts as present "
                                 "(no scenes, no labels): Cleo refused, Eli never answered",
                                 territory="GB", consents=("k-cleo-training",),
                                 parties=("p-cleo", "p-eli")))
        for use in ("ai_inference", "data_mining"):
            checks.append(_check("w-northwind", use, True, "worldwide except CN",
                                 licenses=("l-meridian-inference",)))
        checks.append(_check("w-northwind", "ai_inference", False, "CN is excluded",
                             territory="CN", licenses=("l-meridian-inference",)))
        checks.append(_check("w-northwind", "ai_generative_training", False,
                             "in 2025 the old licence was in force, but the performers' consents "
                             "were not", on=before, consents=("k-cleo-training",),
                             parties=("p-cleo", "p-eli")))
    for w in work_ids:
        if w.startswith("w-short-") or w == "w-bbb":
            lic = "l-bbb-cc-by" if w == "w-bbb" else "l-northlight-library"
            for use in TDM_USES:
                checks.append(_check(w, use, True, "licensed, and every performer consented"
                                     if w != "w-bbb" else "CC BY 3.0; no performers",
                                     licenses=(lic,)))
    gen: list[dict[str, Any]] = []

    def g(allowed: bool, why: str, *, performers: tuple[str, ...] = (),
          characters: tuple[str, ...] = (), purpose: str | None = None,
          licenses: tuple[str, ...] = (), consents: tuple[str, ...] = (),
          needs: tuple[str, ...] = ()) -> None:
        if all(n in work_ids for n in needs):
            gen.append({"performers": list(performers), "characters": list(characters),
                        "purpose": purpose, "territory": HOME_TERRITORY,
                        "on": REFERENCE_DATE.isoformat(), "allowed": allowed,
                        "licenses": list(licenses), "consents": list(consents), "why": why})

    cast = {CHARACTERS[c].performer for w in work_ids for sc in scenarios(50) if sc.work == w
            for c in sc.cast}
    if "p-ava" in cast:
        g(True, "Ava's replica consent covers previz", performers=("p-ava",), purpose="previz",
          consents=("k-ava-replica",))
        g(False, "Ava's replica consent covers previz only", performers=("p-ava",),
          purpose="final", consents=("k-ava-replica",))
        g(True, "Northlight owns Mara and allows character_generation; Ava consents for previz",
          characters=("c-mara",), purpose="previz", licenses=("l-northlight-library",),
          consents=("k-ava-replica",))
    if "p-ben" in cast:
        g(True, "Ben's replica consent has no limits", performers=("p-ben",), purpose="final",
          consents=("k-ben-replica",))
        g(False, "Harborline owns Jonah and says character_generation: constrained",
          characters=("c-jonah",), purpose="previz", licenses=("l-harborline-tides",),
          needs=("w-tides",))
    if "p-dev" in cast:
        g(False, "Dev has no digital_replica consent", performers=("p-dev",), purpose="previz")
    revocation = None
    if "p-ben" in cast:
        # The demo's last act: Ben withdraws his training consent after the model is trained.
        revocation = {
            "consent": "k-ben-training", "party": "p-ben", "when": "after training",
            "expect": {"dataset_verify": False, "uncleared_clips_have": "p-ben",
                       "model": "suspended", "generate_reason": "model.dataset_uncleared",
                       "rebuilt_dataset_verify": True, "rebuilt_without": "p-ben",
                       "old_model_after_rebuild": "suspended", "retrained_model": "active"},
            "why": "a revoked training consent reaches every dataset and model downstream "
                   "(ARCHITECTURE.md, 'Revocation reaches everything downstream')"}
    return {"reference_date": REFERENCE_DATE.isoformat(), "stable_from": STABLE_FROM.isoformat(),
            "stable_until": STABLE_UNTIL.isoformat(), "home_territory": HOME_TERRITORY,
            "training_consented": sorted(TRAINING_CONSENTED), "clearance": checks,
            "generation": gen, "revocation": revocation}
