from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err, out, parse_date, settings


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    prompt: str = typer.Argument(..., help="What the shot shows."),
    model: str = typer.Option(..., "--model", "-m", help="A registered model (clearreel train)."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="The mp4 to write (default $CLEARREEL_HOME/outputs/ID.mp4)."),
    project: str | None = typer.Option(None, help="Production (consent scope)."),
    purpose: str | None = typer.Option(None, help="e.g. previz or final (consent scope)."),
    seed: int = typer.Option(0, help="Random seed."),
    frames: int | None = typer.Option(None, help="Frames per generated segment."),
    height: int | None = typer.Option(None, help="Frame height in pixels."),
    width: int | None = typer.Option(None, help="Frame width in pixels."),
    steps: int | None = typer.Option(None, help="Denoising steps."),
    image: Path | None = typer.Option(None, help="A storyboard frame (PNG): image-to-video."),
    seconds: float | None = typer.Option(None, help="Chain segments up to this length (≤ 60 s)."),
    on: str | None = typer.Option(None, help="A second date on which the request must also "
                                  "clear (it must clear today whatever this says)."),
    territory: str | None = typer.Option(None, help="ISO 3166 code (default: home)."),
    json_: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Generate a shot: prompt guard, frames, copy guard, watermark, C2PA, attribution.

    Exit 1 when the request is blocked (nothing is made); the reasons say why. A model whose
    dataset no longer clears is suspended (`model.dataset_uncleared`).
    """
    from clearreel.generate.pipeline import Request
    from clearreel.generate.pipeline import generate as run

    req = Request(model=model, prompt=prompt, project=project, purpose=purpose, seed=seed,
                  frames=frames, height=height, width=width, steps=steps,
                  image=str(image) if image else None, seconds=seconds,
                  on=parse_date(on), territory=territory)
    result = run(settings(), req, out=output)
    if json_:
        emit_json(result)
    elif result["blocked"]:
        err.print(f"[red]blocked[/red] {result['output']}: nothing was generated")
        for r in result["reasons"]:
            err.print(f"  - {r.get('code')}: {r.get('detail')}", markup=False)
    else:
        out.print(f"{result['output']} → {result['path']}", markup=False)
        for a in result["attribution"]:
            out.print(f"  {a['work']}: {a['share']}", markup=False)
    if result["blocked"]:
        raise typer.Exit(1)
