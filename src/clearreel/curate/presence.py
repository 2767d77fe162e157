"""Who is on screen in a frame range, and how we know (the contract's presence rule).

Sources, any one enough to count a performer as present (ARCHITECTURE.md, clearance rule 3):

- `scenes`: a scene of the work overlapping the range lists the performer, or a character
  they play;
- `speaker_labels`: a subtitle cue overlapping the range is labelled with a character's name
  (`MARA: ...`), so that character's performer is present while the line is on screen;
- `faces`: a still inside the range shows a face within the distance threshold of one of
  the performer's reference photos;
- `credits`: a work with no scenes and no speaker labels counts every credited performer as
  present throughout, since unknown presence is not absence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clearreel.curate.context import CharacterInfo, WorkContext
from clearreel.media.subtitles import Cue


@dataclass(frozen=True)
class Presence:
    performers: list[str]
    characters: list[str]
    # performer or character id -> the sources that place them in the range
    evidence: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # the sources this work offers / used


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def label_index(characters: tuple[CharacterInfo, ...]) -> dict[str, CharacterInfo]:
    """Normalised speaker label -> character: full name, first name, aliases and the id."""
    idx: dict[str, CharacterInfo] = {}
    for c in characters:
        for key in (c.name, c.name.split()[0] if c.name.split() else c.name, c.id, *c.aliases):
            k = _norm(key)
            if k:
                idx.setdefault(k, c)
    return idx


def has_speaker_labels(cues: list[Cue], characters: tuple[CharacterInfo, ...]) -> bool:
    idx = label_index(characters)
    return any(c.speaker and _norm(c.speaker) in idx for c in cues)


def presence(
    work: WorkContext,
    start_ms: float,
    end_ms: float,
    cues: list[Cue] | None = None,
    faces: dict[str, float] | None = None,
) -> Presence:
    """Who is present in [start_ms, end_ms) of the work.

    `cues`: the work's subtitles; `faces`: parties recognised in the range's stills
    ({party: largest face height share}, from `clearreel.curate.faces.recognise`).
    """
    cues = cues or []
    evidence: dict[str, set[str]] = {}

    def add(who: str, source: str) -> None:
        evidence.setdefault(who, set()).add(source)

    chars = {c.id: c for c in work.characters}
    performers: set[str] = set()
    characters: set[str] = set()
    for s in work.scenes:
        if s.start_ms < end_ms and start_ms < s.end_ms:
            for p in s.performers:
                performers.add(p)
                add(p, "scenes")
            for cid in s.characters:
                characters.add(cid)
                add(cid, "scenes")
                c = chars.get(cid)
                if c and c.performer:
                    performers.add(c.performer)
                    add(c.performer, "scenes")
    idx = label_index(work.characters)
    labelled = False
    for cue in cues:
        if not cue.speaker:
            continue
        c = idx.get(_norm(cue.speaker))
        if c is None:
            continue
        labelled = True
        if cue.overlaps(start_ms, end_ms):
            characters.add(c.id)
            add(c.id, "speaker_labels")
            if c.performer:
                performers.add(c.performer)
                add(c.performer, "speaker_labels")
    for party in faces or {}:
        performers.add(party)
        add(party, "faces")
        for c in work.characters:
            if c.performer == party and sum(x.performer == party for x in work.characters) == 1:
                characters.add(c.id)
                add(c.id, "faces")
    sources = []
    if work.scenes:
        sources.append("scenes")
    if labelled:
        sources.append("speaker_labels")
    if work.face_references:
        sources.append("faces")
    if not work.scenes and not labelled:
        # The contract's rule for a work with no information: every credited performer.
        for p in work.credited_performers:
            performers.add(p)
            add(p, "credits")
        sources.append("credits")
    return Presence(
        performers=sorted(performers),
        characters=sorted(characters),
        evidence={k: sorted(v) for k, v in sorted(evidence.items())},
        sources=sources,
    )
