"""The sample studio's catalog.yaml: the works with their scene notes (a full or a partial
shot list, by scenario), parties, characters, licences and consents, written with a note per
entry and fixed key order, so that the same seed gives a byte-identical file.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from clearreel.sample._cast import (
    BBB_PARTY,
    CHARACTERS,
    ORG,
    PARTIES,
    STABLE_FROM,
    STABLE_UNTIL,
    Scenario,
    consents,
    licenses,
)
from clearreel.sample._render import Film

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _timecode(film: Film, frame: int) -> str:
    """The presentation time of a frame (of the frame after the last: the film's end)."""
    ms = film.ms(frame)
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
        out.append({"start": _timecode(film, first), "end": _timecode(film, last + 1),
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
    out = [sc for sc in scenes(film)
           if _ms(sc["end"]) <= film.ms(min(until + 1, film.frames))]
    out += [{"start": _timecode(film, sh.start), "end": _timecode(film, sh.end + 1),
             "performers": [], "characters": []}
            for sh in film.shots if sh.end < until and not sh.characters
            and not any(d.first <= sh.end and sh.start <= d.last for d in film.dissolves)]
    return sorted(out, key=lambda x: x["start"])


def _ms(timecode: str) -> int:
    h, m, s = timecode.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


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
