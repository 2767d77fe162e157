"""Datasets: WebDataset shards + Parquet index, the signed bill of materials, exports, verify.

Public API:

- `build(settings, name, header=, clips=, exclusions=, sources=) -> Packed`: shards, Parquet
  index, manifest and signature for clips already cut (curation's last stage);
- `delete(settings, name)`: the dataset's records and directory, audited (the interfaces call
  `clearreel.train.downstream.delete_dataset`, which refuses while a model depends on it);
  `delete_rows(session, name)` and `remove_files(settings, name)` are its two halves, for a
  caller that checks and deletes in one transaction;
- `get_dataset_row(session, name)`: the session organization's Dataset row (NotFound naming
  the known datasets otherwise);
- `load(settings, name) -> LoadedDataset` (clips as `ManifestClip`s with absolute mp4 paths);
- `ManifestClip`: one clip, the manifest's clip schema (`to_json` / `from_json`);
- `verify(settings, name, on=None) -> dict` (hashes, signature, Merkle root, clearance today);
- `export(settings, name, fmt, out, link=False)` for `finetrainers`, `videofolder`,
  `diffusion-pipe`, `webdataset` (see docs/interchange.md);
- `show(settings, name)`, `list_datasets(settings)`;
- `merkle_root`, `inclusion_proof`, `verify_inclusion` (see `merkle`).
"""

from clearreel.dataset._delete import delete, delete_rows, remove_files
from clearreel.dataset._load import LoadedDataset, get_dataset_row, load
from clearreel.dataset.clip import ManifestClip
from clearreel.dataset.export import FORMATS, export
from clearreel.dataset.info import list_datasets, show
from clearreel.dataset.merkle import inclusion_proof, merkle_root, verify_inclusion
from clearreel.dataset.verify import verify
from clearreel.dataset.writer import Packed, build

__all__ = [
    "FORMATS",
    "LoadedDataset",
    "ManifestClip",
    "Packed",
    "build",
    "delete",
    "delete_rows",
    "export",
    "get_dataset_row",
    "inclusion_proof",
    "list_datasets",
    "load",
    "merkle_root",
    "remove_files",
    "show",
    "verify",
    "verify_inclusion",
]
