"""Licence deals: a fee for a dataset to a third party, divided among its works by their
minutes in it, then among each work's participants by points (ARCHITECTURE.md, `ledger deal`).

A deal licenses the clips onward, so it must clear first: every clip clears `sublicensing`
and rule 3 today (and on `--on`), else nothing is written. The posting is the same as for
revenue (`events._post_allocation`): receipts, licence income, the rights pool and payables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from clearreel.config import Settings
from clearreel.db import open_session
from clearreel.errors import NotFound, UsageError
from clearreel.ledger import book
from clearreel.ledger.allocate import minutes_by_work, pool_fraction
from clearreel.ledger.currency import currency_code, parse_amount
from clearreel.ledger.events import DEAL_POOL_PERCENT, Posted, _post_allocation, _reference


def _load_dataset(settings: Settings, name: str) -> Any:
    from clearreel.dataset import load

    try:
        return load(settings, name)
    except (FileNotFoundError, KeyError, LookupError):
        raise NotFound(f"unknown dataset {name!r}: see `clearreel dataset show NAME`") from None


def record_deal_minutes(
    settings: Settings,
    licensee: str,
    dataset: str,
    minutes: Mapping[str, Fraction],
    amount: str | Decimal,
    currency: str,
    *,
    on: dt.date | None = None,
    pool: str | Decimal | None = None,
    org: str | None = None,
    reference: str | None = None,
    details: dict[str, Any] | None = None,
) -> Posted:
    """Record a licence fee allocated by explicit per-work minutes (what `record_deal` uses)."""
    cur = currency_code(currency)
    minor = parse_amount(str(amount), cur)
    lic = (licensee or "").strip()
    if not lic:
        raise UsageError("--licensee is empty: name the company licensing the dataset")
    if pool is not None:
        pool_fraction(pool)
    ref = _reference(reference)
    weights = {w: Fraction(m) for w, m in minutes.items() if Fraction(m) > 0}
    if not weights:
        raise UsageError(f"dataset {dataset!r} has no clips: nothing to divide the fee by")
    with open_session(settings, org) as s:
        head = book.lock(s)
        pct = Decimal(str(pool).strip().rstrip("%")) if pool is not None else DEAL_POOL_PERCENT
        det = {
            **(details or {}),
            "licensee": lic,
            "dataset": dataset,
            "minutes": {w: f"{float(m):.6f}" for w, m in sorted(weights.items())},
            **ref,
        }
        return _post_allocation(
            s,
            head,
            kind="deal",
            source=f"deal:{lic}/{dataset}",
            effective=on or dt.date.today(),
            currency=cur,
            amount=minor,
            pool_percent=pct,
            weights=weights,
            details=det,
        )


def record_deal(
    settings: Settings,
    licensee: str,
    dataset: str,
    amount: str | Decimal,
    currency: str,
    *,
    on: dt.date | None = None,
    pool: str | Decimal | None = None,
    org: str | None = None,
    reference: str | None = None,
) -> Posted:
    """A licence fee for a dataset, divided among its works by their minutes in it, then
    among each work's participants by points. `pool` (default 100) is the share of the fee
    that goes to the works' participants; the rest is the studio's licence income."""
    cur = currency_code(currency)
    parse_amount(str(amount), cur)  # refuse bad input before loading anything
    if not (licensee or "").strip():
        raise UsageError("--licensee is empty: name the company licensing the dataset")
    if pool is not None:
        pool_fraction(pool)
    _reference(reference)
    loaded = _load_dataset(settings, dataset)
    _clear_deal(settings, loaded, dataset, licensee.strip(), on, org)
    minutes = minutes_by_work(loaded.clips)
    extra = {
        "dataset_id": getattr(loaded, "id", None),
        "manifest_sha256": getattr(loaded, "manifest_sha256", None),
        "clips": len(loaded.clips),
    }
    return record_deal_minutes(
        settings, licensee, dataset, minutes, amount, cur, on=on, pool=pool, org=org,
        details=extra, reference=reference,
    )


def _clear_deal(settings: Settings, loaded: Any, dataset: str, licensee: str,
                on: dt.date | None, org: str | None) -> None:
    """A deal licenses the dataset onward: every clip must clear `sublicensing` (rules 1 and
    2) and rule 3 (a training consent of everyone present, by the presence rule as it is
    today) on today's date and on `on`; else `Denied` (exit 1) naming the clips and reasons,
    audited as `ledger.deal_refused`, and nothing is written."""
    from clearreel.dataset.recheck import recheck
    from clearreel.errors import Denied
    from clearreel.rights import audit

    days = sorted({dt.date.today(), *([on] if on else [])})
    with open_session(settings, org) as s:
        r = recheck(s, loaded.manifest["clips"], on=days, use="sublicensing")
        if r.ok:
            return
        audit.record(s, "ledger.deal_refused", dataset, licensee=licensee,
                     dates=r.dates, uncleared=r.clip_ids, reasons=sorted(
                         {x["code"] for u in r.uncleared for x in u.reasons}))
    first = r.uncleared[0]
    more = f" and {len(r.uncleared) - 1} more clip(s)" if len(r.uncleared) > 1 else ""
    refused = Denied(f"dataset {dataset!r} may not be licensed to {licensee}: {first.detail}"
                     f"{more}; nothing was written (a deal needs every clip to clear "
                     "`sublicensing` and the performers' training consents)")
    refused.report = {"allowed": False, "dataset": dataset, "licensee": licensee,
                      **r.to_json()}
    raise refused


__all__ = ["record_deal", "record_deal_minutes"]
