"""Helpers every stage shares, below all of them: they import nothing of clearreel but
`clearreel.errors`.

- `timecode`: the one parser and formatter of times (SMPTE `HH:MM:SS:FF` at a work's rate,
  drop-frame, `HH:MM:SS.mmm`, seconds);
- `progress`: the one progress reporter (rich bars on a terminal, plain stage lines
  otherwise, frames within a file from engine workers), on stderr;
- `csvsafe`: CSV cells neutralised against formula injection (statements, reports);
- `jsonable`: the one JSON encoding of documents (dates in ISO 8601), for `--json` and the API;
- `alloc`: the one largest-remainder allocation of an integer total, exact, with the caller's
  tie-break (the ledger's money, attribution's shares);
- `uri`: a media URI (`file://`, a local path, a remote URL) to a local path.
"""

__all__ = ["alloc", "csvsafe", "jsonable", "progress", "timecode", "uri"]
