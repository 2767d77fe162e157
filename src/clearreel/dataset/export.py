"""Exports to the layouts that video fine-tuning tools read, each exactly as the tool reads it.

Clip files are **copied** by default, so editing an export never touches the signed dataset;
`link=True` (`--link`) hard-links them instead (no extra disk; an edit in place then alters
the signed clip, and `dataset verify` reports `clip_altered`). A hard link that the
filesystem refuses (another device) falls back to a copy, counted in the summary.

Layouts (the rules each tool applies, read from its source, are cited per layout):

- `finetrainers` (a-r-r-o-w/finetrainers, "two file format"): `prompts.txt` (one caption per
  line), `videos.txt` (one path per line, relative to the folder, same order) and
  `videos/KEY.mp4`. Nothing else that its loader looks at: `_initialize_local_dataset`
  loads the folder as an HF videofolder when any `metadata.json|jsonl|csv` exists and as a
  WebDataset when any `.tar` or `.parquet` exists at any depth, and takes `*.txt` files with a
  same-stem video beside them as caption pairs; so there are none of those here.
- `videofolder` (Hugging Face `datasets`' videofolder builder, also finetrainers' CSV/JSONL
  layout): `videos/KEY.mp4` and `metadata.jsonl` (`file_name` relative to the folder,
  `caption`, and the clip's provenance); `metadata.csv` instead with `csv=True`.
- `diffusion-pipe` (tdrussell/diffusion-pipe): `dataset.toml` and `data/` holding `KEY.mp4`
  with its caption in `KEY.txt`. `DirectoryDataset` globs every file of `path` and skips only
  `.txt .npz .json .parquet .bak .db`: anything else there is opened as media, so the folder
  holds nothing but clips and captions (`dataset.toml` sits beside it and points to it).
- `webdataset`: the signed shards as they are (`shards/NAME-000000.tar`, members `KEY.mp4`
  and `KEY.json`, the clip entry with its caption), plus `shards.txt` listing them.
- `jsonl`: kept as an alias of `videofolder` for scripts written before it was named.

Every export carries the bill of materials in `bom/` (the manifest, its signature and the
other BOM forms), out of every tool's way.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.dataset._load import LoadedDataset, load
from clearreel.dataset.clip import ManifestClip
from clearreel.dataset.manifest import MANIFEST, SIGNATURE
from clearreel.errors import UsageError

FORMATS = ("finetrainers", "videofolder", "diffusion-pipe", "webdataset", "jsonl")
BOM_DIR = "bom"
# BOM files copied into bom/ when the dataset has them (the standard forms are optional:
# a dataset built before they existed has only the manifest and its signature).
BOM_FILES = (MANIFEST, SIGNATURE, "bom.cdx.json", "bom.spdx.jsonld", "manifest.dsse.json")


class _Placer:
    def __init__(self, link: bool):
        self.link = link
        self.linked = 0
        self.copied = 0

    def __call__(self, src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        if self.link:
            try:
                os.link(src, dst)
                self.linked += 1
                return
            except OSError:
                pass  # another filesystem: copy
        shutil.copyfile(src, dst)
        self.copied += 1


def _one_line(caption: str) -> str:
    # prompts.txt is split with str.splitlines(), which also breaks at \v \f \x1c-\x1e \x85
    # \u2028 \u2029; str.split() splits at all of them (they are whitespace), so a caption
    # can never break the line pairing.
    return " ".join(caption.split())


def _meta(c: ManifestClip, file_name: str) -> dict[str, Any]:
    return {
        "file_name": file_name,
        "caption": _one_line(c.caption),
        "id": c.id,
        "work": c.work,
        "start_frame": c.start_frame,
        "end_frame": c.end_frame,
        "fps": c.fps,
        "frames": c.frames,
        "sha256": c.sha256,
        "performers": list(c.performers),
        "characters": list(c.characters),
    }


def _finetrainers(ds: LoadedDataset, out: Path, place: _Placer) -> None:
    rel = [f"videos/{c.id}.mp4" for c in ds.clips]
    for c, r in zip(ds.clips, rel, strict=True):
        place(c.path, out / r)
    (out / "prompts.txt").write_text(
        "".join(_one_line(c.caption) + "\n" for c in ds.clips), encoding="utf-8"
    )
    (out / "videos.txt").write_text("".join(r + "\n" for r in rel), encoding="utf-8")


def _videofolder(ds: LoadedDataset, out: Path, place: _Placer, as_csv: bool) -> None:
    meta = []
    for c in ds.clips:
        place(c.path, out / "videos" / f"{c.id}.mp4")
        meta.append(_meta(c, f"videos/{c.id}.mp4"))
    if as_csv:
        with open(out / "metadata.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(meta[0]) if meta else ["file_name", "caption"])
            w.writeheader()
            for m in meta:
                # CSV cells are text: lists as JSON so that they read back unambiguously.
                w.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in m.items()})
        return
    with open(out / "metadata.jsonl", "w", encoding="utf-8") as f:
        for m in meta:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")


def _diffusion_pipe(ds: LoadedDataset, out: Path, place: _Placer) -> None:
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    for c in ds.clips:
        place(c.path, data / f"{c.id}.mp4")
        (data / f"{c.id}.txt").write_text(_one_line(c.caption) + "\n", encoding="utf-8")
    sizes = sorted({(c.width, c.height) for c in ds.clips if c.width and c.height})
    frames = sorted({c.frames for c in ds.clips if c.frames > 1})
    # diffusion-pipe's dataset config (examples/dataset.toml): areas to train on, the frame
    # buckets a video is assigned to (the longest that it still fills), one [[directory]].
    lines = [
        "# diffusion-pipe dataset config written by `clearreel dataset export`.",
        f"# dataset {ds.name}, manifest sha256 {ds.manifest_sha256}",
        "resolutions = [" + ", ".join(f"[{w}, {h}]" for w, h in sizes[:3]) + "]"
        if sizes
        else "resolutions = [512]",
        "enable_ar_bucket = " + ("true" if len({w / h for w, h in sizes}) > 1 else "false"),
    ]
    if len({w / h for w, h in sizes}) > 1:
        ars = sorted({w / h for w, h in sizes})
        lines += [
            f"min_ar = {ars[0]:.4f}",
            f"max_ar = {ars[-1]:.4f}",
            f"num_ar_buckets = {len(ars)}",
        ]
    lines += [
        "frame_buckets = [" + ", ".join(str(n) for n in [1, *frames]) + "]",
        "",
        "[[directory]]",
        f"path = {json.dumps(str(data.resolve()))}",
        "num_repeats = 1",
        "",
    ]
    (out / "dataset.toml").write_text("\n".join(lines), encoding="utf-8")


def _webdataset(ds: LoadedDataset, out: Path, place: _Placer) -> None:
    shards = [s["path"] for s in ds.manifest.get("shards", [])]
    for rel in shards:
        place(ds.root / rel, out / rel)
    (out / "shards.txt").write_text("".join(s + "\n" for s in shards), encoding="utf-8")


def export(
    settings: Settings,
    name: str,
    fmt: str,
    out: Path,
    *,
    link: bool = False,
    csv_metadata: bool = False,
) -> dict[str, Any]:
    """Write dataset `name` to directory `out` in format `fmt`; return a summary."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if csv_metadata and fmt not in ("videofolder", "jsonl"):
        raise UsageError("--csv writes metadata.csv, which only the videofolder layout has")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} is not empty: export into a new or empty directory")
    ds = load(settings, name)
    out.mkdir(parents=True, exist_ok=True)
    place = _Placer(link)
    if fmt == "finetrainers":
        _finetrainers(ds, out, place)
    elif fmt in ("videofolder", "jsonl"):
        _videofolder(ds, out, place, csv_metadata)
    elif fmt == "diffusion-pipe":
        _diffusion_pipe(ds, out, place)
    else:
        _webdataset(ds, out, place)
    (out / BOM_DIR).mkdir()
    for extra in BOM_FILES:
        if (ds.root / extra).exists():
            shutil.copyfile(ds.root / extra, out / BOM_DIR / extra)
    return {
        "dataset": name,
        "format": fmt,
        "path": str(out.resolve()),
        "clips": len(ds.clips),
        "manifest_sha256": ds.manifest_sha256,
        "linked": place.linked,
        "copied": place.copied,
    }


__all__ = ["BOM_DIR", "FORMATS", "export"]
