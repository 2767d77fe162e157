"""The presence rule (ARCHITECTURE.md, "Presence (contract)"): who is present, when.

One rule, one implementation: the clearance engine (`rights check` without `--performer`),
curation (per clip), `dataset verify` (re-derived from today's registry) and the prompt guard
(casting) all call this module. Nothing else parses a speaker label or resolves a character.

- A work's `scenes` say who is on screen for the time they cover (`performers: []`: nobody).
  A scene applies to the work's first media file unless it names another (`media:`).
- Time that no scene covers counts every credited performer (participation role
  `performer`) as present: unknown presence is not absence, subtitles or not.
- Speaker labels (`clearreel.rights.names`) and recognised faces ADD performers; nothing
  ever removes one. A label names a character (its performer in this work is present) or a
  person party (present). A face or voice names a party (present) and, when the party plays
  exactly one character in the work, that character, but not the character's other performers.
- Casting: the performer of a character in a work is the party whose participation in that
  work names the character; otherwise the character's `performer`.
- Recognition: any party with face references is a candidate, credited or not.
- Time: a span is [start, end) in seconds of presentation time. Frame ranges are mapped with
  the caller's per-frame presentation timestamps (`frame_times`), never index / average rate.

Everything a worker needs is in `WorkFacts`, plain picklable data built once per work by
`work_facts(session, work_id)` (it reads the subtitle files and resolves their labels).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from clearreel.rights.casting import cast, casting
from clearreel.rights.names import NameIndex, build_index
from clearreel.rights.subtitle_lines import (
    Line,
    Lines,
    SubtitleEntry,
    file_lines,
    read_cues,
    resolve_lines,
    subtitle_entries,
)
from clearreel.util.uri import file_path

UNBOUNDED = math.inf
# Presence sources, as recorded in a clip's evidence.
SCENES, LABELS, FACES, UNCOVERED = "scenes", "speaker_labels", "faces", "uncovered"
VOICES = "voices"  # heard: speaker verification against voice references


@dataclass(frozen=True, slots=True)
class SceneFact:
    start_s: float
    end_s: float
    performers: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    media: str | None = None  # the media URI it applies to (resolved: never "the default")
    notes: str | None = None


@dataclass(frozen=True)
class WorkFacts:
    """What the registry says about one work's presence, as plain data."""

    work: str
    title: str = ""
    media: tuple[str, ...] = ()  # media URIs, in catalog order (the first is the default)
    credited: tuple[str, ...] = ()  # participations with role performer
    # character id -> who plays it in this work (the casting rule, already applied)
    cast: tuple[tuple[str, tuple[str, ...]], ...] = ()
    character_names: tuple[tuple[str, str], ...] = ()
    scenes: tuple[SceneFact, ...] = ()
    lines: Lines = field(default_factory=Lines)
    # every party with face references, credited or not: (party id, photo path)
    references: tuple[tuple[str, str], ...] = ()
    durations: tuple[tuple[str, float | None], ...] = ()  # media URI -> seconds, when known
    # every party with voice references, credited or not: (party id, sample path)
    voice_references: tuple[tuple[str, str], ...] = ()

    @cached_property
    def _cast(self) -> dict[str, tuple[str, ...]]:
        return dict(self.cast)

    def labelled_in(self, media: str | None, start_s: float,
                    end_s: float) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        return self.lines.labelled_in(media, start_s, end_s)

    def performers_of(self, character: str) -> tuple[str, ...]:
        return self._cast.get(character, ())

    def character_name(self, character: str) -> str:
        return dict(self.character_names).get(character, character)

    def duration(self, media: str | None) -> float | None:
        return dict(self.durations).get(media) if media is not None else None

    @property
    def sources(self) -> list[str]:
        """The presence sources this work offers (for reports)."""
        out = [SCENES] if self.scenes else []
        if any(self.lines.named()):
            out.append(LABELS)
        if self.references:
            out.append(FACES)
        if self.voice_references:
            out.append(VOICES)
        return out


@dataclass(frozen=True)
class Presence:
    performers: tuple[str, ...]
    characters: tuple[str, ...]
    # performer or character id -> the sources that place them in the span
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uncovered: bool = False  # part of the span is covered by no scene

    def to_json(self) -> dict[str, Any]:
        return {"performers": list(self.performers), "characters": list(self.characters),
                "evidence": {k: list(v) for k, v in self.evidence.items()},
                "uncovered": self.uncovered}


# --------------------------------------------------------------------------- the rule


def _overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    if a1 <= a0:  # a point in time
        return b0 <= a0 < b1
    return b0 < a1 and a0 < b1


def _uncovered(scenes: list[SceneFact], start: float, end: float) -> bool:
    """Whether some of [start, end) is covered by none of `scenes`."""
    if end <= start:
        return not any(s.start_s <= start < s.end_s for s in scenes)
    t = start
    for s in sorted(scenes, key=lambda s: s.start_s):
        if s.end_s <= t:
            continue
        if s.start_s > t:
            return True
        t = s.end_s
        if t >= end:
            return False
    return t < end


def present(facts: WorkFacts, media: str | None = None, start_s: float = 0.0,
            end_s: float = UNBOUNDED, faces: Iterable[str] = (),
            voices: Iterable[str] = ()) -> Presence:
    """Who is present in [start_s, end_s) of one media file of the work (default: its first).

    `faces`: parties recognised in the span (any party with references); `voices`: parties
    heard in it (speaker verification against voice references). Both count the same way."""
    if media is None and facts.media:
        media = facts.media[0]
    evidence: dict[str, set[str]] = {}

    def add(who: str, source: str) -> None:
        evidence.setdefault(who, set()).add(source)

    characters: set[str] = set()
    performers: set[str] = set()

    def add_character(cid: str, source: str) -> None:
        if source in evidence.get(cid, ()):
            return  # already placed by this source (its performers too)
        characters.add(cid)
        add(cid, source)
        for p in facts.performers_of(cid):
            performers.add(p)
            add(p, source)

    mine = [s for s in facts.scenes if s.media == media]
    for s in mine:
        if _overlaps(start_s, end_s, s.start_s, s.end_s):
            for p in s.performers:
                performers.add(p)
                add(p, SCENES)
            for cid in s.characters:
                add_character(cid, SCENES)
    gap = _uncovered(mine, start_s, end_s)
    if gap:
        for p in facts.credited:
            performers.add(p)
            add(p, UNCOVERED)
    for chars, parties in facts.labelled_in(media, start_s, end_s):
        for cid in chars:
            add_character(cid, LABELS)
        for p in parties:
            performers.add(p)
            add(p, LABELS)
    plays = {c: facts.performers_of(c) for c, _ in facts.cast}
    for source, recognised in ((FACES, faces), (VOICES, voices)):
        for party in recognised:
            performers.add(party)
            add(party, source)
            theirs = [c for c, ps in plays.items() if party in ps]
            if len(theirs) == 1:  # a face or voice says who, not which role: only when unique
                # The role is there, but not its other performers: Ava's face as Mara does
                # not put Ben, who also plays Mara in this work, on screen.
                characters.add(theirs[0])
                add(theirs[0], source)
    return Presence(performers=tuple(sorted(performers)), characters=tuple(sorted(characters)),
                    evidence={k: tuple(sorted(v)) for k, v in sorted(evidence.items())},
                    uncovered=gap)


def heard_in(start_s: float, end_s: float, a: float, b: float) -> bool:
    """A speech window [a, b) is heard in the span [start_s, end_s) when at least half of it
    lies inside the span, or it covers the whole span (a window reaching a little over a cut
    is not heard in the next shot)."""
    inside = min(end_s, b) - max(start_s, a)
    return inside > 0 and (inside >= 0.5 * (b - a) or inside >= end_s - start_s)


def span_of_frames(frame_times: Sequence[float], start_frame: int, end_frame: int,
                   end_time: float | None = None) -> tuple[float, float]:
    """[start, end) in seconds of frames start..end (inclusive, decoded presentation order).

    A frame is on screen from its presentation timestamp to the next frame's; the last
    frame's end is `end_time` when given (the stream's end), else its timestamp plus the
    previous frame's duration."""
    if not 0 <= start_frame <= end_frame < len(frame_times):
        raise ValueError(f"frames {start_frame}..{end_frame} are outside the "
                         f"{len(frame_times)} frame times given")
    start = float(frame_times[start_frame])
    if end_frame + 1 < len(frame_times):
        return start, float(frame_times[end_frame + 1])
    last = float(frame_times[end_frame])
    if end_time is not None and end_time > last:
        return start, float(end_time)
    step = last - float(frame_times[end_frame - 1]) if end_frame > 0 else 0.0
    return start, last + max(step, 1e-3)


def present_in_frames(facts: WorkFacts, media: str | None, frame_times: Sequence[float],
                      start_frame: int, end_frame: int,
                      faces: Mapping[int, Iterable[str]] | None = None,
                      end_time: float | None = None,
                      voices: Iterable[tuple[float, float, str]] = ()) -> Presence:
    """Who is present in frames start..end (inclusive) of `media`, `frame_times` giving each
    decoded frame's presentation timestamp in seconds; `faces`: frame index -> parties
    recognised in that frame; `voices`: (start s, end s, party) of each speech segment a party
    was heard in (counted when it overlaps the frames' span)."""
    s, e = span_of_frames(frame_times, start_frame, end_frame, end_time)
    seen: list[str] = []
    for i, parties in (faces or {}).items():
        if start_frame <= i <= end_frame:
            seen += list(parties)
    heard = [p for a, b, p in voices if heard_in(s, e, a, b)]
    return present(facts, media, s, e, dict.fromkeys(seen), dict.fromkeys(heard))


def work_presence(facts: WorkFacts) -> Presence:
    """Who is present anywhere in the work: every media file over its whole duration (an
    unknown duration is unbounded, so time after the last scene counts as uncovered)."""
    spans = [(m, facts.duration(m)) for m in facts.media] or [(None, None)]
    parts = [present(facts, m, 0.0, d if d else UNBOUNDED) for m, d in spans]
    return merge(parts)


def merge(parts: Iterable[Presence]) -> Presence:
    performers: set[str] = set()
    characters: set[str] = set()
    evidence: dict[str, set[str]] = {}
    uncovered = False
    for p in parts:
        performers |= set(p.performers)
        characters |= set(p.characters)
        uncovered |= p.uncovered
        for k, v in p.evidence.items():
            evidence.setdefault(k, set()).update(v)
    return Presence(tuple(sorted(performers)), tuple(sorted(characters)),
                    {k: tuple(sorted(v)) for k, v in sorted(evidence.items())}, uncovered)


# --------------------------------------------------------------------------- the registry


def name_index(session: Any) -> NameIndex:
    """Every character and person party of the organization, with their aliases."""
    from sqlalchemy import select

    from clearreel.rights.models import Character, Party

    chars = [(c.id, c.name, c.aliases or ()) for c in session.scalars(select(Character))]
    persons = [(p.id, p.name, getattr(p, "aliases", None) or ())
               for p in session.scalars(select(Party).where(Party.kind == "person"))]
    return build_index(chars, persons)


def face_references(session: Any) -> tuple[tuple[str, str], ...]:
    """(party, photo path) of every party with face references, credited anywhere or not."""
    from sqlalchemy import select

    from clearreel.rights.models import Party

    out: list[tuple[str, str]] = []
    for party in session.scalars(select(Party).order_by(Party.id)):
        for r in party.references or []:
            if r.get("kind", "face") == "face" and r.get("path"):
                p = file_path(str(r["path"]))
                out.append((party.id, str(p) if p is not None else str(r["path"])))
    return tuple(out)


def voice_references(session: Any) -> tuple[tuple[str, str], ...]:
    """(party, sample path) of every party with voice references, credited anywhere or not."""
    from sqlalchemy import select

    from clearreel.rights.models import Party

    out: list[tuple[str, str]] = []
    for party in session.scalars(select(Party).order_by(Party.id)):
        for r in party.references or []:
            if r.get("kind") == "voice" and r.get("path"):
                p = file_path(str(r["path"]))
                out.append((party.id, str(p) if p is not None else str(r["path"])))
    return tuple(out)


def facts_from_rows(work: Any, characters: Mapping[str, Any], index: NameIndex,
                    references: tuple[tuple[str, str], ...] = (),
                    cues: Mapping[SubtitleEntry, list[Any]] | None = None,
                    voice_refs: tuple[tuple[str, str], ...] = ()) -> WorkFacts:
    """`WorkFacts` from ORM rows: the `Work` (participations, scenes, media loaded), every
    character by id, and the name index. `cues` may hold subtitle files already read."""
    media = tuple(m.uri for m in work.media)
    first = media[0] if media else None
    pairs = [(p.party_id, p.character_id) for p in work.participations]
    credited = tuple(dict.fromkeys(p.party_id for p in work.participations
                                   if p.role == "performer"))
    scenes = tuple(SceneFact(sc.start_ms / 1000.0, sc.end_ms / 1000.0, tuple(sc.performers or ()),
                             tuple(sc.characters or ()), getattr(sc, "media", None) or first,
                             sc.notes)
                   for sc in sorted(work.scenes, key=lambda sc: (sc.start_ms, sc.end_ms)))
    local = {("character", c) for _, c in pairs if c}
    local |= {("character", c) for s in scenes for c in s.characters}
    local |= {("party", p) for p, _ in pairs} | {("party", p) for s in scenes for p in s.performers}
    local |= {("character", c.id) for c in characters.values()
              if c.performer_id and ("party", c.performer_id) in local}
    parts: list[Lines] = []
    for entry in subtitle_entries(work.subtitles):
        got = cues.get(entry) if cues is not None else None
        if got is None:
            parts.append(file_lines(entry, index, entry.media or first, local))
        else:
            parts.append(resolve_lines(got, index, entry.media or first, local))
    lines = Lines.join(parts)
    wanted = {c for _, c in pairs if c} | {c for s in scenes for c in s.characters}
    wanted |= lines.named()[0]
    cast_ = tuple((c, cast(c, pairs, getattr(characters.get(c), "performer_id", None)))
                  for c in sorted(wanted))
    names = tuple((c, characters[c].name) for c in sorted(wanted) if c in characters)
    durations = tuple((m.uri, (m.probe or {}).get("duration_s")) for m in work.media)
    return WorkFacts(work=work.id, title=work.title, media=media, credited=credited, cast=cast_,
                     character_names=names, scenes=scenes, lines=lines,
                     references=references, durations=durations,
                     voice_references=voice_refs)


def work_facts(session: Any, work_id: str, *, references: bool = True) -> WorkFacts:
    """Read one work's presence facts from the registry (and its subtitle files)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from clearreel.errors import NotFound
    from clearreel.rights.models import Character, Work

    w = session.scalars(select(Work).where(Work.id == work_id).options(
        selectinload(Work.participations), selectinload(Work.scenes),
        selectinload(Work.media))).first()
    if w is None:
        raise NotFound(f"unknown work {work_id!r}: see `clearreel catalog list`")
    chars = {c.id: c for c in session.scalars(select(Character))}
    return facts_from_rows(w, chars, name_index(session),
                           face_references(session) if references else (),
                           voice_refs=voice_references(session) if references else ())


__all__ = [
    "FACES",
    "LABELS",
    "SCENES",
    "UNCOVERED",
    "VOICES",
    "Line",
    "Lines",
    "Presence",
    "SceneFact",
    "SubtitleEntry",
    "WorkFacts",
    "cast",
    "casting",
    "face_references",
    "facts_from_rows",
    "heard_in",
    "merge",
    "name_index",
    "present",
    "present_in_frames",
    "read_cues",
    "resolve_lines",
    "span_of_frames",
    "subtitle_entries",
    "voice_references",
    "work_facts",
    "work_presence",
]
