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

    Exit 0 when verified; 1 when the file was modified, is signed by an untrusted party,
    carries no provenance at all, or its watermark is forged (frames that do not match the
    output it names).
    """
    from clearreel.generate import verify_file

    report = verify_file(settings(), file)
    if json_:
        emit_json(report)
    else:
        c, w = report["c2pa"], report["watermark"]
        out.print(f"C2PA manifest: {'present' if c['present'] else 'absent'}"
                  + (f", {'valid' if c['valid'] else 'INVALID'}, "
                     f"{'trusted' if c['trusted'] else 'untrusted'}" if c["present"] else ""),
                  markup=False)
        mark = "not found (no mark an organization's secret authenticates)"
        if w["present"]:
            fp = w.get("fingerprint") or {}
            mark = (f"{w['output'] or 'no output of ' + str(w['organization'])} "
                    f"(marked by {w['organization']}"
                    + (f", fingerprint {fp['score']}" if fp else "") + ")"
                    + (" FORGED: the frames are not that output's" if w.get("forged") else ""))
        out.print(f"watermark: {mark}", markup=False)
        org = report.get("organization")
        out.print(f"made by: {org['name']} ({org['id']})" if org else "made by: unknown",
                  markup=False)
        out.print(f"output: {report['output']}  model: {report['model']}  "
                  f"dataset: {report['dataset']}", markup=False)
        for p in report["problems"]:
            err.print(f"[red]failed:[/red] {p}")
    if not report["verified"]:
        raise typer.Exit(1)
