"""The `clearreel` command line.

Every module in this package that does not start with an underscore exposes
`register(app)`, adding its command or command group. Modules import heavy packages
(torch, diffusers, av) inside their commands only, so `clearreel --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import typer

from clearreel.cli._common import app_callback, debugging, err, report_error
from clearreel.errors import ClearreelError, environment_error


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="clearreel",
        help="A studio's own licensed library, turned into a private text-to-video model, "
             "provably clean at every step.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    app.callback()(app_callback)
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        importlib.import_module(f"{__name__}.{mod}").register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    app = build_app()
    try:
        app(args=argv, prog_name="clearreel")
    except ClearreelError as e:
        report_error(e)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as e:  # the boundary: an environment fault or a bug is exit 3, one line
        if debugging():
            traceback.print_exc()
        internal = environment_error(e)
        report_error(internal)
        sys.exit(internal.exit_code)


__all__ = ["build_app", "main"]
