"""The sample studio's films as plans: the shots of each film (who is on screen, where, in
which pattern), its dissolves, and the subtitle cues spoken over them.

Deterministic for a seed: every random choice comes from a numpy generator seeded with
`(seed, film, shot, purpose)` (`_rng`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearreel.sample._cast import (
    CHARACTERS,
    PARTIES,
    Scenario,
)
from clearreel.sample._render import DISSOLVE_FRAMES, Dissolve, Figure, Film, Shot

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
    return Film(sc.work, sc.title, width, height, fps, shots, dissolves,
                pts_ms=_vfr_times(seed, film_index, fps, shots[-1].end + 1) if sc.vfr else None)


def _vfr_times(seed: int, film_index: int, fps: int, frames: int) -> tuple[int, ...]:
    """Irregular presentation times (ms) of `frames` frames, and the end of the last: runs of
    3 to 12 frames shown for half, once or one and a half times the nominal duration (as a
    screen recording or a phone's camera writes them), about `fps` frames a second overall."""
    rng = _rng(seed, film_index, 0, 9)
    nominal = 1000.0 / fps
    times, t = [], 0.0
    while len(times) < frames:
        factor = float(rng.choice([0.5, 1.0, 1.5]))
        for _ in range(int(rng.integers(3, 13))):
            if len(times) < frames:
                times.append(round(t))
                t += nominal * factor
    return (*times, round(t))


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
        a, b = ((film.ms(first), film.ms(last + 1)) if film.vfr
                else (first * 1000 // film.fps, (last + 1) * 1000 // film.fps))
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
