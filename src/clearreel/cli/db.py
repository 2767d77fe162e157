"""`clearreel db`: the database itself (PostgreSQL roles under row-level security)."""

from __future__ import annotations

import typer

from clearreel.cli._common import emit_json, err, out, settings

db_app = typer.Typer(help="The database: one role per organization (PostgreSQL).",
                     no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("provision")
def provision(
    role: str | None = typer.Option(None, "--role", help="Role name (default: derived from "
                                    "the organization, the database and the schema)."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Create the organization's own database role (login, a generated password) under
    row-level security, and print its URL once. Run again to give the role a new password."""
    from clearreel.db import connect, resolve_org
    from clearreel.db.rls import provision as make_role
    from clearreel.errors import UsageError

    s = settings()
    engine = connect(s)
    if engine.dialect.name != "postgresql":
        raise UsageError("database roles and row-level security are PostgreSQL only: set "
                         "CLEARREEL_DATABASE_URL to a postgresql:// URL (SQLite has no roles)")
    org = resolve_org(s, engine)
    info = make_role(engine, s.url, org, role)
    if json_:
        emit_json(info)
        return
    out.print(f"role {info['role']} {'created' if info['created'] else 'given a new password'} "
              f"for organization {org}; it sees only {org}'s rows.")
    out.print(info["url"], markup=False)
    err.print("the password is shown once: store the URL now (run again for a new password)")
