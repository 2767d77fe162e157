"""`clearreel catalog`: import, list, show and export the rights registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from clearreel.cli._common import emit_json, err, out, settings

catalog_app = typer.Typer(help="The rights registry: works, parties, licences, consents.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")


@catalog_app.command("import")
def import_(file: Path = typer.Argument(..., help="Catalog file (YAML or JSON)."),
            scan: bool = typer.Option(True, "--scan/--no-scan",
                                      help="Read rights reservations embedded in local media."),
            dry_run: bool = typer.Option(False, "--dry-run",
                                         help="Print what would change (entity, field: old -> "
                                              "new) and write nothing."),
            json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Validate a catalog file and merge it into the registry by id.

    A file changes what it states and nothing else: omitted fields keep their value, lists of
    children (media, participations, scenes, references, uses) are merged, nothing is
    removed. Idempotent; an invalid file changes nothing."""
    from clearreel.train.downstream import import_catalog

    summary = import_catalog(settings(), file, scan=scan, dry_run=dry_run)
    if json_:
        emit_json(summary)
        return
    if dry_run:
        for c in summary["changes"]:
            if c["field"] is None:
                out.print(f"{c['entity']} {c['id']}: created", markup=False)
            else:
                out.print(f"{c['entity']} {c['id']}.{c['field']}: {_short(c['old'])} -> "
                          f"{_short(c['new'])}", markup=False)
        out.print(f"dry run: {len(summary['changes'])} change(s) to {summary['organization']}; "
                  "nothing was written", markup=False)
        return
    created = ", ".join(f"{n} {k}" for k, n in summary["created"].items()) or "nothing"
    updated = ", ".join(f"{n} {k}" for k, n in summary["updated"].items()) or "nothing"
    out.print(f"imported {file} for {summary['organization']}: created {created}; "
              f"updated {updated}; {summary['unchanged']} unchanged; "
              f"{summary['reservations']} embedded reservation(s) recorded", markup=False)
    refs = summary.get("references") or {}
    if refs.get("computed") or refs.get("reused"):
        out.print(f"face and voice references: {refs.get('computed', 0)} embedded, "
                  f"{refs.get('reused', 0)} unchanged (not embedded again)", markup=False)
    for w in summary["warnings"]:
        err.print(f"warning: {w}", markup=False)


def _short(v: Any) -> str:
    import json

    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _registry_lists(s: Any) -> dict[str, Any]:
    from clearreel.rights.listing import registry_lists

    return registry_lists(s)


@catalog_app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Everything in the registry, one line each."""
    from rich.table import Table

    from clearreel.db import open_session

    with open_session(settings()) as s:
        data = _registry_lists(s)
    if json_:
        emit_json(data)
        return
    org = data["organization"]
    out.print(f"[bold]{org['name']}[/bold] ({org['id']}, home territory "
              f"{org['home_territory'] or 'none'})")
    sections = {
        "works": ("id", "title", "kind", "year", "media", "reservations"),
        "parties": ("id", "name", "kind"),
        "characters": ("id", "name", "owner", "performer"),
        "licenses": ("id", "licensor", "licensee", "start", "end", "uses"),
        "consents": ("id", "party", "kind", "status", "signed", "expires", "revoked"),
    }
    for name, cols in sections.items():
        t = Table(title=f"{name} ({len(data[name])})", title_justify="left")
        for c in cols:
            t.add_column(c)
        for row in data[name]:
            cells = []
            for c in cols:
                v = row[c]
                if isinstance(v, dict):
                    v = ", ".join(f"{k}={x}" for k, x in v.items())
                cells.append("" if v is None else str(v))
            t.add_row(*cells)
        out.print(t)


@catalog_app.command("show")
def show(id_: str = typer.Argument(..., metavar="ID",
                                   help="Any id: work, party, character, licence or consent."),
         json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """One registry entry, as in the catalog file, with what relates to it."""
    from clearreel.db import open_session
    from clearreel.rights.catalog import show_entry

    with open_session(settings()) as s:
        entry = show_entry(s, id_)
    if json_:
        emit_json(entry)
        return
    import yaml

    out.print(f"[bold]{entry['type']}[/bold] {id_}")
    body = {k: v for k, v in entry.items() if k != "type"}
    out.print(yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100).rstrip(),
              markup=False)


@catalog_app.command("export")
def export(output: Path | None = typer.Option(None, "-o", "--output",
                                              help="Write here instead of stdout."),
           fmt: str = typer.Option("yaml", "--format", help="yaml or json.")) -> None:
    """The registry as a catalog file (importing it gives the same registry)."""
    from clearreel.db import open_session
    from clearreel.errors import UsageError
    from clearreel.rights.catalog import dump_catalog, export_catalog

    if fmt not in ("yaml", "json"):
        raise UsageError(f"--format {fmt!r}: use yaml or json")
    with open_session(settings()) as s:
        doc = export_catalog(s)
    text = dump_catalog(doc, fmt)  # type: ignore[arg-type]
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", markup=False)
