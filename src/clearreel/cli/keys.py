"""`clearreel keys`: each organization's signing key and certificate chain."""

from __future__ import annotations

import typer

from clearreel.cli._common import emit_json, out, settings

keys_app = typer.Typer(help="The organization's signing key and certificates.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def rotate(
    new_ca: bool = typer.Option(False, "--new-ca", help="Also start a new CA (when the old CA "
                                "key was not kept or is compromised); the old CA stays trusted "
                                "for what it signed."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Issue a new signing key and certificate; the old certificate is kept, so datasets and
    outputs signed before still verify, and retired, so nothing it signs from now on does."""
    from clearreel.db import resolve_org
    from clearreel.provenance import keys

    s = settings()
    org = resolve_org(s)
    info = keys.rotate_new_ca(s, org) if new_ca else keys.rotate(s, org)
    if json_:
        emit_json(info)
    else:
        out.print(f"{org}: new signing certificate {info['serial']} (valid to "
                  f"{info['not_after'][:10]}); {info['retired']} retired; {info['certs']} "
                  "certificates kept")


@keys_app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """The organization's certificates: serial, validity, and when each was retired."""
    from clearreel.db import resolve_org
    from clearreel.provenance import keys

    s = settings()
    org = resolve_org(s)
    certs = keys.read_certs(s, org)
    if json_:
        emit_json({"organization": org, "certificates": certs})
        return
    for c in certs:
        state = f"retired {c['retired'][:19]}" if c["retired"] else "current"
        out.print(f"{c['serial']}  {c['not_before'][:10]} .. {c['not_after'][:10]}  {state}")
