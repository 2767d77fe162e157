from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err, out, settings


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)


def verify(
    file: Path = typer.Argument(..., help="A video to check."),
    json_: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Check a video's provenance: C2PA manifest and trust, watermark, the output record.

    Exit 0 when verified; 1 when the file was modified, is signed by an untrusted party, or
    carries no provenance at all.
    """
    from clearreel.provenance import verify_file

    report = verify_file(settings(), file)
    if json_:
        emit_json(report)
    else:
        c, w = report["c2pa"], report["watermark"]
        out.print(f"C2PA manifest: {'present' if c['present'] else 'absent'}"
                  + (f", {'valid' if c['valid'] else 'INVALID'}, "
                     f"{'trusted' if c['trusted'] else 'untrusted'}" if c["present"] else ""),
                  markup=False)
        out.print(f"watermark: {w['output'] or 'not found'}", markup=False)
        org = report.get("organization")
        out.print(f"made by: {org['name']} ({org['id']})" if org else "made by: unknown",
                  markup=False)
        out.print(f"output: {report['output']}  model: {report['model']}  "
                  f"dataset: {report['dataset']}", markup=False)
        for p in report["problems"]:
            err.print(f"[red]failed:[/red] {p}")
    if not report["verified"]:
        raise typer.Exit(1)
