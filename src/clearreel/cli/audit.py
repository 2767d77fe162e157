from __future__ import annotations

import typer

from clearreel.cli._common import emit_json, err, out, settings

audit_app = typer.Typer(
    help="The hash-chained audit log of every rights decision.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(json_: bool = typer.Option(False, "--json")) -> None:
    """Check the chain: exit 1 if any entry was edited, deleted or reordered."""
    from clearreel.db import open_session
    from clearreel.rights import audit

    with open_session(settings()) as s:
        problems = audit.verify(s)
        n = len(audit.entries(s))
    if json_:
        emit_json({"valid": not problems, "entries": n, "problems": problems})
    elif problems:
        for p in problems:
            err.print(p)
    else:
        out.print(f"audit log intact: {n} entries")
    if problems:
        raise typer.Exit(1)


@audit_app.command("list")
def list_(
    action: str | None = typer.Option(None, help="Only this action, e.g. rights.check."),
    limit: int = typer.Option(20),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit entries."""
    from clearreel.db import open_session

    with open_session(settings()) as s:
        from clearreel.rights.listing import audit_rows

        rows = audit_rows(s, action, limit)
    if json_:
        emit_json({"entries": rows})
        return
    for r in rows:
        out.print(
            f"{r['seq']:>6}  {r['at']:%Y-%m-%d %H:%M:%S}  {r['action']:<22} {r['subject'] or ''}",
            markup=False,
        )
