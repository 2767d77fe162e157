"""Recording money: revenue earned by a generated output (licence fees for a dataset: deals.py).

Every input is validated before anything is written (amount, currency, pool, output,
dataset, works); a failure raises `UsageError` (CLI exit 2) and the transaction is rolled
back whole. Transactions (receipts debited, the studio's and the parties' accounts
credited):

  revenue A, pool P:  receipts +A | studio_revenue -(A-P) | rights_pool -P | rights_pool +P |
                      payable:<party> -share ... (suspense:<work> when nobody holds points)
  deal F, pool P:     receipts +F | licence_income -(F-P) | rights_pool -P | rights_pool +P |
                      payable:<party> -share ...

The rights pool is a clearing account: credited with the pool and debited as it reaches
the parties, so it nets to zero in every transaction (checked by `ledger check`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.config import Settings
from clearreel.db import open_session
from clearreel.errors import NotFound, UsageError
from clearreel.ledger import book
from clearreel.ledger.allocate import (
    Allocation,
    allocate,
    normalise_attribution,
    pool_fraction,
)
from clearreel.ledger.currency import currency_code, format_amount, parse_amount

DEFAULT_POOL_PERCENT = Decimal(50)
DEAL_POOL_PERCENT = Decimal(100)
# Studio setting (rights.models.Setting) holding the revenue pool percentage, e.g. "40".
POOL_SETTING = "ledger.pool_percent"


@dataclass
class Posted:
    """What one recorded event did: the transaction and where every minor unit went."""

    transaction: str
    kind: str
    source: str
    effective: dt.date
    currency: str
    amount: int
    pool_percent: Decimal
    allocation: Allocation
    postings: int
    head: str
    weights: dict[str, Fraction] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        c = self.currency
        return {
            "transaction": self.transaction,
            "kind": self.kind,
            "source": self.source,
            "date": self.effective.isoformat(),
            "currency": c,
            "amount": format_amount(self.amount, c),
            "pool_percent": f"{self.pool_percent:f}",
            "pool": format_amount(self.allocation.pool, c),
            "studio": format_amount(self.allocation.studio, c),
            "unattributed": format_amount(self.allocation.unattributed, c),
            "works": [
                {
                    "work": w,
                    "weight": _fraction_str(self.weights.get(w, Fraction(0))),
                    "amount": format_amount(a, c),
                }
                for w, a in sorted(self.allocation.by_work.items())
            ],
            "allocations": [
                {"party": s.party, "work": s.work, "amount": format_amount(s.amount, c)}
                for s in self.allocation.shares
            ],
            "postings": self.postings,
            "head": self.head,
        }


def _fraction_str(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _points(session: Session, works: Iterable[str]) -> dict[str, dict[str, Fraction]]:
    """{work: {party: points}} for the given works; UsageError for a work not in the registry."""
    from clearreel.rights.models import Participation, Work

    wanted = sorted(set(works))
    rows = session.execute(
        select(Work.id, Participation.party_id, Participation.points)
        .outerjoin(Participation, Participation.work_pk == Work.pk)
        .where(Work.id.in_(wanted))
    ).all()
    out: dict[str, dict[str, Fraction]] = {}
    for work, party, points in rows:
        parties = out.setdefault(work, {})
        if party is not None and points is not None and Decimal(points) > 0:
            # A party with several roles in one work (director and writer) adds its points.
            parties[party] = parties.get(party, Fraction(0)) + Fraction(Decimal(points))
    missing = [w for w in wanted if w not in out]
    if missing:
        raise UsageError(
            f"unknown work(s) {', '.join(missing)}: import them into the registry "
            "(`clearreel catalog import`) before recording their earnings"
        )
    return out


def _pool_percent(session: Session, pool: str | Decimal | None, default: Decimal) -> Decimal:
    if pool is None:
        from clearreel.rights.models import Setting

        row = session.scalars(select(Setting).where(Setting.key == POOL_SETTING)).first()
        if row is None or row.value is None:
            return default
        pool = str(row.value)
    pool_fraction(pool)  # validates
    return Decimal(str(pool).strip().rstrip("%"))


def _lines(alloc: Allocation, income_account: str) -> list[book.Line]:
    lines = [
        book.Line("receipts", "receipts", alloc.total),
        book.Line(income_account, income_account, -alloc.studio),
        book.Line("rights_pool", "rights_pool", -alloc.pool),
        book.Line("rights_pool", "rights_pool", alloc.pool),
        book.Line("unattributed", "unattributed", -alloc.unattributed),
    ]
    for s in alloc.shares:
        if s.party is None:
            lines.append(book.Line(f"suspense:{s.work}", "suspense", -s.amount, work=s.work))
        else:
            lines.append(
                book.Line(f"payable:{s.party}", "payable", -s.amount, party=s.party, work=s.work)
            )
    return lines


def _post_allocation(
    session: Session,
    head: Any,
    *,
    kind: str,
    source: str,
    effective: dt.date,
    currency: str,
    amount: int,
    pool_percent: Decimal,
    weights: Mapping[str, Fraction],
    details: dict[str, Any],
) -> Posted:
    points = _points(session, weights)
    alloc = allocate(amount, pool_fraction(pool_percent), weights, points)
    income = "studio_revenue" if kind == "revenue" else "licence_income"
    details = {
        **details,
        "pool_percent": f"{pool_percent:f}",
        "weights": {w: _fraction_str(f) for w, f in sorted(weights.items())},
        "points": {
            w: {p: _fraction_str(v) for p, v in sorted(ps.items())}
            for w, ps in sorted(points.items())
        },
    }
    t = book.post(
        session,
        head,
        kind=kind,
        effective=effective,
        source=source,
        currency=currency,
        amount=amount,
        lines=_lines(alloc, income),
        details=details,
    )
    return Posted(
        transaction=t.id,
        kind=kind,
        source=source,
        effective=effective,
        currency=currency,
        amount=amount,
        pool_percent=pool_percent,
        allocation=alloc,
        postings=t.n_postings,
        head=head.hash,
        weights=dict(weights),
    )


def record_attributed_revenue(
    settings: Settings,
    source: str,
    attribution: Iterable[Mapping[str, object]],
    amount: str | Decimal,
    currency: str,
    *,
    on: dt.date | None = None,
    pool: str | Decimal | None = None,
    org: str | None = None,
    reference: str | None = None,
    details: dict[str, Any] | None = None,
) -> Posted:
    """Record revenue allocated by an explicit attribution `[{"work", "share"}]`.

    The path under `record_revenue`; also what a caller with its own attribution uses.
    """
    cur = currency_code(currency)
    minor = parse_amount(str(amount), cur)
    weights = normalise_attribution(attribution)
    ref = _reference(reference)
    if pool is not None:
        pool_fraction(pool)
    with open_session(settings, org) as s:
        head = book.lock(s)
        pct = _pool_percent(s, pool, DEFAULT_POOL_PERCENT)
        return _post_allocation(
            s,
            head,
            kind="revenue",
            source=source,
            effective=on or dt.date.today(),
            currency=cur,
            amount=minor,
            pool_percent=pct,
            weights=weights,
            details={
                **(details or {}),
                "attribution": {w: _fraction_str(f) for w, f in weights.items()},
                **ref,
            },
        )


def _reference(reference: str | None) -> dict[str, str]:
    """`--reference`: the caller's id of this deal or revenue (an invoice or contract number),
    unique in the organization's ledger; {} when none is given."""
    if reference is None:
        return {}
    ref = reference.strip()
    if not ref or len(ref) > 200 or any(not ch.isprintable() for ch in ref):
        raise UsageError(f"--reference {reference!r}: give a printable reference of 1 to 200 "
                         "characters, e.g. an invoice number")
    return {"reference": ref}


def _get_output(session: Session, output_id: str) -> Any:
    from clearreel.generate.outputs import get_output

    try:
        out = get_output(session, output_id)
    except NotFound:
        raise
    except LookupError:
        out = None
    if out is None:
        raise NotFound(
            f"unknown output {output_id!r}: see `clearreel verify FILE` or the "
            "output id printed by `clearreel generate --json`"
        )
    if getattr(out, "blocked", False):
        # A refused request made no video: it cannot have earned anything.
        raise UsageError(
            f"output {output_id!r} was blocked by the prompt guard and has no video: "
            "record revenue only for delivered outputs"
        )
    return out


def record_revenue(
    settings: Settings,
    output_id: str,
    amount: str | Decimal,
    currency: str,
    *,
    on: dt.date | None = None,
    pool: str | Decimal | None = None,
    org: str | None = None,
    reference: str | None = None,
) -> Posted:
    """Revenue earned by one generated output, allocated by the output's attribution.

    `amount` is a decimal string in major units ("1234.56"); `pool` the rights holders'
    percentage (default: the studio setting `ledger.pool_percent`, else 50).
    """
    cur = currency_code(currency)
    minor = parse_amount(str(amount), cur)
    ref = _reference(reference)
    if pool is not None:
        pool_fraction(pool)
    with open_session(settings, org) as s:
        head = book.lock(s)
        output = _get_output(s, output_id)
        pct = _pool_percent(s, pool, DEFAULT_POOL_PERCENT)
        # An output that resembles no training clip (no share reached the attribution floor)
        # has no attribution: its pool is held in the studio's `unattributed` account, with
        # the reason, instead of going to a work it did not come from.
        weights = (normalise_attribution(list(output.attribution)) if output.attribution
                   else {})
        details = {
            "output": output_id,
            "model": output.model,
            "dataset": output.dataset,
            "attribution": [{"work": w, "share": _fraction_str(f)} for w, f in weights.items()],
            **({} if weights else {"unattributed": (output.params or {}).get("unattributed") or {
                "reason": "the output has no attribution (no training clip reached the floor)"}}),
            **ref,
        }
        return _post_allocation(
            s,
            head,
            kind="revenue",
            source=f"output:{output_id}",
            effective=on or dt.date.today(),
            currency=cur,
            amount=minor,
            pool_percent=pct,
            weights=weights,
            details=details,
        )


def set_pool_percent(settings: Settings, percent: str | Decimal, org: str | None = None) -> Decimal:
    """Store the studio's default revenue pool percentage (audited)."""
    from clearreel.rights import audit
    from clearreel.rights.models import Setting

    pool_fraction(percent)
    pct = Decimal(str(percent).strip().rstrip("%"))
    with open_session(settings, org) as s:
        row = s.scalars(select(Setting).where(Setting.key == POOL_SETTING)).first()
        old = row.value if row else None
        if row is None:
            s.add(Setting(key=POOL_SETTING, value=f"{pct:f}"))
        else:
            row.value = f"{pct:f}"
        audit.record(s, "ledger.pool", POOL_SETTING, old=old, new=f"{pct:f}")
    return pct


def get_pool_percent(settings: Settings, org: str | None = None) -> Decimal:
    with open_session(settings, org) as s:
        return _pool_percent(s, None, DEFAULT_POOL_PERCENT)


__all__ = [
    "DEFAULT_POOL_PERCENT",
    "Posted",
    "get_pool_percent",
    "record_attributed_revenue",
    "record_revenue",
    "set_pool_percent",
]
