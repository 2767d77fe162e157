"""`clearreel attribution`: fingerprint a dataset, find the training clips a video resembles."""

from __future__ import annotations

from pathlib import Path

import typer

from clearreel.cli._common import emit_json, out, settings
from clearreel.util.progress import track

attribution_app = typer.Typer(
    help="Fingerprints of training clips: nearest clips, shares per work, the copy guard.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(attribution_app, name="attribution")


@attribution_app.command("index")
def index(
    dataset: str = typer.Option(..., "--dataset", help="Dataset to fingerprint."),
    embedder: str = typer.Option("clearreel-vd", "--embedder",
                                 help="clearreel-vd (default, offline), clip or dinov2."),
    model_dir: Path | None = typer.Option(None, "--model-dir",
                                          help="Local from_pretrained directory (clip, dinov2)."),
    kind: str = typer.Option("auto", "--kind", help="FAISS index: auto, flat, hnsw or ivf."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Fingerprint every clip of a dataset and build its index (stored with the dataset)."""
    from clearreel.attribution import index_dataset

    summary = index_dataset(settings(), dataset, embedder=embedder, model_dir=model_dir, kind=kind,
                            progress=lambda it, d, n: track(it, d, total=n, unit="clips"))
    if json_:
        emit_json(summary)
    else:
        out.print(f"indexed {summary['clips']} clips of {dataset} ({summary['frames']} frame "
                  f"descriptors, {summary['embedder']}, {summary['index']}) in {summary['path']}")


@attribution_app.command("query")
def query(
    file: Path = typer.Argument(..., help="Video to look up."),
    dataset: str | None = typer.Option(None, "--dataset",
                                       help="Dataset (default: every indexed one)."),
    top: int = typer.Option(5, "--top", help="How many clips."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The training clips nearest to a video, and where the matching segment lies in time."""
    from clearreel.attribution import query as run_query

    matches = run_query(settings(), file, dataset, top=top)
    if json_:
        emit_json({"matches": [m.to_json() for m in matches]})
        return
    for m in matches:
        j = m.to_json()
        out.print(f"{j['score']:.3f}  {m.clip}  {m.work} [{m.start_frame}-{m.end_frame}]  "
                  f"query {j['query_start_s']:.2f}-{j['query_end_s']:.2f} s ↔ clip "
                  f"+{j['clip_offset_s']:.2f} s" + ("  (mirrored)" if m.mirrored else ""),
                  markup=False)


@attribution_app.command("attribute")
def attribute(
    file: Path = typer.Argument(..., help="Video (e.g. a generated output)."),
    dataset: str = typer.Option(..., "--dataset", help="The dataset the model was trained on."),
    top: int = typer.Option(10, "--top", help="Nearest clips the shares come from."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """A share per work (sums to exactly 1) from the nearest training clips."""
    from clearreel.attribution import attribute as run_attribute

    shares = run_attribute(settings(), file, dataset, top=top)
    if json_:
        emit_json({"attribution": [{"work": s["work"], "share": str(s["share"])} for s in shares]})
        return
    for s in shares:
        out.print(f"{s['share']}  {s['work']}", markup=False)


@attribution_app.command("guard")
def guard(
    file: Path = typer.Argument(..., help="Video to check before delivery."),
    dataset: str = typer.Option(..., "--dataset", help="The dataset the model was trained on."),
    threshold: float | None = typer.Option(None, "--threshold",
                                           help="Score at or above which a match is a copy."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The copy guard: exit 1 and name the clip when the video copies a training clip."""
    from clearreel.attribution import COPY_THRESHOLD, copy_guard

    limit = COPY_THRESHOLD if threshold is None else threshold
    hit = copy_guard(settings(), file, dataset, threshold=limit, subject=str(file))
    if json_:
        emit_json({"blocked": hit is not None, "threshold": limit,
                   "match": hit.to_json() if hit else None})
    elif hit:
        out.print(f"blocked: copies {hit.clip} ({hit.work} frames {hit.start_frame}-"
                  f"{hit.end_frame}), score {hit.score:.3f} ≥ {limit}", markup=False)
    else:
        out.print(f"no copy: no training clip scores ≥ {limit}", markup=False)
    if hit:
        raise typer.Exit(1)
