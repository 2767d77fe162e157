from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    directory: Path = typer.Argument(
        Path("clearreel-demo"),
        help="Where the demo writes everything: its own workspace (a previous demo is replaced).",
    ),
    films: int = typer.Option(5, min=1, max=8, help="How many synthetic films (the first three "
                              "exercise the rules, the rest are cleared shorts)."),
    seed: int = typer.Option(0, help="Seed of the sample studio."),
    quick: bool = typer.Option(False, "--quick", help="Shorter films and training (a smoke run)."),
    json_: bool = typer.Option(False, "--json", help="Print one JSON summary of every stage."),
) -> None:
    """The whole flow on the sample studio: rights, curation, training, guarded generation,
    provenance, attribution and royalties."""
    from rich.console import Console

    from clearreel.demo import run_demo

    console = err if json_ else Console(highlight=False)
    summary = run_demo(directory, films=films, seed=seed, quick=quick, console=console)
    if json_:
        emit_json(summary)
