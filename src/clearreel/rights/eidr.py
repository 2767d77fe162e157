"""EIDR content ids (Entertainment Identifier Registry): parse, normalise, check.

An EIDR id is the DOI prefix `10.5240/` and a suffix of five groups of four hexadecimal digits
and one check character: `10.5240/7EC7-228A-510A-053E-CBB8-J`. The check character is ISO/IEC
7064 MOD 37,36 (the hybrid system, over the alphabet 0-9A-Z) computed over the 20 hex digits
(EIDR "ID Format", section 2). The same id appears in other spellings, all accepted here:
`urn:eidr:10.5240:7EC7-...` (the EIDR URN, as in EMA Avails `TitleEIDR-URN`), the MovieLabs
content-id forms `md:cid:eidr-s:7EC7-...` / `md:alid:eidr-s:7EC7-...` (the short suffix), and
lower-case hex.
"""

from __future__ import annotations

import re

from clearreel.errors import UsageError

PREFIX = "10.5240/"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SUFFIX = re.compile(r"([0-9A-F]{4})-?([0-9A-F]{4})-?([0-9A-F]{4})-?([0-9A-F]{4})-?([0-9A-F]{4})"
                     r"-?([0-9A-Z])")
_FORMS = (
    re.compile(r"(?:doi:|https?://doi\.org/)?10\.5240/(?P<s>.+)", re.I),
    re.compile(r"urn:eidr:10\.5240:(?P<s>.+)", re.I),
    re.compile(r"md:[a-z]+:eidr-[sx]:(?P<s>[^:]+)(?::.*)?", re.I),
)


class EidrError(UsageError, ValueError):
    """Not an EIDR id, or one whose check character is wrong."""


def check_character(hex20: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character of the 20 hex digits (no dashes)."""
    m, p = 36, 36
    for ch in hex20.upper():
        s = (p + _ALPHABET.index(ch)) % m or m
        p = (2 * s) % (m + 1)
    return _ALPHABET[(m + 1 - p) % m]


def parse(value: str) -> str:
    """The canonical `10.5240/XXXX-XXXX-XXXX-XXXX-XXXX-C` form; EidrError when not valid."""
    text = value.strip()
    suffix = None
    for form in _FORMS:
        if m := form.fullmatch(text):
            suffix = m.group("s")
            break
    if suffix is None:
        raise EidrError(f"{value!r} is not an EIDR id: write 10.5240/XXXX-XXXX-XXXX-XXXX-XXXX-C")
    m = _SUFFIX.fullmatch(suffix.upper())
    if not m:
        raise EidrError(f"{value!r} is not an EIDR id: the suffix is five groups of four hex "
                        "digits and a check character (XXXX-XXXX-XXXX-XXXX-XXXX-C)")
    groups = m.groups()
    want = check_character("".join(groups[:5]))
    if groups[5] != want:
        raise EidrError(f"{value!r}: wrong EIDR check character {groups[5]!r} (expected {want!r});"
                        " the id was mistyped")
    return PREFIX + "-".join(groups)


def find(value: str) -> str | None:
    """The EIDR id inside `value` when it is one in any accepted spelling, else None."""
    try:
        return parse(value)
    except EidrError:
        return None


__all__ = ["EidrError", "check_character", "find", "parse"]
