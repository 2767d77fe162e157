"""`verify_file`: what a video says about where it came from, and whether to believe it.

Two independent carriers: the C2PA manifest (signed, binds every byte, lost when the file is
re-encoded or its metadata stripped) and the invisible watermark (survives re-encoding and
the scalings/crops measured in docs/benchmarks.md, proves nothing by itself but the id it
carries). Both point to an output record, which names the model and dataset.

Verdict (`verified`): a manifest that is present must be valid (signature, hash bindings) and
trusted (chains to this studio's CA); with no manifest, a watermark that names a registered
output still traces the copy. A file with neither has no provenance and fails; so does one
whose manifest and watermark name different outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import MediaError, UsageError
from clearreel.media import read_frames
from clearreel.provenance import watermark as wm
from clearreel.provenance.c2pa_sign import GENERATION_LABEL, assertion, read_manifest

MAX_FRAMES = 240  # the watermark is the same in every frame; 10 s at 24 fps is plenty


def _lookup(settings: Settings, output_id: str) -> dict[str, Any] | None:
    from clearreel.db import open_session
    from clearreel.generate.outputs import find_output

    try:
        with open_session(settings) as s:
            out = find_output(s, output_id)
            if out is None:
                return None
            return {"id": out.id, "model": out.model, "dataset": out.dataset,
                    "dataset_manifest_sha256": out.dataset_manifest_sha256,
                    "sha256": out.sha256, "blocked": out.blocked}
    except UsageError:  # no workspace / registry: nothing to look up
        return None


def verify_file(settings: Settings, path: Path) -> dict[str, Any]:
    """The contract document `{"c2pa", "watermark", "output", "model", "dataset"}` plus
    `verified` (bool) and `problems` (why not)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path} is not a file: give the path of a video to verify")
    problems: list[str] = []
    c2pa = read_manifest(settings, path)
    gen = assertion(c2pa["manifest"], GENERATION_LABEL) if c2pa["valid"] else None
    try:
        frames, _ = read_frames(path, MAX_FRAMES)
        found = wm.extract(frames)
        mark = found.output_id if found.found else None
    except MediaError as e:
        problems.append(f"cannot decode the video to look for the watermark: {e}")
        mark = None
    manifest_id = gen.get("output") if gen else None
    output_id = manifest_id or mark
    record = _lookup(settings, output_id) if output_id else None
    if c2pa["present"] and not c2pa["valid"]:
        problems.append("the C2PA manifest does not validate (" + ", ".join(c2pa["failures"])
                        + "): the file was modified after signing")
    elif c2pa["present"] and not c2pa["trusted"]:
        problems.append("the C2PA manifest is valid but not signed by this studio's CA "
                        "(untrusted signer)")
    if manifest_id and mark and manifest_id != mark:
        problems.append(f"the manifest names {manifest_id} but the watermark carries {mark}")
    if not c2pa["present"] and mark is None:
        problems.append("no provenance: no C2PA manifest and no watermark")
    if not c2pa["present"] and mark is not None and record is None:
        problems.append(f"the watermark carries {mark}, which is not an output of this studio")
    return {
        "c2pa": {"present": c2pa["present"], "valid": c2pa["valid"], "trusted": c2pa["trusted"]},
        "watermark": {"present": mark is not None, "output": mark},
        "output": record["id"] if record else output_id,
        "model": record["model"] if record else (gen or {}).get("model"),
        "dataset": record["dataset"] if record else (gen or {}).get("dataset"),
        "verified": not problems,
        "problems": problems,
    }


__all__ = ["verify_file"]
