"""The prompt guard: before any frame is made, may this prompt be generated?

It finds who and what the prompt depicts, then asks the clearance engine (contract rule 4):

- a person party of the registry named in the prompt, or a character (a character depicts
  the performers who play it: the casting rule of `clearreel.rights.presence`), needs a
  `digital_replica` consent in force whose scope covers the request's project and purpose;
- a character needs `character_generation` allowed by a licence from its owner;
- a name or franchise on the studio's deny list (third parties: the studio holds no rights)
  is refused outright.

Every name and alias matches: the full name, the given name alone, the surname alone, the
possessive (`Mara's`), however written (`clearreel.generate.names`: NFKC, invisible
characters, Unicode confusables, case, diacritics, `_` `-` `.` inside a name). A name that is
also a common English word (`Wren`, `Stone`, `Park`) still counts (deny by default), with the
reason `prompt.common_word`; the studio can allow-list phrases (`allowed_phrases`): a given
name or surname alone inside an allowed phrase ("a stone wall") is not a depiction. Full
names and aliases are never allow-listed. Every request is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.generate.names import find, name_words, normalize, words
from clearreel.rights.clearance import Decision, Reason, check_generation
from clearreel.rights.models import Character, Party, Setting

DENYLIST_FILE = "denylist.txt"  # in $CLEARREEL_HOME: one name per line, '#' comments
ALLOWED_PHRASES_FILE = "allowed_phrases.txt"  # in $CLEARREEL_HOME: one phrase per line
ALLOWED_PHRASES_SETTING = "generate.allowed_phrases"


def mentions(prompt: str, name: str) -> bool:
    return bool(find(name_words(name), words(prompt)))


@functools.cache
def default_denylist() -> tuple[str, ...]:
    text = resources.files("clearreel.generate").joinpath("denylist.yaml").read_text()
    data = yaml.safe_load(text)
    return tuple(n for group in data.values() for n in group)


@functools.cache
def common_words() -> frozenset[str]:
    """Common English words that are also given names or surnames (the reason
    `prompt.common_word`; a word missing here is matched all the same)."""
    text = resources.files("clearreel.generate").joinpath("common_words.txt").read_text()
    return frozenset(normalize(w) for line in text.splitlines()
                     for w in line.split("#", 1)[0].split())


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def load_denylist(session: Session, home: Path | None = None) -> list[str]:
    """Default list + the studio's additions (registry setting, workspace file) − its allowances."""
    names = list(default_denylist())
    settings = {s.key: s.value for s in session.scalars(
        select(Setting).where(Setting.key.in_(["generate.denylist", "generate.denylist_allow"])))}
    names += list(settings.get("generate.denylist") or [])
    if home is not None:
        names += _lines(home / DENYLIST_FILE)
    allowed = {normalize(n) for n in settings.get("generate.denylist_allow") or []}
    seen: dict[str, str] = {}
    for n in names:
        if normalize(n) not in allowed:
            seen.setdefault(normalize(n), n)
    return list(seen.values())


def allowed_phrases(session: Session, home: Path | None = None) -> list[str]:
    """The studio's allow-listed phrases: the registry setting `generate.allowed_phrases`
    and `$CLEARREEL_HOME/allowed_phrases.txt`."""
    row = session.scalars(select(Setting).where(Setting.key == ALLOWED_PHRASES_SETTING)).first()
    out = [str(p) for p in (row.value if row is not None and row.value else [])]
    if home is not None:
        out += _lines(home / ALLOWED_PHRASES_FILE)
    return out


@dataclass(frozen=True)
class Match:
    """One name found in the prompt."""

    kind: str  # "party" | "character"
    id: str
    text: str  # the prompt's text that matched, as written
    name: str  # the registry's name or alias it matched
    form: str  # full | alias | given | surname
    common: bool  # a single word that is also a common English word

    def reason(self, deny: bool, only_common: bool) -> Reason:
        what = f"{'person' if self.kind == 'party' else 'character'} {self.id}"
        how = {"full": "name", "alias": "alias", "given": "given name",
               "surname": "surname"}[self.form]
        detail = f"{self.text!r} names {what} ({how} {self.name!r})"
        common = self.common and only_common
        if common:
            detail += (f"; {self.text!r} is also a common English word, so it counts unless the "
                       "studio allow-lists the phrase it is used in (allowed_phrases)")
        return Reason("prompt.common_word" if common else "prompt.name",
                      party=self.id if self.kind == "party" else None,
                      character=self.id if self.kind == "character" else None,
                      detail=detail, effect="deny" if deny and common else "info")


# Words of a name that do not name anyone on their own ("The Gull", "Dr. Marsh", "Anna de la
# Cruz"): never matched alone.
PARTICLES = frozenset({
    "the", "a", "an", "of", "and", "de", "del", "della", "der", "di", "du", "da", "la", "le",
    "les", "van", "von", "den", "ten", "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame",
    "st", "jr", "sr",
})


def _variants(name: str, aliases: Iterable[str]) -> list[tuple[list[str], str, str]]:
    """(words, form, as written) for every way a name may be written."""
    out: list[tuple[list[str], str, str]] = []
    full = name_words(name)
    if full:
        out.append((full, "full", name))
    core = [w for w in full if w not in PARTICLES and len(w) > 1]
    if len(full) > 1 and core:
        out.append(([core[0]], "given", name))
        if len(core) > 1:
            out.append(([core[-1]], "surname", name))
    for a in aliases:
        if w := name_words(a):
            out.append((w, "alias", a))
    return out


def find_names(session: Session, prompt: str,
               allowed: Sequence[str] = ()) -> list[Match]:
    """Every person party and character the prompt names (see the module docstring)."""
    text = words(prompt)
    allowed_spans = [s for phrase in allowed for s in find(name_words(phrase), text)]
    common = common_words()
    entities = [("party", p.id, p.name, getattr(p, "aliases", None) or [])
                for p in session.scalars(select(Party).where(Party.kind == "person")
                                         .order_by(Party.id))]
    entities += [("character", c.id, c.name, c.aliases or [])
                 for c in session.scalars(select(Character).order_by(Character.id))]
    out: list[Match] = []
    for kind, id_, name, aliases in entities:
        for seq, form, written in _variants(name, aliases):
            single = len(seq) == 1  # a multi-word name is never allow-listed
            for a, b in find(seq, text):
                if single and any(x <= a and b <= y for x, y in allowed_spans):
                    continue  # a word inside a phrase the studio allow-listed
                is_common = len(seq) == 1 and seq[0] in common
                m = Match(kind, id_, prompt[a:b], written, form, is_common)
                if m not in out:
                    out.append(m)
    return out


def find_depicted(session: Session, prompt: str,
                  allowed: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(person party ids, character ids) named in the prompt."""
    ms = find_names(session, prompt, allowed)
    return (list(dict.fromkeys(m.id for m in ms if m.kind == "party")),
            list(dict.fromkeys(m.id for m in ms if m.kind == "character")))


def _denied(prompt: str, names: Iterable[str]) -> list[str]:
    text = words(prompt)
    hits: dict[str, str] = {}  # one per written form: Spider-Man and Spiderman are one hit
    for n in names:
        if find(name_words(n), text):
            hits.setdefault("".join(name_words(n)), n)
    return list(hits.values())


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
    matches = find_names(session, prompt, allowed_phrases(session, home))
    performers = list(dict.fromkeys(m.id for m in matches if m.kind == "party"))
    found = [m.id for m in matches if m.kind == "character"]
    characters = list(dict.fromkeys([*characters, *found]))
    decision = check_generation(session, performers=performers, characters=characters,
                                project=project, purpose=purpose, on=on, territory=territory,
                                audit=False)
    # Which depicted party or character was denied (a character's denial may come through
    # its performer, named in the reason's `party`).
    denied_ids = {r.party for r in decision.denials} | {r.character for r in decision.denials}
    played = {c: decision.question.get("cast", {}).get(c, []) for c in characters}
    reasons = [Reason("prompt.denylist", detail=(
        f"{n!r} is a third-party name or franchise on the studio's deny list: the studio holds "
        "no rights to depict it")) for n in hits]
    # What matched, for every entity: `prompt.name` (context); when an entity was named only
    # by words that are also common English words, `prompt.common_word`, which denies along
    # with the rule-4 reason when that entity is not cleared (deny by default).
    plain = {m.id for m in matches if not m.common}
    for m in matches:
        deny = m.id in denied_ids or any(p in denied_ids for p in played.get(m.id, []))
        reasons.append(m.reason(deny and not decision.allowed, only_common=m.id not in plain))
    reasons += list(decision.reasons)
    allowed = decision.allowed and not hits
    result = Decision(allowed, reasons, {**decision.question, "prompt": prompt,
                                         "denylisted": hits, "characters": characters,
                                         "matches": [m.__dict__ for m in matches]})
    if audit:
        from clearreel.rights import audit as audit_log

        subject = ",".join(performers + characters + hits) or None
        audit_log.record(session, "generate.guard", subject, **result.to_json())
    return result


__all__ = ["Match", "allowed_phrases", "check_prompt", "common_words", "default_denylist",
           "find_depicted", "find_names", "load_denylist", "mentions", "normalize"]
