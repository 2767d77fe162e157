"""`clearreel user`: accounts of the web studio and the API (the operator's admin path)."""

from __future__ import annotations

import sys

import typer

from clearreel.cli._common import emit_json, err, out, settings

user_app = typer.Typer(help="Accounts of the web studio and API: a role in one organization.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")


@user_app.command("add")
def add(name: str = typer.Argument(..., help="User name (lowercase letters, digits, . _ -)."),
        role: str = typer.Option(..., "--role", help="admin, rights, creative or finance."),
        password_stdin: bool = typer.Option(False, "--password-stdin",
                                            help="Read the password from stdin instead of "
                                                 "generating one."),
        json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Create an account in the organization (--org); prints a generated password once."""
    from clearreel.web.accounts import add_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    account, pw = add_user(settings(), name, role, org=settings().org, password=password)
    if json_:
        emit_json({**account.to_json(), "password": None if password_stdin else pw})
        return
    out.print(f"user {account.name} ({account.role}) in {account.org}", markup=False)
    if not password_stdin:
        out.print(f"password: {pw}", markup=False)
        err.print("shown once: only its argon2 hash is stored", markup=False)


@user_app.command("token")
def token(name: str = typer.Argument(..., help="User name."),
          json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Issue an API token (Authorization: Bearer TOKEN); shown once, stored hashed."""
    from clearreel.web.accounts import issue_token

    account, tok = issue_token(settings(), name)
    if json_:
        emit_json({**account.to_json(), "token": tok})
    else:
        out.print(tok, markup=False)


@user_app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """The organization's accounts."""
    from clearreel.web.accounts import list_users

    rows = list_users(settings(), settings().org)
    if json_:
        emit_json({"users": rows})
        return
    for r in rows:
        out.print(f"{r['name']:<24} {r['role']:<9} {r['org']}  "
                  f"{'active' if r['active'] else 'disabled'}", markup=False)
