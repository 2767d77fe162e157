"""The studio's formats: `catalog scenes import`, `catalog avails import`, `dataset shots export`.

They live in the `catalog` and `dataset` groups; this module only adds them there
(docs/interchange.md describes every format).
"""

from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err, out, settings

scenes_app = typer.Typer(help="Shot lists (EDL, OpenTimelineIO, PySceneDetect CSV) as scenes.",
                         no_args_is_help=True)
avails_app = typer.Typer(help="MovieLabs EMA Avails (Excel v1.9, XML v2.5) as licences.",
                         no_args_is_help=True)
shots_app = typer.Typer(help="A dataset's shots as a shot list (EDL, OTIO, CSV).",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    from clearreel.cli.catalog import catalog_app
    from clearreel.cli.dataset import dataset_app

    catalog_app.add_typer(scenes_app, name="scenes")
    catalog_app.add_typer(avails_app, name="avails")
    dataset_app.add_typer(shots_app, name="shots")


def _ids(value: str | None) -> list[str] | None:
    return None if value is None else [v for v in value.replace(";", ",").split(",") if v.strip()]


@scenes_app.command("import")
def scenes_import(
    work: str = typer.Argument(..., help="Work id."),
    file: Path = typer.Argument(..., help="Shot list: .edl (CMX 3600), .otio or .csv."),
    fmt: str | None = typer.Option(None, "--format", help="edl, otio or csv (default: suffix)."),
    fps: str | None = typer.Option(
        None, "--fps", help="Frame rate of the timecodes (default: the work's, or its media's)."
    ),
    offset: str | None = typer.Option(
        None, "--offset", help="The media's start timecode, subtracted (e.g. 01:00:00:00)."
    ),
    performers: str | None = typer.Option(
        None, "--performers", help="Cast for shots that state none (ids, comma-separated)."
    ),
    characters: str | None = typer.Option(
        None, "--characters", help="Characters for shots that state none."
    ),
    nobody: bool = typer.Option(False, "--nobody", help="Shots that state no cast show nobody."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes; write nothing."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Add a shot list's shots to a work's scenes (who is on screen when)."""
    from clearreel.train.downstream import import_scenes

    r = import_scenes(settings(), work, file, fmt=fmt, fps=fps, offset=offset,
                      performers=_ids(performers), characters=_ids(characters), nobody=nobody,
                      dry_run=dry_run)
    if json_:
        emit_json(r)
    else:
        verb = "would add" if dry_run else "added"
        out.print(f"{verb} {r['scenes']} scene(s) to {work} from {file}", markup=False)
    for s in r["skipped"]:
        err.print(f"skipped {s['where']} ({s['start']}-{s['end']}): {s['reason']}", markup=False)


@avails_app.command("import")
def avails_import(
    file: Path = typer.Argument(..., help="EMA Avails: .xlsx (Excel v1.9) or .xml (v2.5)."),
    map_: list[str] = typer.Option(
        [], "--map", help="LicenseType=use[,use...]: what a licence type grants (repeatable)."
    ),
    licensor: str | None = typer.Option(
        None, "--licensor", help="Party id of the licensor (default: matched by DisplayName)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes; write nothing."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Import EMA Avails rows as licences (title by EIDR or ALID, territory, window, uses)."""
    from clearreel.rights.avails import parse_map
    from clearreel.train.downstream import import_avails

    r = import_avails(settings(), file, mapping=parse_map(map_), licensor=licensor,
                      dry_run=dry_run)
    if json_:
        emit_json(r)
    else:
        verb = "would import" if dry_run else "imported"
        out.print(f"{verb} {r['licenses']} licence(s) from {file}", markup=False)
    for s in r["skipped"]:
        err.print(f"skipped {s['where']}: {s['reason']}", markup=False)


@shots_app.command("export")
def shots_export(
    name: str = typer.Argument(..., help="Dataset name."),
    fmt: str | None = typer.Option(None, "--format", help="edl, otio or csv (default: suffix)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    work: str | None = typer.Option(None, "--work", help="The work (when the dataset has many)."),
    media: int | None = typer.Option(None, "--media", help="Media index (when the work has many)."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Write a dataset's clips of one media file as a shot list, with who is in each."""
    from clearreel.dataset.shots import export_shots

    r = export_shots(settings(), name, output, fmt=fmt, work=work, media=media)
    if json_:
        emit_json(r)
    else:
        out.print(f"wrote {r['shots']} shot(s) of {r['work']} ({r['media']}) to {r['path']}",
                  markup=False)
