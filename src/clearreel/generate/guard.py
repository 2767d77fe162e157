"""The prompt guard: before any frame is made, may this prompt be generated?

It finds who and what the prompt depicts, then asks the clearance engine (contract rule 4):

- a performer named in the prompt (a person party of the registry), or a character they play
  (by name or alias: a character implies its performer), needs a `digital_replica` consent in
  force whose scope covers the request's project and purpose;
- a character needs `character_generation` allowed by a licence from its owner;
- a name or franchise on the studio's deny list (third parties: the studio holds no rights)
  is refused outright.

Matching is case- and accent-insensitive and respects word boundaries, so "Mara" matches
"MARA walks" and "Mára" but not "Marathon". Every request is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.rights.clearance import Decision, Reason, check_generation
from clearreel.rights.models import Character, Party, Setting

DENYLIST_FILE = "denylist.txt"  # in $CLEARREEL_HOME: one name per line, '#' comments


def normalize(text: str) -> str:
    """Case-folded, accents removed, punctuation other than word characters as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", stripped.casefold()).split())


def _pattern(name: str) -> re.Pattern[str] | None:
    norm = normalize(name)
    if not norm:
        return None
    # Word boundaries on both ends; any run of spaces/punctuation between tokens.
    body = r"\s+".join(re.escape(tok) for tok in norm.split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


def mentions(prompt: str, name: str) -> bool:
    pat = _pattern(name)
    return bool(pat and pat.search(normalize(prompt)))


@functools.cache
def default_denylist() -> tuple[str, ...]:
    text = resources.files("clearreel.generate").joinpath("denylist.yaml").read_text()
    data = yaml.safe_load(text)
    return tuple(n for group in data.values() for n in group)


def load_denylist(session: Session, home: Path | None = None) -> list[str]:
    """Default list + the studio's additions (registry setting, workspace file) − its allowances."""
    names = list(default_denylist())
    settings = {s.key: s.value for s in session.scalars(
        select(Setting).where(Setting.key.in_(["generate.denylist", "generate.denylist_allow"])))}
    names += list(settings.get("generate.denylist") or [])
    if home is not None and (home / DENYLIST_FILE).exists():
        for line in (home / DENYLIST_FILE).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    allowed = {normalize(n) for n in settings.get("generate.denylist_allow") or []}
    seen: dict[str, str] = {}
    for n in names:
        if normalize(n) not in allowed:
            seen.setdefault(normalize(n), n)
    return list(seen.values())


def find_depicted(session: Session, prompt: str) -> tuple[list[str], list[str]]:
    """(performer party ids, character ids) named in the prompt."""
    text = normalize(prompt)
    performers = [p.id for p in session.scalars(select(Party).where(Party.kind == "person")
                                                .order_by(Party.id))
                  if (pat := _pattern(p.name)) and pat.search(text)]
    characters = []
    for c in session.scalars(select(Character).order_by(Character.id)):
        if any((pat := _pattern(n)) and pat.search(text) for n in [c.name, *(c.aliases or [])]):
            characters.append(c.id)
    return performers, characters


def _denied(prompt: str, names: Iterable[str]) -> list[str]:
    text = normalize(prompt)
    return [n for n in names if (pat := _pattern(n)) and pat.search(text)]


def check_prompt(session: Session, prompt: str, project: str | None = None,
                 purpose: str | None = None, on: dt.date | None = None,
                 territory: str | None = None, *, denylist: Sequence[str] | None = None,
                 home: Path | None = None, characters: Sequence[str] = (),
                 audit: bool = True) -> Decision:
    """Decide whether `prompt` may be generated; the decision is audited as `generate.guard`.

    `denylist` replaces the studio's list (default list + settings + `home`/denylist.txt).
    `characters` are depicted whatever the prompt says: a character adapter's model depicts
    its character in every output (so does its trigger word).
    """
    if not prompt.strip():
        from clearreel.errors import UsageError

        raise UsageError("the prompt is empty: describe the shot to generate")
    names = list(denylist) if denylist is not None else load_denylist(session, home)
    hits = _denied(prompt, names)
    performers, found = find_depicted(session, prompt)
    characters = list(dict.fromkeys([*characters, *found]))
    decision = check_generation(session, performers=performers, characters=characters,
                                project=project, purpose=purpose, on=on, territory=territory,
                                audit=False)
    reasons = [Reason("prompt.denylist", detail=(
        f"{n!r} is a third-party name or franchise on the studio's deny list: the studio holds "
        "no rights to depict it")) for n in hits] + list(decision.reasons)
    allowed = decision.allowed and not hits
    result = Decision(allowed, reasons, {**decision.question, "prompt": prompt,
                                         "denylisted": hits, "characters": characters})
    if audit:
        from clearreel.rights import audit as audit_log

        subject = ",".join(performers + characters + hits) or None
        audit_log.record(session, "generate.guard", subject, **result.to_json())
    return result


__all__ = ["check_prompt", "default_denylist", "find_depicted", "load_denylist", "mentions",
           "normalize"]
