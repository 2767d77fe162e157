"""`clearreel rights`: ask the clearance engine one question, explain the answer."""

from __future__ import annotations

from typing import Any

import typer

from clearreel.cli._common import emit_json, err, out, parse_date, settings

rights_app = typer.Typer(help="Clearance decisions: may this material be used for this purpose, "
                              "here, now?", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rights_app, name="rights")


_MARK = {"allow": "[green]✓[/green]", "deny": "[red]✗[/red]", "info": "[dim]·[/dim]"}


def _explain(d: Any, headline: str) -> None:
    verdict = "[bold green]ALLOWED[/bold green]" if d.allowed else "[bold red]DENIED[/bold red]"
    out.print(f"{verdict}  {headline}")
    first = "allow" if d.allowed else "deny"
    order = {first: 0, "allow": 1, "deny": 1, "info": 2}
    for r in sorted(d.reasons, key=lambda r: order.get(r.effect, 3)):
        out.print(f"  {_MARK.get(r.effect, '-')} {r.code:<36}", end="")
        out.print(r.detail, markup=False)


def _check_performers(s: Any, performers: list[str]) -> None:
    from sqlalchemy import select

    from clearreel.errors import NotFound
    from clearreel.rights.models import Party

    known = set(s.scalars(select(Party.id).where(Party.id.in_(performers))))
    for p in performers:
        if p not in known:
            raise NotFound(f"unknown performer {p!r}: --performer takes a party id "
                           "(see `clearreel catalog list`)")


@rights_app.command("check")
def check(work: str = typer.Option(..., "--work", help="Work id."),
          use: str = typer.Option(..., "--use", help="ai_training, ai_generative_training, "
                                  "ai_inference, data_mining, character_generation, "
                                  "digital_replica."),
          territory: str | None = typer.Option(None, "--territory",
                                               help="ISO 3166-1 alpha-2 code or WORLD "
                                                    "(default: the organization's home "
                                                    "territory)."),
          on: str | None = typer.Option(None, "--on", help="Date, YYYY-MM-DD (default today)."),
          performer: list[str] = typer.Option([], "--performer",
                                              help="A performer present (repeatable); default: "
                                                   "everyone present in the work by the "
                                                   "presence rule."),
          json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """One clearance decision: exit 0 allowed, 1 denied, 2 bad input."""
    from clearreel.db import open_session
    from clearreel.rights.clearance import check_use

    day = parse_date(on)
    with open_session(settings()) as s:
        if performer:
            _check_performers(s, performer)
        d = check_use(s, work, use, on=day, territory=territory, performers=performer or None)
    if json_:
        emit_json(d.to_json())
    else:
        q = d.question
        who = f"; performers present: {', '.join(q['performers'])}" if q["performers"] else ""
        _explain(d, f"{use} of {work} on {q['on']} in {q['territory']}{who}")
    if not d.allowed:
        raise typer.Exit(1)


@rights_app.command("generation")
def generation(performer: list[str] = typer.Option([], "--performer", help="Performer depicted."),
               character: list[str] = typer.Option([], "--character", help="Character depicted."),
               project: str | None = typer.Option(None, "--project"),
               purpose: str | None = typer.Option(None, "--purpose", help="e.g. previz, final."),
               territory: str | None = typer.Option(None, "--territory"),
               on: str | None = typer.Option(None, "--on",
                                             help="Date, YYYY-MM-DD (default today)."),
               json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """May new footage depict these performers and characters (rule 4)?"""
    from clearreel.db import open_session
    from clearreel.rights.clearance import check_generation

    day = parse_date(on)
    with open_session(settings()) as s:
        if performer:
            _check_performers(s, performer)
        d = check_generation(s, performers=performer, characters=character, project=project,
                             purpose=purpose, on=day, territory=territory)
    if json_:
        emit_json(d.to_json())
    else:
        depicted = ", ".join(d.question["performers"] + d.question["characters"]) or "nobody"
        _explain(d, f"generation depicting {depicted} (project {project or '-'}, purpose "
                    f"{purpose or '-'}) on {d.question['on']}")
    if not d.allowed:
        raise typer.Exit(1)


@rights_app.command("scan")
def scan(work: list[str] = typer.Option([], "--work", help="Only these works (repeatable)."),
         json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Re-read rights reservations (IPTC, CAWG/C2PA, TDMRep) embedded in the works' media."""
    from sqlalchemy import select

    from clearreel.db import open_session
    from clearreel.rights import audit
    from clearreel.rights.catalog import scan_reservations
    from clearreel.rights.models import Reservation, Work

    with open_session(settings()) as s:
        _, warnings = scan_reservations(s, work or None)
        rows = [{"work": w, "use": r.use, "value": r.value, "source": r.source, "raw": r.raw}
                for r, w in s.execute(select(Reservation, Work.id)
                                      .join(Work, Work.pk == Reservation.work_pk)
                                      .order_by(Work.id, Reservation.pk)).all()
                if not work or w in work]
        audit.record(s, "rights.scan", ",".join(work) or None, reservations=len(rows))
    if json_:
        emit_json({"reservations": rows, "warnings": warnings})
        return
    for w in warnings:
        err.print(f"warning: {w}", markup=False)
    out.print(f"{len(rows)} reservation(s) recorded")
    for r in rows:
        out.print(f"  {r['work']:<20} {r['use']:<24} {r['value']:<12} {r['source']}", markup=False)


@rights_app.command("consent-mode")
def consent_mode(mode: str | None = typer.Argument(None, help="strict or unless_refused; "
                                                   "omit to show the current mode."),
                 json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
                 ) -> None:
    """Show or set rule 3's consent mode: strict (default) or unless_refused."""
    from sqlalchemy import select

    from clearreel.db import open_session
    from clearreel.errors import UsageError
    from clearreel.rights import audit
    from clearreel.rights.clearance import CONSENT_MODES, engine
    from clearreel.rights.models import Setting

    with open_session(settings()) as s:
        row = s.scalars(select(Setting).where(Setting.key == "consent_mode")).first()
        if mode is not None:
            if mode not in CONSENT_MODES:
                raise UsageError(f"unknown consent mode {mode!r}: use {' or '.join(CONSENT_MODES)}")
            if row is None:
                s.add(Setting(key="consent_mode", value=mode))
            else:
                row.value = mode
            audit.record(s, "rights.consent_mode", mode)
            s.flush()
        engine(s)._load()
        current = engine(s).mode
    if json_:
        emit_json({"consent_mode": current})
    else:
        out.print(f"consent mode: {current}")


@rights_app.command("report")
def report(work: str | None = typer.Option(None, "--work", help="Work id."),
           performer: str | None = typer.Option(None, "--performer",
                                                help="Party id: every work they are in."),
           territory: str | None = typer.Option(None, "--territory",
                                                help="ISO 3166-1 alpha-2 code or WORLD "
                                                     "(default: home territory)."),
           on: str | None = typer.Option(None, "--on", help="What would have been decided on "
                                         "this date (default today)."),
           csv_: bool = typer.Option(False, "--csv", help="Print CSV (formula-safe cells)."),
           json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """A matrix of uses x works, allowed or denied, with the reasons (--json, --csv)."""
    import sys

    from clearreel.db import open_session
    from clearreel.errors import UsageError
    from clearreel.rights.report import report as report_
    from clearreel.rights.report import to_csv

    if csv_ and json_:
        raise UsageError("--csv and --json both print the report: choose one")
    day = parse_date(on)
    with open_session(settings()) as s:
        doc = report_(s, work=work, performer=performer, on=day, territory=territory)
    if json_:
        emit_json(doc)
        return
    if csv_:
        sys.stdout.write(to_csv(doc))
        return
    subject = f"work {work}" if work else f"performer {performer}"
    out.print(f"[bold]{subject}[/bold] on {doc['on']} in {territory or 'home territory'}")
    width = max((len(u) for u in doc["uses"]), default=10)
    for w in doc["works"]:
        out.print(f"\n[bold]{w}[/bold]")
        for c in (c for c in doc["cells"] if c["work"] == w):
            mark = _MARK["allow"] if c["allowed"] else _MARK["deny"]
            out.print(f"  {mark} {c['use']:<{width}}  ", end="")
            out.print(", ".join(c["codes"]) or "-", markup=False)
    if not doc["works"]:
        err.print(f"{performer} is credited in no work and placed in no scene")
