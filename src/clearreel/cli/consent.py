"""`clearreel consent grant|revoke|show`: consents and revocations without YAML surgery."""

from __future__ import annotations

from typing import Any

import typer

from clearreel.cli._common import emit_json, out, parse_date, settings

consent_app = typer.Typer(help="Performers' consents: record, revoke (showing what it reaches), "
                               "list.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")


def _line(k: dict[str, Any]) -> str:
    scope = (f"works {_all(k['works'])}, projects {_all(k['projects'])}, "
             f"purposes {_all(k['purposes'])}")
    term = f"signed {k['signed']}" + (f", expires {k['expires']}" if k["expires"] else "")
    if k["revoked"]:
        term += f", revoked {k['revoked']}"
    force = "in force today" if k["in_force_today"] else "not in force today"
    return f"{k['id']}  {k['kind']}  {k['status']}  {term}  ({force})  {scope}"


def _all(v: Any) -> str:
    return v if isinstance(v, str) else ",".join(v)


@consent_app.command("grant")
def grant(
    party: str = typer.Option(..., "--party", help="The performer (party id)."),
    kind: str = typer.Option(..., "--kind", help="training, digital_replica, likeness or voice."),
    signed: str = typer.Option(..., "--signed", help="Date signed (YYYY-MM-DD)."),
    works: list[str] = typer.Option([], "--work", help="A work it covers (repeat; default all)."),
    projects: list[str] = typer.Option([], "--project", help="A project it covers (repeat; "
                                       "default all)."),
    purposes: list[str] = typer.Option([], "--purpose", help="A purpose it covers, e.g. previz "
                                       "(repeat; default all)."),
    expires: str | None = typer.Option(None, "--expires", help="First day it no longer holds."),
    evidence: str | None = typer.Option(None, "--evidence", help="The signed document (a path, "
                                        "recorded with its SHA-256) or a note."),
    description: str = typer.Option("", "--description", help="What was agreed, in words."),
    id_: str | None = typer.Option(None, "--id", help="Consent id (default k-PARTY-KIND-DATE)."),
    refused: bool = typer.Option(False, "--refused", help="Record a refusal instead."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Record a consent (or, with --refused, a refusal) for a performer; audited."""
    from clearreel.db import open_session
    from clearreel.rights.consents import consent_doc
    from clearreel.rights.consents import grant as grant_

    signed_d = parse_date(signed, "--signed")
    assert signed_d is not None
    with open_session(settings()) as s:
        k = grant_(s, party=party, kind=kind, signed=signed_d, works=works or None,
                   projects=projects or None, purposes=purposes or None,
                   expires=parse_date(expires, "--expires"), evidence=evidence,
                   description=description, id=id_, status="refused" if refused else "granted")
        doc = consent_doc(k)
    if json_:
        emit_json(doc)
    else:
        out.print(f"recorded {_line(doc)}", markup=False)


@consent_app.command("revoke")
def revoke(
    consent: str = typer.Argument(..., help="Consent id."),
    date: str | None = typer.Option(None, "--date", help="The day it stopped (default today)."),
    evidence: str | None = typer.Option(None, "--evidence", help="The revocation letter (a "
                                        "path) or a note."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Revoke a consent; print the clips, datasets and models it affects (and suspend those
    models until they are retrained on a rebuilt dataset)."""
    from clearreel.db import open_session
    from clearreel.train.downstream import revoke as revoke_

    with open_session(settings()) as s:
        a = revoke_(s, consent, date=parse_date(date, "--date"), evidence=evidence)
    if json_:
        emit_json(a.to_json())
        return
    out.print(f"revoked {a.consent} ({a.party}); checked on {a.effective}", markup=False)
    for c in a.clips:
        out.print(f"  clip {c['clip']}  {c['dataset']}  {c['work']} {c['start_tc']}-{c['end_tc']}"
                  f"  {','.join(c['reasons'])}", markup=False)
    out.print(f"datasets affected: {', '.join(a.datasets) or 'none'}", markup=False)
    out.print(f"models suspended: {', '.join(a.models) or 'none'}", markup=False)
    for d in a.datasets:
        out.print(f"  rebuild with `clearreel dataset rebuild {d} --as {d}-r`, then retrain",
                  markup=False)


@consent_app.command("show")
def show(
    party: str = typer.Argument(..., help="Party id."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """A party's consents: kind, status, dates, scope, whether in force today."""
    from clearreel.db import open_session
    from clearreel.rights.consents import consents_of

    with open_session(settings()) as s:
        doc = consents_of(s, party)
    if json_:
        emit_json(doc)
        return
    out.print(f"{doc['name']} ({doc['party']}): {len(doc['consents'])} consent(s)", markup=False)
    for k in doc["consents"]:
        out.print(f"  {_line(k)}", markup=False)
    if not doc["consents"]:
        out.print(f"  none: record one with `clearreel consent grant --party {party} --kind "
                  "training --signed YYYY-MM-DD`", markup=False)
