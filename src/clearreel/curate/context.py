"""`WorkContext`: what the registry knows about a work, as plain picklable data.

The per-file analysis never touches the database (engines ship it to processes and Ray
workers); `work_context(session, work_id)` reads the registry once, in the caller, and the
analysis gets this frozen value. Its `facts` are the presence rule's own input
(`clearreel.rights.presence.WorkFacts`): who is present in a clip is decided there, never
here. A context built by hand (tests) derives its facts from its fields through the same
module, so there is no second reading of scenes or labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from clearreel.rights.presence import SceneFact, WorkFacts


@dataclass(frozen=True)
class CharacterInfo:
    id: str
    name: str
    performer: str | None = None  # party id of who plays them in this work
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SceneInfo:
    start_ms: int
    end_ms: int
    performers: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    notes: str | None = None
    media: str | None = None  # None: the work's first media file


@dataclass(frozen=True)
class FaceReference:
    party: str  # party id (any party with references, credited or not)
    path: str  # a face photo
    # its 128-d descriptor as stored at catalog import (rights.likeness); () computes it
    descriptor: tuple[float, ...] = ()


@dataclass(frozen=True)
class VoiceReference:
    party: str  # party id (any party with voice references, credited or not)
    path: str  # a voice sample
    embedding: tuple[float, ...]  # its 256-d resemblyzer embedding, stored at catalog import


@dataclass(frozen=True)
class WorkContext:
    work: str
    title: str = ""
    scenes: tuple[SceneInfo, ...] = ()
    subtitles: tuple[str, ...] = ()  # local paths of SRT / WebVTT files
    characters: tuple[CharacterInfo, ...] = ()
    credited_performers: tuple[str, ...] = ()  # participations with role performer
    face_references: tuple[FaceReference, ...] = ()
    media: tuple[str, ...] = ()  # the work's media URIs (the first is the scenes' default)
    given_facts: WorkFacts | None = field(default=None, repr=False)
    voice_references: tuple[VoiceReference, ...] = ()
    unusable_voice_references: tuple[str, ...] = ()  # listed samples that cannot be used

    def character(self, cid: str) -> CharacterInfo | None:
        return next((c for c in self.characters if c.id == cid), None)

    @cached_property
    def facts(self) -> WorkFacts:
        """The presence rule's input (from the registry, or derived from these fields)."""
        if self.given_facts is not None:
            return self.given_facts
        from clearreel.rights.names import build_index
        from clearreel.rights.presence import Lines, SubtitleEntry, read_cues, resolve_lines

        index = build_index([(c.id, c.name, c.aliases) for c in self.characters], [])
        first = self.media[0] if self.media else None
        lines = Lines.join(resolve_lines(read_cues(SubtitleEntry(path)), index, first)
                           for path in self.subtitles)
        return WorkFacts(
            work=self.work,
            title=self.title,
            media=self.media,
            credited=self.credited_performers,
            cast=tuple((c.id, (c.performer,) if c.performer else ()) for c in self.characters),
            character_names=tuple((c.id, c.name) for c in self.characters),
            scenes=tuple(
                SceneFact(
                    s.start_ms / 1000.0,
                    s.end_ms / 1000.0,
                    s.performers,
                    s.characters,
                    s.media or first,
                    s.notes,
                )
                for s in self.scenes
            ),
            lines=lines,
            references=tuple((r.party, r.path) for r in self.face_references),
            voice_references=tuple((r.party, r.path) for r in self.voice_references),
        )


def work_context(session: Any, work_id: str) -> WorkContext:
    """Read a work's presence facts (scenes, subtitles with labels resolved, casting, every
    party's face references) from the registry, for the per-file analysis."""
    from sqlalchemy import select

    from clearreel.rights.models import Work
    from clearreel.rights.presence import subtitle_entries, work_facts

    f = work_facts(session, work_id)
    stored = session.scalars(select(Work.subtitles).where(Work.id == work_id)).first()
    chars = tuple(
        CharacterInfo(cid, f.character_name(cid), (f.performers_of(cid) or (None,))[0])
        for cid, _ in f.cast
    )
    return WorkContext(
        work=f.work,
        title=f.title,
        scenes=tuple(
            SceneInfo(
                round(s.start_s * 1000),
                round(s.end_s * 1000),
                s.performers,
                s.characters,
                s.notes,
                s.media,
            )
            for s in f.scenes
        ),
        subtitles=tuple(_local(e.path) for e in subtitle_entries(stored or [])),
        characters=chars,
        credited_performers=f.credited,
        face_references=_face_references(session, f.references),
        media=f.media,
        given_facts=f,
        **_voice_references(session, bool(f.voice_references)),
    )


def _voice_references(session: Any, any_listed: bool) -> dict[str, Any]:
    """Every voice reference with the embedding stored at catalog import (embedded now when
    an older registry has none), and the samples that cannot be used."""
    if not any_listed:
        return {}
    from clearreel.rights.likeness import usable_voice_references

    refs, problems = usable_voice_references(session)
    return {"voice_references": tuple(VoiceReference(r.party, r.path,
                                                     tuple(float(x) for x in r.embedding))
                                      for r in refs),
            "unusable_voice_references": tuple(problems)}


def _face_references(session: Any, listed: tuple[tuple[str, str], ...]) -> tuple[
        FaceReference, ...]:
    """Every listed (party, photo) with the descriptor stored at import (embedded now when an
    older registry has none); a photo that cannot be embedded is passed on by path."""
    if not listed:
        return ()
    from clearreel.errors import MissingDependency

    try:
        from clearreel.rights.likeness import face_references

        stored = {(r.party, r.path): r.descriptor for r in face_references(session)}
    except MissingDependency:  # no dlib: analysis says the references are ignored
        stored = {}
    return tuple(FaceReference(p, path, tuple(float(x) for x in stored[(p, path)])
                               if (p, path) in stored else ()) for p, path in listed)


def _local(uri: str) -> str:
    from clearreel.util.uri import file_path

    path = file_path(uri)
    return uri if path is None else str(path)
