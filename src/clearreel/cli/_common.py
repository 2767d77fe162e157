"""Shared CLI plumbing: global options, JSON output, errors (progress: util.progress)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from clearreel.config import Settings
from clearreel.errors import CatalogError, ClearreelError, UsageError

# Human output goes to stderr when --json is set, so stdout holds one JSON document only.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_state: dict[str, Any] = {}


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"clearreel {version('clearreel')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        from clearreel import __version__

        return f"clearreel {__version__}"


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(version_text() + "\n")
        raise typer.Exit()


def app_callback(
    home: Path | None = typer.Option(
        None,
        "--home",
        envvar="CLEARREEL_HOME",
        help="Workspace directory (default ./clearreel-home).",
    ),
    org: str | None = typer.Option(
        None,
        "--org",
        envvar="CLEARREEL_ORG",
        help="Organization (tenant) to act for; default: the only one.",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="CLEARREEL_DATABASE_URL",
        help="SQLAlchemy URL (default: SQLite in the workspace).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="CLEARREEL_DEBUG",
        help="Show the traceback of an internal or environment error (exit 3).",
    ),
) -> None:
    """clearreel: rights registry, curation, training, guarded generation, provenance, royalties."""
    _state["debug"] = debug
    _state["settings"] = Settings(
        home=home or Path(os.environ.get("CLEARREEL_HOME", "clearreel-home")),
        database_url=database_url,
        org=org,
    )


def debugging() -> bool:
    return bool(_state.get("debug")) or os.environ.get("CLEARREEL_DEBUG", "") not in ("", "0")


def settings() -> Settings:
    s = _state.get("settings")
    return s if isinstance(s, Settings) else Settings()


def emit_json(data: Any) -> None:
    """Print exactly one JSON document on stdout."""
    from clearreel.util.jsonable import dumps

    sys.stdout.write(dumps(data) + "\n")
    sys.stdout.flush()


def parse_date(value: str | None, option: str = "--on") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date: use ISO 8601, e.g. 2026-03-31"
        ) from None


def report_error(e: ClearreelError) -> None:
    if isinstance(e, CatalogError):
        for p in e.problems:
            err.print(p, markup=False)
        err.print(f"[red]refused:[/red] {len(e.problems)} problem(s); nothing was written.")
        return
    from rich.markup import escape

    label = "failed" if e.exit_code == 1 else "error"
    # The message is plain text: a speaker label such as [JON] is not rich markup.
    err.print(f"[red]{label}:[/red] {escape(str(e))}", markup=True, highlight=False)


def fail(message: str) -> None:
    """Exit 1 with a message: a denial or a failed verification."""
    err.print(f"[red]failed:[/red] {message}")
    raise typer.Exit(1)


__all__ = [
    "ClearreelError",
    "emit_json",
    "err",
    "fail",
    "out",
    "parse_date",
    "settings",
]
