"""Loading a built dataset for training and attribution: its clips as `ManifestClip`s."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clearreel.config import Settings
from clearreel.dataset.clip import ManifestClip
from clearreel.dataset.manifest import MANIFEST, canonical, read_manifest, sha256_hex
from clearreel.errors import NotFound, UsageError, VerificationFailed


@dataclass(frozen=True)
class LoadedDataset:
    name: str
    id: str
    manifest_sha256: str
    root: Path
    clips: list[ManifestClip]
    merkle_root: str = ""
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)

    def by_id(self) -> dict[str, ManifestClip]:
        return {c.id: c for c in self.clips}

    def works(self) -> list[str]:
        return sorted({c.work for c in self.clips})


def get_dataset_row(session: Any, name: str) -> Any:
    from clearreel.dataset.models import Dataset

    row = session.scalars(select(Dataset).where(Dataset.name == name)).first()
    if row is None:
        known = sorted(session.scalars(select(Dataset.name)))
        hint = (
            f"known datasets: {', '.join(known)}"
            if known
            else "no dataset yet: build one with `clearreel curate --dataset NAME`"
        )
        raise NotFound(f"unknown dataset {name!r} ({hint})")
    return row


def load(settings: Settings, name: str) -> LoadedDataset:
    """A built dataset: its clips (with absolute mp4 paths) as its signed manifest lists them.

    Refuses a dataset still being built, and a manifest that is not the one the registry
    recorded (run `clearreel dataset verify NAME` for the full check of files and clearance).
    """
    from clearreel.dataset.models import READY
    from clearreel.db import open_session

    with open_session(settings) as s:
        row = get_dataset_row(s, name)
        if row.status != READY:
            raise UsageError(
                f"dataset {name!r} is not finished ({row.status}, stage {row.stage}): "
                f"run `clearreel curate --dataset {name}` again to resume it"
            )
        ds_id, expected = row.id, row.manifest_sha256
    from clearreel.dataset.writer import dataset_dir

    root = dataset_dir(settings, name).resolve()
    if not (root / MANIFEST).exists():
        raise VerificationFailed(f"dataset {name!r} has no {MANIFEST} in {root}")
    manifest = read_manifest(root)
    digest = sha256_hex(canonical(manifest))
    if digest != expected:
        raise VerificationFailed(
            f"{root / MANIFEST} is not the manifest recorded for dataset {name!r} "
            f"(sha256 {digest[:12]}…, registry {str(expected)[:12]}…): "
            f"run `clearreel dataset verify {name}`"
        )
    return LoadedDataset(
        name=name,
        id=ds_id,
        manifest_sha256=digest,
        root=root,
        clips=[ManifestClip.from_json(c, root) for c in manifest["clips"]],
        merkle_root=manifest["merkle"]["root"],
        manifest=manifest,
    )


__all__ = ["LoadedDataset", "get_dataset_row", "load"]
