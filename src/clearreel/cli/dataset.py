"""`clearreel dataset`: list, show, verify, export and delete curated datasets."""

from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err, out, parse_date, settings

dataset_app = typer.Typer(
    help="Curated datasets: their clips, exclusions, signed manifest, exports.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")


@dataset_app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print a JSON document.")) -> None:
    """Every dataset of the organization."""
    from clearreel.dataset import list_datasets

    rows = list_datasets(settings())
    if json_:
        emit_json({"datasets": rows})
        return
    if not rows:
        out.print("no dataset yet: build one with `clearreel curate --dataset NAME`")
    for r in rows:
        out.print(
            f"{r['name']:<24} {r['status']:<9} {r['clips']:>6} clips  {r['id']}  "
            f"{(r['manifest_sha256'] or '')[:16]}  {r['created']}"
        )


@dataset_app.command("show")
def show(
    name: str = typer.Argument(..., help="Dataset name."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Clips (with who is in them and what cleared them) and exclusions with their reasons."""
    from clearreel.dataset import show as show_

    d = show_(settings(), name)
    if json_:
        emit_json(d)
        return
    out.print(f"[bold]{d['name']}[/bold] {d['id']}  {d['status']}  manifest {d['manifest_sha256']}")
    out.print(f"cleared on {d['on']} for {d['territory'] or 'WORLD'}; {d['path']}")
    out.print(f"\n[bold]{len(d['clips'])} clip(s)[/bold]")
    for c in d["clips"]:
        out.print(
            f"  {c['id']}  {c['work']} {c['start_tc']}-{c['end_tc']}  "
            f"performers {','.join(c['performers']) or '-'}  licences {','.join(c['licenses'])}  "
            f"consents {','.join(c['consents']) or '-'}",
            markup=False,
        )
        out.print(f"      {c['caption']}", markup=False)
        for party, ev in sorted((c.get("faces") or {}).items()):
            out.print(f"      face: {party} at frame {ev['frame']} (distance "
                      f"{ev['distance']:.3f}, {ev['stills']} still(s))", markup=False)
        for party, ev in sorted((c.get("voices") or {}).items()):
            out.print(f"      voice: {party} at {ev['start_s']:.2f}-{ev['end_s']:.2f} s "
                      f"(similarity {ev['similarity']:.3f}, {ev['segments']} segment(s))",
                      markup=False)
    # A media file by its name; by its full path when two files of the dataset share a name.
    names: dict[str, set[str]] = {}
    for m in {x["media"] for x in [*d["clips"], *d["excluded"]]}:
        names.setdefault(Path(m).name, set()).add(m)

    def media_name(m: str) -> str:
        return Path(m).name if len(names.get(Path(m).name, ())) == 1 else m

    out.print(f"\n[bold]{len(d['excluded'])} excluded[/bold]")
    for e in d["excluded"]:
        why = "; ".join(
            f"{r.get('code')}"
            + (f" ({r['license']})" if r.get("license") else "")
            + (f" ({r['consent']})" if r.get("consent") else "")
            + (f" of {r['of']}" if r.get("of") else "")
            for r in e["reasons"]
        )
        when = (
            f"{e['start_tc']}-{e['end_tc']} ({e['start']}-{e['end']}, {e['seconds']:g} s)"
            if e.get("start_tc")
            else f"frames {e['start_frame']}-{e['end_frame']}"
        )
        out.print(
            f"  {e['work']} {media_name(e['media'])} {when}  [{e['stage']}] {why}  ({e['id']})",
            markup=False,
        )
    for q in d["quarantined"]:
        err.print(f"[yellow]quarantined[/yellow] {q['media']}: {q['reason']}")


@dataset_app.command("verify")
def verify(
    name: str = typer.Argument(..., help="Dataset name."),
    on: str | None = typer.Option(
        None, "--on", help="Re-check clearance on this date (default today)."
    ),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Hashes, signature, Merkle root, clearance against today's registry; exit 1 on a problem."""
    from clearreel.dataset import verify as verify_

    r = verify_(settings(), name, on=parse_date(on))
    if json_:
        emit_json(r)
    else:
        c = r["checked"]
        if r["ok"]:
            out.print(
                f"[green]verified[/green] {name}: {c.get('clips', 0)} clip(s), "
                f"{c.get('shards', 0)} shard(s), signature valid, Merkle root "
                f"{c.get('merkle_root')}, every clip still cleared on {c['on']}"
            )
        else:
            for p in r["problems"]:
                err.print(f"[red]✗[/red] {p['code']}: ", end="", markup=True, highlight=False)
                err.print(p["detail"], markup=False, highlight=False)
            err.print(f"[red]failed:[/red] dataset {name}: {len(r['problems'])} problem(s)")
    if not r["ok"]:
        raise typer.Exit(1)


@dataset_app.command("rebuild")
def rebuild(
    name: str = typer.Argument(..., help="The dataset to rebuild."),
    as_: str = typer.Option(..., "--as", help="Name of the new dataset."),
    on: str | None = typer.Option(
        None, "--on", help="A second date on which every kept clip must also clear."
    ),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """A new signed dataset without the clips that no longer clear (no re-decode).

    Reuses the analysis and the clips already cut; presence and clearance are re-derived
    from today's registry. The old dataset stays as it was (a model trained on it stays
    suspended); train a new model on the new one."""
    from clearreel.curate import rebuild as rebuild_

    r = rebuild_(settings(), name, as_, on=parse_date(on))
    if json_:
        emit_json(r)
        return
    for d in r["dropped"]:
        why = "; ".join(str(x.get("code")) + (f" ({x['consent']})" if x.get("consent") else "")
                        for x in d["reasons"])
        out.print(
            f"  dropped {d['clip']}  {d['work']} {d['start_tc']}-{d['end_tc']}  {why}",
            markup=False,
        )
    out.print(
        f"rebuilt {name} as {r['dataset']} ({r['id']}): {r['clips']} clip(s) kept, "
        f"{len(r['dropped'])} dropped; manifest {r['manifest_sha256']}",
        markup=False,
    )


@dataset_app.command("export")
def export(
    name: str = typer.Argument(..., help="Dataset name."),
    fmt: str = typer.Option(
        ..., "--format", help="finetrainers, videofolder, diffusion-pipe or webdataset."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Directory to write (new or empty)."),
    link: bool = typer.Option(
        False,
        "--link",
        help="Hard-link the clip files instead of copying them (an edit in place then alters "
        "the signed dataset).",
    ),
    csv_: bool = typer.Option(False, "--csv", help="videofolder: metadata.csv, not .jsonl."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Write the clips and captions in a fine-tuning tool's layout (with the BOM in bom/)."""
    from clearreel.dataset import export as export_

    r = export_(settings(), name, fmt, output, link=link, csv_metadata=csv_)
    if json_:
        emit_json(r)
    else:
        how = f"{r['linked']} hard-linked, {r['copied']} copied" if link else "copied"
        out.print(f"exported {r['clips']} clip(s) of {name} as {fmt} to {r['path']} ({how})")


@dataset_app.command("delete")
def delete(
    name: str = typer.Argument(..., help="Dataset name."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON document."),
) -> None:
    """Remove a dataset's records and files (an unfinished build, or one to rebuild).

    Refused (exit 2) while a registered model was trained on it."""
    from clearreel.errors import UsageError
    from clearreel.train.downstream import delete_dataset as delete_

    if not yes and not typer.confirm(f"delete dataset {name} and its files?", err=True):
        raise UsageError("not deleted (pass --yes to skip the question)")
    r = delete_(settings(), name)
    if json_:
        emit_json(r)
    else:
        out.print(f"deleted dataset {name} ({r['id']})")
