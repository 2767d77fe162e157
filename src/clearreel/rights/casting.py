"""The casting rule: who plays a character. In a work, the parties whose participation names
the character, otherwise the character's own `performer`; in the registry at large (the prompt
guard), everyone who plays it anywhere plus that performer. Presence (`rights.presence`) and
the clearance engine apply it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def cast(character: str, participations: Iterable[tuple[str, str | None]],
         default: str | None) -> tuple[str, ...]:
    """Who plays `character` in a work: the parties whose participation in the work names it
    (`participations`: (party, character) pairs), otherwise `default` (the character's own
    `performer`), otherwise nobody."""
    named = tuple(dict.fromkeys(p for p, c in participations if c == character))
    if named:
        return named
    return (default,) if default else ()


def casting(session: Any, character: str, work: str | None = None) -> list[str]:
    """The casting rule on the registry. With `work`, who plays the character in that work;
    without, everyone who plays it anywhere plus the character's `performer` (the prompt
    guard: a prompt naming a character may depict any of them)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from clearreel.rights.models import Character, Work

    c = session.scalars(select(Character).where(Character.id == character)).first()
    default = c.performer_id if c is not None else None
    q = select(Work).options(selectinload(Work.participations))
    if work is not None:
        w = session.scalars(q.where(Work.id == work)).first()
        pairs = [(p.party_id, p.character_id) for p in (w.participations if w else [])]
        return list(cast(character, pairs, default))
    everyone = [p.party_id for w in session.scalars(q) for p in w.participations
                if p.character_id == character]
    return list(dict.fromkeys([*everyone, *([default] if default else [])]))


__all__ = ["cast", "casting"]
