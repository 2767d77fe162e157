"""Packing a dataset directory: WebDataset shards, the Parquet index, the signed manifest.

Layout of `$CLEARREEL_HOME/datasets/NAME/` (see docs/datasets.md):

    clips/KEY.mp4              every clip, cut at training resolution and frame rate
    shards/NAME-000000.tar     WebDataset shards: KEY.mp4 + KEY.json per clip, in id order
    index.parquet              one row per clip (Arrow types), for query engines
    manifest.json              the bill of materials (see manifest.py)
    manifest.sig.json          ES256 signature over the canonical manifest + cert chain
    staging/                   while building only: speculative cuts (curate.cut), removed
                               before packing

WebDataset groups tar members into samples by the part of the name before the first dot,
so clip ids (the keys) never contain a dot. Tar members are written with fixed metadata
(mtime 0, uid/gid 0, mode 0644) so the same clips always give byte-identical shards.
(webdataset's own `TarWriter` stamps the current time and sorts members, so its shards, and
the signed manifest that records their sha256, change on every rebuild: bench/shard_writer.py.)
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.dataset.clip import ManifestClip
from clearreel.dataset.manifest import (
    FORMAT,
    canonical,
    file_sha256,
    package_versions,
    sign_manifest,
    write_manifest,
)
from clearreel.dataset.merkle import merkle_root

INDEX = "index.parquet"


def dataset_dir(settings: Settings, name: str, org: str | None = None) -> Path:
    """`datasets/ORG/NAME`: the organization's (`org`, or the one the settings resolve to)."""
    if org is None:
        from clearreel.db import resolve_org

        org = resolve_org(settings)
    return settings.dataset_dir(org, name)


@dataclass(frozen=True)
class Packed:
    manifest: dict[str, Any]
    manifest_sha256: str
    merkle_root: str


def _tar_add(
    tar: tarfile.TarFile, name: str, data: bytes | None = None, path: Path | None = None
) -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = 0, 0, 0, "", "", 0o644
    if path is not None:
        info.size = path.stat().st_size
        with open(path, "rb") as f:
            tar.addfile(info, f)
    else:
        assert data is not None
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def _member_bytes(size: int) -> int:
    return 512 + (size + 511) // 512 * 512  # ustar header + data padded to 512-byte blocks


def write_shards(
    root: Path, name: str, clips: list[dict[str, Any]], *, shard_bytes: int, shard_clips: int
) -> list[dict[str, Any]]:
    """Write WebDataset shards for `clips` (already sorted); return the shard records."""
    shard_dir = root / "shards"
    if shard_dir.exists():
        shutil.rmtree(shard_dir)  # a previous, interrupted pack: rebuild from the clips
    shard_dir.mkdir(parents=True)
    groups: list[list[dict[str, Any]]] = []
    size = 0
    for c in clips:
        member = _member_bytes((root / c["file"]).stat().st_size) + _member_bytes(len(canonical(c)))
        if (
            not groups
            or len(groups[-1]) >= shard_clips
            or (size + member > shard_bytes and groups[-1])
        ):
            groups.append([])
            size = 0
        groups[-1].append(c)
        size += member
    shards = []
    for i, group in enumerate(groups):
        rel = f"shards/{name}-{i:06d}.tar"
        tmp = root / (rel + ".tmp")
        with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
            for c in group:
                _tar_add(tar, f"{c['id']}.mp4", path=root / c["file"])
                _tar_add(tar, f"{c['id']}.json", data=canonical(c))
        os.replace(tmp, root / rel)
        shards.append(
            {
                "path": rel,
                "sha256": file_sha256(root / rel),
                "bytes": (root / rel).stat().st_size,
                "clips": [c["id"] for c in group],
            }
        )
    return shards


def write_index(
    root: Path, clips: list[dict[str, Any]], shards: list[dict[str, Any]]
) -> dict[str, Any]:
    """The Parquet index: one row per clip; list columns for people, JSON text for scores."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    shard_of = {cid: s["path"] for s in shards for cid in s["clips"]}
    strs = pa.list_(pa.string())
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("work", pa.string()),
            ("media", pa.string()),
            ("media_sha256", pa.string()),
            ("start_frame", pa.int64()),
            ("end_frame", pa.int64()),
            ("source_fps", pa.float64()),
            ("start_tc", pa.string()),
            ("end_tc", pa.string()),
            ("fps", pa.float64()),
            ("frames", pa.int64()),
            ("width", pa.int64()),
            ("height", pa.int64()),
            ("file", pa.string()),
            ("shard", pa.string()),
            ("sha256", pa.string()),
            ("caption", pa.string()),
            ("performers", strs),
            ("characters", strs),
            ("licenses", strs),
            ("consents", strs),
            ("scores", pa.string()),
            ("start_s", pa.float64()),
            ("end_s", pa.float64()),
        ]
    )
    cols: dict[str, list[Any]] = {f.name: [] for f in schema}
    for c in clips:
        for f in schema.names:
            if f == "shard":
                cols[f].append(shard_of.get(c["id"]))
            elif f == "scores":
                cols[f].append(json.dumps(c["scores"], sort_keys=True))
            else:
                cols[f].append(c.get(f))
    table = pa.Table.from_pydict(cols, schema=schema)
    pq.write_table(table, root / INDEX, compression="zstd")
    return {"path": INDEX, "sha256": file_sha256(root / INDEX), "rows": len(clips)}


def pack(
    settings: Settings,
    root: Path,
    *,
    header: dict[str, Any],
    clips: Sequence[ManifestClip],
    exclusions: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    shard_bytes: int = 1 << 30,
    shard_clips: int = 10_000,
) -> Packed:
    """Shards, index, manifest and signature for clips already cut under `root/clips/`."""
    entries = [c.to_json() for c in sorted(clips, key=lambda c: c.id)]
    return _pack(settings, root, header, entries, exclusions, sources, shard_bytes, shard_clips)


def _pack(
    settings: Settings,
    root: Path,
    header: dict[str, Any],
    clips: list[dict[str, Any]],
    exclusions: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    shard_bytes: int,
    shard_clips: int,
) -> Packed:
    shards = write_shards(
        root, header["dataset"], clips, shard_bytes=shard_bytes, shard_clips=shard_clips
    )
    index = write_index(root, clips, shards)
    root_hash = merkle_root([canonical(c) for c in clips])
    manifest = {
        **header,
        "format": FORMAT,
        "versions": package_versions(),
        "sources": sources,
        "clips": clips,
        "excluded": exclusions,
        "shards": shards,
        "index": index,
        "merkle": {
            "algorithm": "sha256",
            "leaves": len(clips),
            "root": root_hash,
            "construction": "leaf = SHA-256(0x00 || canonical clip entry), in clip-id order; "
            "node = SHA-256(0x01 || left || right); odd node promoted",
        },
    }
    digest = write_manifest(root, manifest)
    # Signed with the key of the organization the manifest names (its own, under keys/ORG/).
    org = header.get("organization")
    sign_manifest(settings, root, manifest, org)
    from clearreel.dataset.bom import write_boms

    write_boms(settings, root, manifest, org)  # CycloneDX, SPDX 3, and the DSSE envelope
    return Packed(manifest=manifest, manifest_sha256=digest, merkle_root=root_hash)


def build(
    settings: Settings,
    name: str,
    *,
    header: dict[str, Any],
    clips: Sequence[ManifestClip],
    exclusions: list[dict[str, Any]],
    sources: list[dict[str, Any]],
) -> Packed:
    """Pack dataset `name` from its clips already cut under `datasets/NAME/clips/`.

    Shards close at `CLEARREEL_SHARD_BYTES` (default 1 GiB) or `CLEARREEL_SHARD_CLIPS` clips
    (default 10 000), whichever comes first.
    """
    return pack(
        settings,
        dataset_dir(settings, name),
        header=header,
        clips=clips,
        exclusions=exclusions,
        sources=sources,
        shard_bytes=int(os.environ.get("CLEARREEL_SHARD_BYTES", str(1 << 30))),
        shard_clips=int(os.environ.get("CLEARREEL_SHARD_CLIPS", "10000")),
    )


__all__ = [
    "INDEX",
    "Packed",
    "build",
    "dataset_dir",
    "pack",
    "write_index",
    "write_shards",
]
