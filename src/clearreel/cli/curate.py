"""`clearreel curate`: build a cleared, captioned dataset with a signed bill of materials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from clearreel.cli._common import emit_json, err, out, parse_date, settings


def register(app: typer.Typer) -> None:
    app.command("curate")(curate)


def _config(path: Path | None, overrides: dict[str, Any]) -> Any:
    from clearreel.curate.config import CurateConfig
    from clearreel.errors import UsageError

    data: dict[str, Any] = {}
    if path is not None:
        if not path.exists():
            raise UsageError(f"--config {path}: no such file")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text) or {}
            else:
                data = json.loads(text)
        except (ValueError, Exception) as e:  # yaml.YAMLError or JSONDecodeError
            raise UsageError(f"--config {path}: cannot parse it ({e})") from None
    data.update({k: v for k, v in overrides.items() if v is not None})
    return CurateConfig.from_dict(data)


def curate(
    dataset: str = typer.Option(..., "--dataset", help="Name of the dataset to build (or resume)."),
    works: list[str] = typer.Option(
        [], "--works", "--work", help="Work id (repeatable); default: every work in the registry."
    ),
    on: str | None = typer.Option(None, "--on", help="A second date, YYYY-MM-DD, on which every "
                                   "clip must also clear (it must clear today regardless)."),
    territory: str | None = typer.Option(
        None, "--territory", help="ISO 3166-1 alpha-2 or WORLD (default: home territory)."
    ),
    engine: str = typer.Option("local", "--engine", help="local (process pool) or ray (Ray Data)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Parallel workers (default: cores)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="CurateConfig as JSON or YAML (unknown keys are an error)."
    ),
    detector: str | None = typer.Option(
        None,
        "--shots",
        help="Shot detector: transnetv2-cascade (default), transnetv2 (every frame) "
        "or pyscenedetect.",
    ),
    captioner: str | None = typer.Option(None, "--captioner", help="Captioner backend name."),
    min_seconds: float | None = typer.Option(None, "--min-seconds", help="Shortest clip (s)."),
    max_seconds: float | None = typer.Option(None, "--max-seconds", help="Longest clip (s)."),
    width: int | None = typer.Option(
        None, "--width", help="Training width of the clips (px, even)."
    ),
    height: int | None = typer.Option(
        None, "--height", help="Training height of the clips (px, even)."
    ),
    fps: float | None = typer.Option(None, "--fps", help="Training frame rate of the clips."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Build a cleared dataset: analyse every media file, filter, clear, dedup, cut, sign.

    Run the same command again after an interruption: it resumes where it stopped.
    """
    from clearreel.curate import curate as run

    cfg = _config(
        config,
        {
            "detector": detector,
            "captioner": captioner,
            "clip_min_s": min_seconds,
            "clip_max_s": max_seconds,
            "train_width": width,
            "train_height": height,
            "train_fps": fps,
        },
    )
    summary = run(
        settings(),
        dataset,
        works=works or None,
        on=parse_date(on),
        territory=territory,
        engine=engine,
        workers=workers,
        config=cfg,
        progress=True,  # on stderr: --json keeps stdout to the one document
    )
    if json_:
        emit_json(summary)
        return
    _report(summary)


def _report(s: dict[str, Any]) -> None:
    out.print(f"[bold]{s['dataset']}[/bold] ({s['id']}){' — resumed' if s.get('resumed') else ''}")
    out.print(
        f"  in:  {s.get('media', 0)} media file(s), {s.get('hours_in', 0) * 60:.1f} min "
        f"({s.get('frames_in', 0)} frames)"
    )
    out.print(f"  out: [green]{s['clips']}[/green] clip(s), {s.get('seconds_out', 0):.1f} s")
    out.print(f"  excluded: {s['excluded']} candidate clip(s)")
    for code, n in (s.get("excluded_by_reason") or {}).items():
        out.print(f"    {n:>5}  {code}")
    q = s.get("quarantined") or []
    if q:
        err.print(f"  [yellow]quarantined[/yellow]: {len(q)} file(s)")
        for item in q:
            err.print(f"    {item['media']}: {item['reason']}", markup=False)
    for w in s.get("warnings") or []:
        err.print(f"  warning: {w}", markup=False)
    out.print(f"  manifest sha256 {s['manifest_sha256']}")
    out.print(f"  Merkle root     {s['merkle_root']}")
    out.print(f"  at {s['path']}")
