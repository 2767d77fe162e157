from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, err, out, settings

audit_app = typer.Typer(
    help="The hash-chained audit log of every rights decision.", no_args_is_help=True
)


anchors_app = typer.Typer(
    help="Signed checkpoints of the audit log's and the ledger's chain heads.",
    no_args_is_help=True,
)
audit_app.add_typer(anchors_app, name="anchors")

ANCHORS_OPTION = typer.Option(
    None, "--anchors", file_okay=False,
    help="Compare with anchor files exported to this folder (`audit anchors export`) instead "
         "of the workspace's; verified with the anchor.pub exported beside them.")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _exported(folder: Path | None) -> tuple[Path | None, Path | None]:
    """(root, public key) of an exported anchors folder; (None, None) for the workspace's."""
    from clearreel.errors import UsageError

    if folder is None:
        return None, None
    if not folder.is_dir():
        raise UsageError(f"--anchors {folder}: no such folder (give the folder that "
                         "`clearreel audit anchors export` wrote)")
    key = folder / "anchor.pub"
    return folder, key if key.exists() else None


@audit_app.command("verify")
def verify(json_: bool = typer.Option(False, "--json"),
           anchors: Path | None = ANCHORS_OPTION) -> None:
    """Check the chain and its signed anchors: exit 1 if any entry was edited, deleted or
    reordered, the newest entries were deleted, or the chain was recomputed."""
    from clearreel.db import open_session
    from clearreel.provenance.anchors import describe
    from clearreel.rights import audit

    root, key = _exported(anchors)
    with open_session(settings()) as s:
        problems = audit.verify(s)
        n = len(audit.entries(s))
        anchored = audit.anchored(s, root=root, key_path=key)
    problems += anchored["problems"]
    if json_:
        emit_json({"valid": not problems, "entries": n, "problems": problems,
                   "anchors": anchored})
    elif problems:
        for p in problems:
            err.print(p, markup=False)
    else:
        out.print(f"audit log intact: {n} entries; {describe('audit', anchored)}", markup=False)
    if problems:
        raise typer.Exit(1)


@anchors_app.command("export")
def anchors_export(
    dest: Path = typer.Argument(..., file_okay=False,
                                help="Folder to copy into (e.g. a mounted object store)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Copy the organization's anchor files (audit.jsonl, ledger.jsonl) and the public key
    that verifies them (anchor.pub) to DEST, to keep them where the database's operator
    cannot rewrite them."""
    from clearreel.db import connect
    from clearreel.db.orgs import resolve_org
    from clearreel.errors import UsageError
    from clearreel.provenance.anchors import export

    st = settings()
    org = resolve_org(st, connect(st))
    home = st.home.resolve()
    target = dest.expanduser().resolve()
    if target == home or home in target.parents:
        raise UsageError(f"{dest} is inside the workspace {home}: export the anchors to a "
                         "folder outside it (that is the point of exporting them)")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{dest} is a file: give a folder to copy the anchor files into")
    result = export(st, org, target)
    if json_:
        emit_json(result)
    elif not result["files"]:
        out.print(f"organization {org} has no anchors yet: nothing copied", markup=False)
    else:
        for f in result["files"]:
            out.print(f"copied {f}", markup=False)


@audit_app.command("list")
def list_(
    action: str | None = typer.Option(None, help="Only this action, e.g. rights.check."),
    limit: int = typer.Option(20),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit entries."""
    from clearreel.db import open_session

    with open_session(settings()) as s:
        from clearreel.rights.listing import audit_rows

        rows = audit_rows(s, action, limit)
    if json_:
        emit_json({"entries": rows})
        return
    for r in rows:
        out.print(
            f"{r['seq']:>6}  {r['at']:%Y-%m-%d %H:%M:%S}  {r['action']:<22} {r['subject'] or ''}",
            markup=False,
        )
