"""Statements per party and period, read from the postings: JSON, CSV and a one-file HTML page.

A party's earnings are the credits to its `payable` account from transactions whose
effective date falls in the period (a calendar month, `YYYY-MM`). The report also totals,
per currency, the revenue received (debits to `receipts`), what was allocated to parties,
what the studio retained and what is held in suspense, so that
    revenue = allocated + retained + suspense
holds for every period (tested).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.config import Settings
from clearreel.db import open_session
from clearreel.errors import UsageError
from clearreel.ledger.currency import format_amount
from clearreel.ledger.models import LedgerAccount, LedgerPosting, LedgerTransaction
from clearreel.util import csvsafe

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """'YYYY-MM' -> (first day, first day of the next month)."""
    m = _PERIOD.match((period or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise UsageError(f"--period {period!r} is not a month: use YYYY-MM, e.g. 2026-03")
    start = dt.date(int(m.group(1)), int(m.group(2)), 1)
    return start, _add_months(start, 1)


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _rows(session: Session, start: dt.date, end: dt.date) -> list[Any]:
    return list(
        session.execute(
            select(
                LedgerPosting.seq,
                LedgerPosting.amount,
                LedgerPosting.currency,
                LedgerPosting.work_id,
                LedgerAccount.kind,
                LedgerAccount.party_id,
                LedgerTransaction.id,
                LedgerTransaction.effective,
                LedgerTransaction.kind,
                LedgerTransaction.source,
            )
            .join(LedgerAccount, LedgerAccount.pk == LedgerPosting.account_pk)
            .join(LedgerTransaction, LedgerTransaction.pk == LedgerPosting.txn_pk)
            .where(LedgerTransaction.effective >= start, LedgerTransaction.effective < end)
            .order_by(LedgerPosting.seq)
        ).all()
    )


def _party_names(session: Session) -> dict[str, str]:
    from clearreel.rights.models import Party

    return {p.id: p.name for p in session.scalars(select(Party))}


def build(session: Session, period: str, party: str | None = None) -> dict[str, Any]:
    """The statements report (contract JSON) for one period, optionally one party."""
    start, end = parse_period(period)
    names = _party_names(session)
    if party is not None and party not in names:
        known = session.scalars(
            select(LedgerAccount.party_id).where(LedgerAccount.party_id == party)
        ).first()
        if known is None:
            raise UsageError(f"unknown party {party!r}: see `clearreel catalog list`")
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stmts: dict[tuple[str, str], dict[str, Any]] = {}
    unattributed: list[dict[str, Any]] = []
    for seq, amount, cur, work, akind, pid, tid, eff, tkind, source in _rows(session, start, end):
        amount = int(amount)
        if akind == "receipts":
            totals[cur]["revenue"] += amount
        elif akind in ("studio_revenue", "licence_income"):
            totals[cur]["retained"] += -amount
        elif akind == "suspense":
            totals[cur]["suspense"] += -amount
        elif akind == "unattributed":
            totals[cur]["unattributed"] += -amount
            unattributed.append({"transaction": tid, "date": eff.isoformat(), "source": source,
                                 "currency": cur, "amount": format_amount(-amount, cur)})
        elif akind == "payable":
            totals[cur]["allocated"] += -amount
            if party is not None and pid != party:
                continue
            st = stmts.setdefault(
                (pid, cur),
                {
                    "party": pid,
                    "name": names.get(pid, pid),
                    "currency": cur,
                    "_total": 0,
                    "lines": [],
                },
            )
            st["_total"] += -amount
            st["lines"].append(
                {
                    "transaction": tid,
                    "posting": seq,
                    "date": eff.isoformat(),
                    "kind": tkind,
                    "source": source,
                    "work": work,
                    "amount": format_amount(-amount, cur),
                }
            )
    statements = []
    for key in sorted(stmts):
        st = stmts[key]
        total = st.pop("_total")
        statements.append(
            {
                "party": st["party"],
                "name": st["name"],
                "currency": st["currency"],
                "amount": format_amount(total, st["currency"]),
                "lines": st["lines"],
            }
        )

    def per_cur(field: str) -> dict[str, str]:
        return {c: format_amount(t[field], c) for c, t in sorted(totals.items())}

    return {
        "period": f"{start:%Y-%m}",
        "party": party,
        "statements": statements,
        "revenue": per_cur("revenue"),
        "allocated": per_cur("allocated"),
        "retained": per_cur("retained"),
        "suspense": per_cur("suspense"),
        # Revenue of outputs that resemble no training clip, kept by the studio, with why.
        "unattributed": per_cur("unattributed"),
        "unattributed_lines": _with_reasons(session, unattributed),
    }


def _with_reasons(session: Session, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        return []
    details = dict(session.execute(select(LedgerTransaction.id, LedgerTransaction.details)
                                   .where(LedgerTransaction.id.in_({x["transaction"]
                                                                    for x in lines}))).all())
    return [{**x, "reason": ((details.get(x["transaction"]) or {}).get("unattributed") or {})
             .get("reason", "")} for x in lines]


def earnings_by_month(
    session: Session, period: str, party: str | None = None, months: int = 12
) -> dict[str, dict[str, dict[str, int]]]:
    """{currency: {"YYYY-MM": {work: minor units}}} for the `months` months ending with
    `period`: what rights holders (or one party) earned from each work each month."""
    start, end = parse_period(period)
    first = _add_months(start, -(months - 1))
    out: dict[str, dict[str, dict[str, int]]] = {}
    for _seq, amount, cur, work, akind, pid, _tid, eff, _tk, _src in _rows(session, first, end):
        if akind not in ("payable", "suspense") or (party is not None and pid != party):
            continue
        by_month = out.setdefault(
            cur, {f"{_add_months(first, i):%Y-%m}": {} for i in range(months)}
        )
        cell = by_month[f"{eff:%Y-%m}"]
        cell[work or "?"] = cell.get(work or "?", 0) - int(amount)
    return out


def statements(
    settings: Settings, period: str, party: str | None = None, org: str | None = None
) -> dict[str, Any]:
    """`ledger statements --json`: {"statements": [{"party", "currency", "amount", "lines"}],
    "revenue": {cur: amount}, "allocated": {cur: amount}, ...} with decimal-string amounts."""
    parse_period(period)
    with open_session(settings, org) as s:
        return build(s, period, party)


def to_csv(report: dict[str, Any]) -> str:
    """One row per statement line (period, party, name, currency, transaction, posting, date,
    kind, source, work, amount)."""
    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")  # formula-like cells neutralised
    w.writerow(
        [
            "period",
            "party",
            "name",
            "currency",
            "transaction",
            "posting",
            "date",
            "kind",
            "source",
            "work",
            "amount",
        ]
    )
    for st in report["statements"]:
        for ln in st["lines"]:
            w.writerow(
                [
                    report["period"],
                    st["party"],
                    st["name"],
                    st["currency"],
                    ln["transaction"],
                    ln["posting"],
                    ln["date"],
                    ln["kind"],
                    ln["source"],
                    ln["work"] or "",
                    ln["amount"],
                ]
            )
    return buf.getvalue()


# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#882255",
)



def chart_colours(history: dict[str, dict[str, dict[str, Any]]]) -> dict[str, str]:
    """A colour per work of an earnings history, the same on every page that charts it."""
    works = sorted({w for per in history.values() for m in per.values() for w in m})
    return {w: _PALETTE[i % len(_PALETTE)] for i, w in enumerate(works)}


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:960px;color:#1d1d1f;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.muted{color:#6e6e73}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{padding:.3rem .6rem;border-bottom:1px solid #e5e5ea;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600;border-top:2px solid #1d1d1f}
.card{border:1px solid #e5e5ea;border-radius:8px;padding:1rem;margin:1rem 0}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;
height:.8rem;margin-right:.3rem;vertical-align:-1px;border-radius:2px}
svg text{font:11px system-ui,sans-serif;fill:#3a3a3c}
"""


def _grouped(amount: str) -> str:
    """'1234567.89' -> '1,234,567.89' (display only; the JSON and CSV keep plain decimals)."""
    sign, body = ("-", amount[1:]) if amount.startswith("-") else ("", amount)
    whole, dot, frac = body.partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def _axis_step(peak: int, ticks: int = 4) -> int:
    """A round gridline step (1, 2, 2.5 or 5 times a power of ten, in minor units) such that
    `ticks` steps cover `peak`."""
    raw = max(peak / ticks, 1)
    mag = 10 ** (len(str(int(raw))) - 1)
    for m in (1, 2, 2.5, 5, 10):
        step = int(m * mag)
        if step >= raw and step == m * mag:
            return step
    return 10 * mag


def _axis_label(v: int, currency: str) -> str:
    """Gridline label: grouped digits, without a fraction of zeros ('4,000,000')."""
    s = format_amount(v, currency)
    whole, _dot, frac = s.partition(".")
    return _grouped(whole if not frac.strip("0") else s)


def svg_chart(currency: str, by_month: dict[str, dict[str, int]], colours: dict[str, str]) -> str:
    """A stacked bar chart (inline SVG): one bar per month, one segment per work.

    The value axis has round gridlines and a left margin as wide as its longest label, so
    large amounts are not clipped at the edge of the drawing.
    """
    months = list(by_month)
    highest = max((sum(v.values()) for v in by_month.values()), default=0)
    step = _axis_step(highest)
    peak = step * 4
    labels = [_axis_label(step * i, currency) for i in range(5)]
    # ~6.5 px per character of the 11 px label font, plus the gap to the axis.
    left = max(48, int(6.5 * max(len(lb) for lb in labels)) + 14)
    width, height, right, top, bottom = 720, 260, 10, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    bar_w = plot_w / max(len(months), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="Earnings by work and month, {currency}">'
    ]
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e5ea"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{html.escape(labels[i])}</text>"
        )
    for i, month in enumerate(months):
        x = left + i * bar_w + bar_w * 0.15
        y = top + plot_h
        for work in sorted(by_month[month]):
            amt = by_month[month][work]
            if amt <= 0:
                continue
            h = plot_h * amt / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{colours[work]}"><title>{html.escape(work)} {month}: '
                f"{html.escape(_grouped(format_amount(amt, currency)))} {currency}</title></rect>"
            )
        parts.append(
            f'<text x="{left + i * bar_w + bar_w / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{month[2:]}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#1d1d1f"/></svg>'
    )
    return "".join(parts)


def to_html(
    report: dict[str, Any], history: dict[str, dict[str, dict[str, int]]], studio: str = ""
) -> str:
    """A self-contained page (inline CSS and SVG, no external asset): totals, a chart of
    earnings by work and month per currency, and each party's statement."""
    e = html.escape
    title = f"Royalty statements {report['period']}" + (
        f" — {report['party']}" if report.get("party") else ""
    )
    colours = chart_colours(history)
    out = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_CSS}</style></head><body>",
        f'<h1>{e(title)}</h1><p class="muted">{e(studio)} · generated by clearreel · amounts '
        "exact to the minor unit of each currency</p>",
    ]
    currencies = sorted(report["revenue"])
    out.append(
        '<div class="card"><table><thead><tr><th>Currency</th><th class="num">Revenue</th>'
        '<th class="num">Allocated to rights holders</th>'
        '<th class="num">Retained by the studio</th>'
        '<th class="num">In suspense</th></tr></thead><tbody>'
    )
    for c in currencies:
        out.append(
            f"<tr><td>{e(c)}</td>"
            + "".join(
                f'<td class="num">{e(_grouped(report[k].get(c, "0")))}</td>'
                for k in ("revenue", "allocated", "retained", "suspense")
            )
            + "</tr>"
        )
    if not currencies:
        out.append('<tr><td colspan="5" class="muted">No transactions in this period.</td></tr>')
    out.append("</tbody></table></div>")
    for cur in sorted(history):
        out.append(f'<h2>Earnings by work and month ({e(cur)})</h2><div class="card">')
        out.append(svg_chart(cur, history[cur], colours))
        present = sorted({w for m in history[cur].values() for w in m})
        out.append(
            '<p class="legend">'
            + "".join(
                f'<span><i style="background:{colours[w]}"></i>{e(w)}</span>' for w in present
            )
            + "</p></div>"
        )
    for st in report["statements"]:
        out.append(
            f'<h2>{e(st["name"])} <span class="muted">({e(st["party"])}) · '
            f"{e(st['currency'])}</span></h2>"
            "<table><thead><tr><th>Date</th><th>Transaction</th><th>Source</th><th>Work</th>"
            '<th class="num">Amount</th></tr></thead><tbody>'
        )
        for ln in st["lines"]:
            out.append(
                f"<tr><td>{e(ln['date'])}</td><td>{e(ln['transaction'])}</td>"
                f"<td>{e(ln['source'])}</td><td>{e(ln['work'] or '')}</td>"
                f'<td class="num">{e(_grouped(ln["amount"]))}</td></tr>'
            )
        out.append(
            '</tbody><tfoot><tr><td colspan="4">Total</td>'
            f'<td class="num">{e(_grouped(st["amount"]))} {e(st["currency"])}</td></tr>'
            "</tfoot></table>"
        )
    out.append("</body></html>")
    return "\n".join(out)


def render_html(
    settings: Settings,
    period: str,
    party: str | None = None,
    org: str | None = None,
    months: int = 12,
) -> tuple[dict[str, Any], str]:
    """(report, html page) for one period."""
    from clearreel.rights.models import Organization

    parse_period(period)
    with open_session(settings, org) as s:
        report = build(s, period, party)
        history = earnings_by_month(s, period, party, months)
        org_row = s.get(Organization, s.info.get("org"))
        studio = org_row.name if org_row else ""
    return report, to_html(report, history, studio)


__all__ = [
    "build",
    "chart_colours",
    "earnings_by_month",
    "parse_period",
    "render_html",
    "statements",
    "svg_chart",
    "to_csv",
    "to_html",
]
