"""Finding names in a prompt, however they are written (ARCHITECTURE.md, rule 4).

Every character of the prompt and of every name is folded the same way, one character at a
time so that a match can be shown as the text the user wrote:

1. Unicode NFKC (full-width `Ｍａｒａ`, ligatures, compatibility forms);
2. invisible format characters removed (category Cf: zero-width space, soft hyphen,
   joiners, BOM): `Ma\u200bra` is `Mara`;
3. Unicode confusables folded to their ASCII prototype (the Unicode consortium's
   confusables data, as shipped by the `confusable-homoglyphs` package): a Cyrillic `а` or
   Greek `ο` inside a Latin name is the Latin letter. A capital that looks like `I` folds to
   `i`, not to `l`. ASCII look-alikes (`l`/`I`, `0`/`O`, `rn`/`m`) are not folded: they would
   make ordinary words into names (`all` would be `Ali`);
4. case folding and diacritics removed (`Zoë` is `zoe`).

A name matches as a sequence of words (`Ava Stone`, `Ava Stone's`, `ava  stone`), and
punctuation inside one written word is ignored (`Fay_Lindqvist`, `Fay.Lindqvist`,
`M.a.r.a`, `Lind-qvist`): `_`, `-`, `.` and other punctuation split words, and a word's
pieces also count joined. A name never matches inside a longer word (`Marathon`,
`batmanesque`).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass


@functools.cache
def _confusables() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("confusable_homoglyphs")
    if spec is None or not spec.submodule_search_locations:
        from clearreel.errors import MissingDependency

        raise MissingDependency("the prompt guard needs the Unicode confusables data: "
                                "pip install confusable-homoglyphs")
    path = Path(next(iter(spec.submodule_search_locations))) / "confusables.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for k, glyphs in data.items():
        for g in glyphs:
            c = g["c"]
            if len(k) == 1 and k.isascii() and k.isalnum() and len(c) == 1 and not c.isascii():
                out.setdefault(c, k)
            elif len(k) == 1 and not k.isascii() and len(c) == 1 and c.isascii() and c.isalnum():
                out.setdefault(k, c)
    for c, a in list(out.items()):
        if a in "lI" and c.isupper():
            out[c] = "i"  # Greek Ι, Cyrillic І and Ӏ are read as a capital I
    return out


@functools.lru_cache(maxsize=8192)
def fold_char(c: str) -> str:
    """One character of text, folded (see the module docstring); "" when it vanishes."""
    if c.isascii():
        return c.lower()
    conf = _confusables()
    out = []
    for x in unicodedata.normalize("NFKC", c):
        if unicodedata.category(x) == "Cf":
            continue
        x = conf.get(x, x)
        for y in unicodedata.normalize("NFD", x.casefold()):
            if not unicodedata.combining(y):
                out.append(conf.get(y, y))
    return "".join(out)


@dataclass(frozen=True)
class Word:
    text: str  # folded letters and digits
    start: int  # span in the original prompt
    end: int


def words(text: str) -> tuple[list[Word], list[Word]]:
    """(fine, joined): the folded words of `text` split at every non-letter, and the words
    split at whitespace only, each with its pieces joined (`Fay_Lindqvist` -> `faylindqvist`)."""
    fine: list[Word] = []
    joined: list[Word] = []
    cur: list[str] = []
    cur_start = 0
    chunk: list[str] = []
    chunk_start = -1
    last_end = 0
    for i, c in enumerate(text):
        f = fold_char(c)
        if c.isspace():
            if cur:
                fine.append(Word("".join(cur), cur_start, last_end))
                cur = []
            if chunk:
                joined.append(Word("".join(chunk), chunk_start, last_end))
                chunk, chunk_start = [], -1
            continue
        if not f:
            continue  # an invisible character: as if it were not there
        for ch in f:
            if ch.isalnum():
                if not cur:
                    cur_start = i
                if chunk_start < 0:
                    chunk_start = i
                cur.append(ch)
                chunk.append(ch)
                last_end = i + 1
            elif cur:
                fine.append(Word("".join(cur), cur_start, last_end))
                cur = []
    if cur:
        fine.append(Word("".join(cur), cur_start, last_end))
    if chunk:
        joined.append(Word("".join(chunk), chunk_start, last_end))
    return fine, joined


def name_words(name: str) -> list[str]:
    """A name's folded words (`Fay_Lindqvist` -> ["fay", "lindqvist"])."""
    return [w.text for w in words(name)[0]]


def normalize(text: str) -> str:
    """The folded words of `text`, joined by single spaces."""
    return " ".join(name_words(text))


def find(seq: list[str], text_words: tuple[list[Word], list[Word]]) -> list[tuple[int, int]]:
    """Spans of the prompt where the name words `seq` occur (as a word sequence, or joined
    inside one written word)."""
    if not seq:
        return []
    fine, joined = text_words
    spans: list[tuple[int, int]] = []
    n = len(seq)
    for ws in (fine, joined):
        for i in range(len(ws) - n + 1):
            if all(ws[i + k].text == seq[k] for k in range(n)):
                spans.append((ws[i].start, ws[i + n - 1].end))
    key = "".join(seq)
    spans += [(w.start, w.end) for w in joined if w.text == key]
    return sorted(set(spans))


__all__ = ["Word", "find", "fold_char", "name_words", "normalize", "words"]
