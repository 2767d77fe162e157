"""`clearreel serve`: the web studio and the JSON API."""

from __future__ import annotations

import typer

from clearreel.cli._common import err, settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
          worker: bool = typer.Option(True, "--worker/--no-worker",
                                      help="Run browser-started jobs in this server."),
          access_log: bool = typer.Option(False, "--access-log", help="Log every request.")
          ) -> None:
    """The web studio (pages) and the JSON API (/api/v1, OpenAPI at /api/v1/openapi.json)."""
    try:
        import uvicorn
    except ImportError:
        from clearreel.errors import MissingDependency

        raise MissingDependency("the web studio needs uvicorn and fastapi: "
                                "pip install 'fastapi' 'uvicorn'") from None
    from clearreel.db import connect
    from clearreel.web import create_app

    s = settings()
    connect(s)  # a missing workspace is exit 2 before the server starts
    app = create_app(s, worker=worker)
    err.print(f"clearreel studio on http://{host}:{port}/ (API: /api/v1, docs: docs/web.md)",
              markup=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=access_log)
