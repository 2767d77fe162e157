"""Names as written by people: folding, speaker labels, and the index that resolves them.

One folding for every place a name is compared (speaker labels in subtitles, the prompt
guard): Unicode NFKC (full-width and compatibility forms: `ＭＡＲＡ` is `MARA`), invisible
format characters removed (category Cf: zero-width space U+200B, soft hyphen U+00AD, joiners,
BOM), case folding (`ß` is `ss`), and diacritics removed (NFD, combining marks dropped: `Zoë`
is `zoe`, `Йона` is `иона`). A *key* keeps only the letters and digits of the folded text, of
any script, so punctuation and spacing never matter (`Dr. O'Neil` and `DR ONEIL` are
`droneil`).

Speaker labels (ARCHITECTURE.md, "Presence"): `MARA: …`, `- MARA: …`, `[MARA] …`,
`MARA (V.O.): …` (any parenthesised extension), `MARA/JONAH: …` and `MARA & JONAH: …`
(both), WebVTT `<v Mara>` (turned into `[Mara]` when the file is read), markup (`<i>WREN:</i>`,
`{\\i1}`) ignored, any case and any script. `label_candidates` finds the label forms on a
line; whether one names somebody is up to `NameIndex.resolve`: a label form that matches
nobody (`Note: …`, `[door slams]`) is simply no performer, and the line stays dialogue.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# A name token shorter than this is not indexed on its own (`J. Smith`: `j` would match any
# label `J:`); the full name still is.
MIN_TOKEN = 2


def strip_invisible(text: str) -> str:
    """Remove format characters (Unicode category Cf): ZWSP, ZWJ/ZWNJ, soft hyphen, BOM, …"""
    if text.isprintable():  # Python's printable excludes every Cf character: nothing to do
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def fold(text: str) -> str:
    """NFKC, Cf removed, case-folded, diacritics removed; spacing and punctuation kept."""
    if text.isascii():  # NFKC and NFD leave ASCII as it is, and it has no Cf character
        return text.casefold()
    t = strip_invisible(unicodedata.normalize("NFKC", text)).casefold()
    t = "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", t)


_ALNUM = re.compile(r"[^\W_]+")  # letters and digits of any script (str.isalnum runs)


def tokens(text: str) -> list[str]:
    """The words of the folded text: runs of letters and digits (any script)."""
    return _ALNUM.findall(fold(text))


def key(text: str) -> str:
    """The comparison key of a name: its folded letters and digits, nothing else."""
    return "".join(tokens(text))


# --------------------------------------------------------------------------- labels

_TAG = re.compile(r"</?[A-Za-z][^>]*>|\{\\[^}]*\}")
_DASH = re.compile(r"^\s*[-‐‑‒–—―]+\s*")
_BRACKET = re.compile(r"^\[([^\]]{1,80})\]\s*(.*)$", re.S)
_PAREN_LEAD = re.compile(r"^\(([^)]{1,80})\)\s*(.*)$", re.S)
# Text before the first colon, starting with a letter (any script): `12:30` is not a label.
_COLON = re.compile(r"^([^\W\d_][^:]{0,79}?)\s*:\s*(.*)$", re.S)
_EXTENSION = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SPLIT = re.compile(r"\s*(?:/|&|\+|\band\b|\bet\b|\bи\b)\s*", re.I)


def strip_markup(line: str) -> str:
    """A subtitle line without HTML-like tags (`<i>`, `<font …>`) or ASS overrides (`{\\i1}`)."""
    return _TAG.sub("", line)


@dataclass(frozen=True)
class LabelledLine:
    labels: tuple[str, ...]  # the label forms as written ("MARA (V.O.)"), outermost first
    names: tuple[str, ...]  # the names they may stand for ("MARA/JONAH", "MARA", "JONAH")
    text: str  # the line without the label (the whole line when there is no label form)


def label_candidates(line: str) -> LabelledLine:
    """The speaker-label forms at the start of one subtitle line (after markup removal)."""
    if line.isascii() and ":" not in line and "[" not in line and "(" not in line:
        return LabelledLine((), (), line.strip())  # most dialogue: no label form at all
    rest = unicodedata.normalize("NFKC", strip_markup(line)).strip()
    rest = _DASH.sub("", rest)
    labels: list[str] = []
    # `[MARA] (V.O.) MARA: …` is unusual but costs nothing: take every leading form.
    for _ in range(3):
        m = _BRACKET.match(rest) or _PAREN_LEAD.match(rest) or _COLON.match(rest)
        if not m:
            break
        labels.append(m.group(1).strip())
        rest = _DASH.sub("", m.group(2).strip())
        if m.re is _COLON:
            break  # `MARA: Listen: go` has one label
    names: list[str] = []
    for lab in labels:
        bare = " ".join(_EXTENSION.sub(" ", lab).split())
        for n in (bare, *_SPLIT.split(bare)):
            n = n.strip(" .,;-")
            if n and n not in names:
                names.append(n)
    return LabelledLine(tuple(labels), tuple(names), rest if labels else line.strip())


# --------------------------------------------------------------------------- the index

Ref = tuple[str, str]  # ("character" | "party", id)


@dataclass
class NameIndex:
    """Keys of names and aliases -> who they name.

    A full name or alias names its entity anywhere (`JONAH VALE:`). A single token of a name
    (the given name or the surname alone: `MARA` for "Mara Vale") names it only among the
    entities `local` to the question, i.e. the characters and credited parties of the work
    the subtitles belong to: otherwise every "Ben" of the registry would be present in every
    film. Several entities may share a key; a label then names them all (a label only ever
    adds performers)."""

    full: dict[str, set[Ref]] = field(default_factory=dict)
    token: dict[str, set[Ref]] = field(default_factory=dict)
    _version: str | None = field(default=None, compare=False, repr=False)

    def version(self) -> str:
        """A digest of what the index holds: two indexes with the same names for the same
        entities have the same version (what caches of resolved labels are keyed by)."""
        if self._version is None:
            h = hashlib.sha256()
            for part in (self.full, self.token):
                for k in sorted(part):
                    h.update(f"{k}\x1f{sorted(part[k])}\x1e".encode())
                h.update(b"\x1d")
            self._version = h.hexdigest()
        return self._version

    def add(self, ref: Ref, names: Iterable[str]) -> None:
        self._version = None
        for name in names:
            toks = tokens(name or "")
            if not toks:
                continue
            self.full.setdefault("".join(toks), set()).add(ref)
            for t in toks:
                if len(t) >= MIN_TOKEN:
                    self.token.setdefault(t, set()).add(ref)

    def resolve(self, name: str, local: Iterable[Ref] | None = None) -> set[Ref]:
        """Who `name` names: full names anywhere, a name's single token among `local`
        (None: everywhere)."""
        k = key(name)
        out = set(self.full.get(k, ()))
        by_token = self.token.get(k, set())
        out |= by_token if local is None else by_token & set(local)
        return out


def build_index(characters: Iterable[tuple[str, str, Iterable[str]]],
                persons: Iterable[tuple[str, str, Iterable[str]]]) -> NameIndex:
    """An index over characters and person parties, each given as (id, name, aliases)."""
    idx = NameIndex()
    for cid, name, aliases in characters:
        idx.add(("character", cid), [name, *aliases])
    for pid, name, aliases in persons:
        idx.add(("party", pid), [name, *aliases])
    return idx


__all__ = ["LabelledLine", "NameIndex", "build_index", "fold", "key", "label_candidates",
           "strip_invisible", "strip_markup", "tokens"]
