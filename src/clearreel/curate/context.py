"""`WorkContext`: what the registry knows about a work, as plain picklable data.

The per-file analysis never touches the database (engines ship it to processes and Ray
workers); `work_context(session, work_id)` reads the registry once, in the caller, and the
analysis gets this frozen value. Times are in milliseconds so they do not depend on the
frame rate of any one media file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CharacterInfo:
    id: str
    name: str
    performer: str | None = None  # party id of who plays them
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SceneInfo:
    start_ms: int
    end_ms: int
    performers: tuple[str, ...] = ()
    characters: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class FaceReference:
    party: str  # party id (a performer)
    path: str  # a face photo


@dataclass(frozen=True)
class WorkContext:
    work: str
    title: str = ""
    scenes: tuple[SceneInfo, ...] = ()
    subtitles: tuple[str, ...] = ()  # local paths of SRT files
    characters: tuple[CharacterInfo, ...] = ()
    credited_performers: tuple[str, ...] = ()  # participations with role performer
    face_references: tuple[FaceReference, ...] = ()

    def character(self, cid: str) -> CharacterInfo | None:
        return next((c for c in self.characters if c.id == cid), None)


def _local(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri


def work_context(session: Any, work_id: str) -> WorkContext:
    """Read a work's scenes, subtitles, characters, credited performers and face references."""
    from sqlalchemy import select

    from clearreel.errors import NotFound
    from clearreel.rights.models import Character, Party, Work

    work = session.scalars(select(Work).where(Work.id == work_id)).first()
    if work is None:
        raise NotFound(f"unknown work {work_id!r} (see `clearreel catalog list`)")
    performers = sorted({p.party_id for p in work.participations if p.role == "performer"})
    played = {p.character_id for p in work.participations if p.character_id}
    scene_chars = {c for s in work.scenes for c in (s.characters or [])}
    wanted = played | scene_chars
    chars = []
    if wanted:
        for c in session.scalars(select(Character).where(Character.id.in_(sorted(wanted)))):
            chars.append(CharacterInfo(c.id, c.name, c.performer_id, tuple(c.aliases or ())))
    # A participation's character names who plays it in this work, when the character's own
    # record names nobody.
    by_char = {
        p.character_id: p.party_id
        for p in work.participations
        if p.character_id and p.role == "performer"
    }
    chars = [
        c if c.performer else CharacterInfo(c.id, c.name, by_char.get(c.id), c.aliases)
        for c in sorted(chars, key=lambda c: c.id)
    ]
    refs: list[FaceReference] = []
    if performers:
        for party in session.scalars(
            select(Party).where(Party.id.in_(performers)).order_by(Party.id)
        ):
            for r in party.references or []:
                if r.get("kind", "face") == "face" and r.get("path"):
                    refs.append(FaceReference(party.id, _local(str(r["path"]))))
    scenes = tuple(
        SceneInfo(
            int(s.start_ms),
            int(s.end_ms),
            tuple(s.performers or ()),
            tuple(s.characters or ()),
            s.notes,
        )
        for s in sorted(work.scenes, key=lambda s: (s.start_ms, s.end_ms))
    )
    return WorkContext(
        work=work.id,
        title=work.title,
        scenes=scenes,
        subtitles=tuple(_local(u) for u in (work.subtitles or [])),
        characters=tuple(chars),
        credited_performers=tuple(performers),
        face_references=tuple(refs),
    )
