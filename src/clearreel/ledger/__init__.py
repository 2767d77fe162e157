"""The royalty ledger: double-entry, append-only, hash-chained, exact to the minor unit.

Money a studio earns from its model (revenue of a generated output, a licence fee for a
dataset) is split by the largest-remainder method among the works that made it and the
people who hold points in them. See docs/ledger.md.

Public surface:
- `record_revenue(settings, output_id, amount, currency, on=None, pool=None) -> Posted`
- `record_deal(settings, licensee, dataset, amount, currency, on=None, pool=None) -> Posted`
- `record_attributed_revenue(...)` / `record_deal_minutes(...)`: the same with explicit
  attribution or minutes
- `statements(settings, period, party=None) -> dict` (contract JSON); `render_html`, `to_csv`
- `check(settings) -> dict` ({"valid", "transactions", "postings", "head", "problems"})
- pure allocation: `largest_remainder`, `allocate`, `minutes_by_work`; currencies:
  `parse_amount`, `format_amount`, `exponent`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.ledger.allocate import (
    Allocation,
    Share,
    allocate,
    largest_remainder,
    minutes_by_work,
)
from clearreel.ledger.currency import exponent, format_amount, parse_amount
from clearreel.ledger.deals import record_deal, record_deal_minutes
from clearreel.ledger.events import (
    Posted,
    get_pool_percent,
    record_attributed_revenue,
    record_revenue,
    set_pool_percent,
)
from clearreel.ledger.statements import render_html, statements, to_csv


def check(settings: Settings, org: str | None = None, *,
          anchors: Path | None = None) -> dict[str, Any]:
    """Verify every transaction balances, the posting chain is intact (see book.check) and
    agrees with its signed anchors (book.anchored; `anchors`: a folder of exported anchor
    files to compare with instead of the workspace's). The result gains an `anchors` object."""
    from clearreel.db import open_session
    from clearreel.ledger import book

    with open_session(settings, org) as s:
        result = book.check(s)
        key = anchors / "anchor.pub" if anchors is not None else None
        a = book.anchored(s, root=anchors, key_path=key if key and key.exists() else None)
    result["anchors"] = a
    result["problems"] = result["problems"] + a["problems"]
    result["valid"] = not result["problems"]
    return result


__all__ = [
    "Allocation",
    "Posted",
    "Share",
    "allocate",
    "check",
    "exponent",
    "format_amount",
    "get_pool_percent",
    "largest_remainder",
    "minutes_by_work",
    "parse_amount",
    "record_attributed_revenue",
    "record_deal",
    "record_deal_minutes",
    "record_revenue",
    "render_html",
    "set_pool_percent",
    "statements",
    "to_csv",
]
