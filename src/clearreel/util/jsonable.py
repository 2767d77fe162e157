"""The one JSON encoding of clearreel's documents: the CLI's `--json` and the web API agree."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any


def json_default(o: Any) -> Any:
    """`json.dumps(default=...)`: dates and datetimes in ISO 8601, paths and the rest (Decimal
    amounts among them) as their string."""
    if isinstance(o, dt.date | dt.datetime):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def dumps(doc: Any, *, indent: int | None = 2) -> str:
    return json.dumps(doc, default=json_default, indent=indent, ensure_ascii=False)


def jsonable(doc: Any) -> Any:
    """The document as plain JSON values, exactly as `dumps` writes it."""
    return json.loads(json.dumps(doc, default=json_default))


__all__ = ["dumps", "json_default", "jsonable"]
