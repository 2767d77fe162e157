from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from clearreel.cli._common import emit_json, err, out, parse_date, settings
from clearreel.cli.audit import ANCHORS_OPTION

ledger_app = typer.Typer(
    help="The royalty ledger: revenue, licence deals, statements, checks.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


def _print_posted(data: dict[str, Any]) -> None:
    c = data["currency"]
    out.print(
        f"{data['transaction']}  {data['kind']}  {data['source']}  {data['amount']} {c}  "
        f"({data['date']})",
        markup=False,
    )
    out.print(
        f"  studio {data['studio']} {c} · rights pool {data['pool']} {c} "
        f"({data['pool_percent']} %)",
        markup=False,
    )
    for a in data["allocations"]:
        who = a["party"] or "(suspense: no points holder)"
        out.print(f"    {who:<24} {a['work']:<20} {a['amount']:>14} {c}", markup=False)


@ledger_app.command("revenue")
def revenue(
    output: str = typer.Option(
        ..., "--output", help="Output id (from `clearreel generate --json`)."
    ),
    amount: str = typer.Option(..., "--amount", help="Amount in major units, e.g. 1234.56."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code, e.g. USD, EUR, JPY."),
    on: str | None = typer.Option(None, "--on", help="Effective date (default today)."),
    pool: str | None = typer.Option(
        None,
        "--pool",
        help="Rights holders' pool in percent (default: the studio setting, else 50).",
    ),
    reference: str | None = typer.Option(
        None, "--reference", help="Your id for it (invoice number): a repeat is refused."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Revenue earned by one generated output, allocated to rights holders by its attribution."""
    from clearreel.ledger import record_revenue

    posted = record_revenue(settings(), output, amount, currency, on=parse_date(on), pool=pool,
                            reference=reference)
    data = posted.to_json()
    emit_json(data) if json_ else _print_posted(data)


@ledger_app.command("deal")
def deal(
    licensee: str = typer.Option(..., "--licensee", help="Who licenses the dataset."),
    dataset: str = typer.Option(..., "--dataset", help="Dataset name."),
    amount: str = typer.Option(..., "--amount", help="Fee in major units, e.g. 250000.00."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code."),
    on: str | None = typer.Option(None, "--on", help="Effective date (default today)."),
    pool: str | None = typer.Option(
        None,
        "--pool",
        help="Share of the fee for the works' participants in percent (default 100).",
    ),
    reference: str | None = typer.Option(
        None, "--reference", help="Your id for the deal (contract number): a repeat is refused."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """A licence fee for a dataset, divided among its works by minutes, then by points.

    Refused (exit 1, with the clips and reasons; nothing written) unless every clip clears
    `sublicensing` and its performers' training consents today (and on --on)."""
    from clearreel.errors import Denied
    from clearreel.ledger import record_deal

    try:
        posted = record_deal(settings(), licensee, dataset, amount, currency,
                             on=parse_date(on), pool=pool, reference=reference)
    except Denied as e:
        if json_ and e.report is not None:
            emit_json(e.report)
        raise
    data = posted.to_json()
    emit_json(data) if json_ else _print_posted(data)


@ledger_app.command("statements")
def statements_(
    period: str = typer.Option(..., "--period", help="Month, YYYY-MM."),
    party: str | None = typer.Option(None, "--party", help="Only this party's statement."),
    json_: bool = typer.Option(False, "--json"),
    csv_: Path | None = typer.Option(None, "--csv", help="Also write the lines as CSV here."),
    html_: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML page."
    ),
) -> None:
    """Statements per party for one month: JSON, CSV, or an HTML page with a chart."""
    from clearreel.ledger import render_html, to_csv
    from clearreel.ledger.statements import parse_period

    parse_period(period)
    report, page = render_html(settings(), period, party)
    if csv_ is not None:
        csv_.parent.mkdir(parents=True, exist_ok=True)
        csv_.write_text(to_csv(report), encoding="utf-8")
        err.print(f"wrote {csv_}")
    if html_ is not None:
        html_.parent.mkdir(parents=True, exist_ok=True)
        html_.write_text(page, encoding="utf-8")
        err.print(f"wrote {html_}")
    if json_:
        emit_json(report)
        return
    for c in sorted(report["revenue"]):
        out.print(
            f"{report['period']} {c}: revenue {report['revenue'][c]}, allocated "
            f"{report['allocated'][c]}, retained {report['retained'][c]}, suspense "
            f"{report['suspense'][c]}",
            markup=False,
        )
    for st in report["statements"]:
        out.print(
            f"  {st['party']:<24} {st['name']:<28} {st['amount']:>14} {st['currency']} "
            f"({len(st['lines'])} line(s))",
            markup=False,
        )
    if not report["statements"]:
        out.print(f"no earnings in {report['period']}", markup=False)


@ledger_app.command("check")
def check_(json_: bool = typer.Option(False, "--json"),
           anchors: Path | None = ANCHORS_OPTION) -> None:
    """Every transaction balances, the chain of postings is intact and agrees with its signed
    anchors (exit 1 if not)."""
    from clearreel.cli.audit import _exported
    from clearreel.ledger import check
    from clearreel.provenance.anchors import describe

    root, _key = _exported(anchors)
    result = check(settings(), anchors=root)
    if json_:
        emit_json(result)
    elif result["problems"]:
        for p in result["problems"]:
            err.print(p, markup=False)
    else:
        out.print(
            f"ledger intact: {result['transactions']} transactions, {result['postings']} "
            f"postings, head {result['head'][:16]}…; {describe('ledger', result['anchors'])}",
            markup=False,
        )
    if result["problems"]:
        raise typer.Exit(1)


@ledger_app.command("pool")
def pool_(
    percent: str | None = typer.Argument(None, help="New default pool percentage (0-100)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Show or set the studio's default rights-holder pool for output revenue."""
    from clearreel.ledger import get_pool_percent, set_pool_percent

    pct = (
        set_pool_percent(settings(), percent)
        if percent is not None
        else get_pool_percent(settings())
    )
    if json_:
        emit_json({"pool_percent": f"{pct:f}"})
    else:
        out.print(f"rights holders' pool: {pct:f} % of output revenue", markup=False)
