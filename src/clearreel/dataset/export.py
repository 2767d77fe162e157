"""Exports to the layouts that video fine-tuning tools read.

- `finetrainers` (a-r-r-o-w/finetrainers, its "two files" layout): `videos/KEY.mp4`,
  `prompts.txt` (one caption per line) and `videos.txt` (one relative path per line, same
  order), plus `metadata.jsonl`;
- `diffusion-pipe` (tdrussell/diffusion-pipe): `KEY.mp4` with a caption in `KEY.txt` beside
  it, in one directory, plus `metadata.jsonl`;
- `jsonl`: `videos/KEY.mp4` and `metadata.jsonl` (Hugging Face `videofolder` style: one JSON
  object per line with `file_name` relative to the directory, `caption`, and the clip's
  provenance: id, work, frame range, sha256, performers, characters).

Every export also copies `manifest.json` and `manifest.sig.json` so the bill of materials
travels with the data. Files are hard-linked when the target is on the same filesystem.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.dataset._load import ClipItem, load
from clearreel.dataset.manifest import MANIFEST, SIGNATURE
from clearreel.errors import UsageError

FORMATS = ("finetrainers", "diffusion-pipe", "jsonl")


def _place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _one_line(caption: str) -> str:
    # prompts.txt is line-oriented: a caption must not break the line pairing.
    return " ".join(caption.split())


def _meta(c: ClipItem, file_name: str) -> dict[str, Any]:
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
        "performers": c.performers,
        "characters": c.characters,
    }


def export(settings: Settings, name: str, fmt: str, out: Path) -> dict[str, Any]:
    """Write dataset `name` to directory `out` in format `fmt`; return a summary."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty: export into a new or empty directory")
    ds = load(settings, name)
    out.mkdir(parents=True, exist_ok=True)
    meta = []
    if fmt == "diffusion-pipe":
        for c in ds.clips:
            _place(c.path, out / f"{c.id}.mp4")
            (out / f"{c.id}.txt").write_text(_one_line(c.caption) + "\n", encoding="utf-8")
            meta.append(_meta(c, f"{c.id}.mp4"))
    else:
        for c in ds.clips:
            _place(c.path, out / "videos" / f"{c.id}.mp4")
            meta.append(_meta(c, f"videos/{c.id}.mp4"))
        if fmt == "finetrainers":
            (out / "prompts.txt").write_text(
                "".join(m["caption"] + "\n" for m in meta), encoding="utf-8"
            )
            (out / "videos.txt").write_text(
                "".join(m["file_name"] + "\n" for m in meta), encoding="utf-8"
            )
    with open(out / "metadata.jsonl", "w", encoding="utf-8") as f:
        for m in meta:
            f.write(json.dumps(m, ensure_ascii=False) + "\n")
    for extra in (MANIFEST, SIGNATURE):
        shutil.copyfile(ds.root / extra, out / extra)
    return {
        "dataset": name,
        "format": fmt,
        "path": str(out.resolve()),
        "clips": len(ds.clips),
        "manifest_sha256": ds.manifest_sha256,
    }


__all__ = ["FORMATS", "export"]
