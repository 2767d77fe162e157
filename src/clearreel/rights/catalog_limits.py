"""Bounds on a catalog file, so a hostile one costs a bounded amount of memory and time.

A YAML alias may be used many times, and each use expands to a full copy of its anchor when
the document is turned into Python values: nine anchors of nine aliases each (a 600-byte
"billion laughs" file) expand to 9^9 scalars, 4 GB before a MemoryError. A recursive alias
(`&a [*a]`) never ends, and a deeply nested document exhausts the recursion limit. All three
are refused with a `file:line` error (exit 2) before anything is built:

- the file's size (`CLEARREEL_CATALOG_MAX_BYTES`, default 64 MiB);
- the nesting depth of mappings and sequences (`MAX_DEPTH`), read from the parser's event
  stream, which keeps its own stack and so never recurses;
- the number of values built, aliases expanded (`expansion_budget`: ten times the document's
  own nodes plus a margin, ample for anchors used as shorthand);
- an alias that refers to a node it is inside (recursion), found while building.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import yaml

from clearreel.errors import CatalogError
from clearreel.util.uri import UriError, file_path

MAX_DEPTH = 64  # a catalog needs about 6 levels (works[i].participations[j].{...})
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_EXPANSION_FACTOR = 10
_EXPANSION_MARGIN = 100_000


def max_bytes() -> int:
    raw = os.environ.get("CLEARREEL_CATALOG_MAX_BYTES")
    try:
        return int(raw) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        raise CatalogError([f"CLEARREEL_CATALOG_MAX_BYTES={raw!r} is not a number of bytes"]) \
            from None


def check_size(file: str, size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise CatalogError([f"{file}:1: the file is {size:,} bytes, over the limit of "
                            f"{limit:,}: split the catalog into several imports, or raise "
                            "CLEARREEL_CATALOG_MAX_BYTES"])


def check_structure(file: str, text: str, loader: type) -> int:
    """Walk the parser's events: refuse nesting deeper than MAX_DEPTH; return the node count
    (the base of the expansion budget). Syntax errors are left to the composer's messages."""
    depth = nodes = 0
    try:
        for ev in yaml.parse(text, Loader=loader):
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                nodes += 1
                if depth > MAX_DEPTH:
                    raise too_deep(file, ev.start_mark.line + 1)
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent):
                nodes += 1
    except yaml.MarkedYAMLError as e:
        # libyaml has its own (larger) depth limit, hit while scanning ahead on one line.
        if "nesting depth" in str(e.problem):
            mark = e.problem_mark or e.context_mark
            raise too_deep(file, mark.line + 1 if mark else 1) from None
    except yaml.YAMLError:
        pass  # a syntax error: reported, with its line, by the composer that runs next
    return nodes


def too_deep(file: str, line: int) -> CatalogError:
    return CatalogError([f"{file}:{line}: nested deeper than {MAX_DEPTH} levels: a catalog "
                         "needs a handful; flatten the file"])


def expansion_budget(nodes: int) -> int:
    return _EXPANSION_FACTOR * nodes + _EXPANSION_MARGIN


def too_large(file: str, line: int, budget: int) -> CatalogError:
    return CatalogError([f"{file}:{line}: aliases here expand to more than {budget:,} values "
                         "(an alias bomb?): write the values out, or use fewer nested aliases"])


def recursive(file: str, line: int) -> CatalogError:
    return CatalogError([f"{file}:{line}: a recursive alias (it refers to a node that contains "
                         "it): a catalog is a tree; remove the alias"])


def media_roots() -> list[Path]:
    """Folders besides the catalog's own that media may live in: `CLEARREEL_MEDIA_ROOTS`,
    separated by the OS path separator (`:`), e.g. a shared read-only library mount."""
    raw = os.environ.get("CLEARREEL_MEDIA_ROOTS", "")
    return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]


def outside_roots(value: str, base: Path, roots: Iterable[Path]) -> str | None:
    """Why a local media path (relative to `base`, the catalog's folder) is refused; None when
    it lies inside a root. Remote URLs (s3://, gs://, https://) are confined by their store's
    credentials, not here."""
    try:
        local = file_path(value)
    except UriError as e:
        return str(e)
    if local is None:
        return None
    local = base / local  # an absolute path stays itself
    real = local.resolve()  # follows every symlink, so a link out of a root is seen for what it is
    roots = [Path(r).resolve() for r in roots]
    if any(real == r or real.is_relative_to(r) for r in roots):
        return None
    shown = f"{value} (a link to {real})" if real != Path(os.path.abspath(local)) else value
    return (f"{shown} is outside the catalog's folder and the configured media roots "
            f"({', '.join(str(r) for r in roots)}): move the media under the catalog's folder, "
            "or add its folder to CLEARREEL_MEDIA_ROOTS")


__all__ = ["MAX_DEPTH", "check_size", "check_structure", "expansion_budget", "max_bytes",
           "media_roots", "outside_roots", "recursive", "too_deep", "too_large"]
