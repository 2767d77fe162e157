from __future__ import annotations

import typer

from clearreel.cli._common import emit_json, out, settings


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Create the workspace, its database and the studio's keys (idempotent)."""
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys

    s = settings()
    for sub in ("keys", "media", "datasets", "models", "outputs", "cache"):
        s.path(sub).mkdir(parents=True, exist_ok=True)
    init_db(s)
    keys = ensure_studio_keys(s)
    if json_:
        emit_json({"home": str(s.home.resolve()), "database": s.url.split("@")[-1], "keys": keys})
    else:
        out.print(f"workspace ready at {s.home.resolve()}")
