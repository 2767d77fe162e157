"""`verify_file`: what a video says about where it came from, and whether to believe it.

Two independent carriers: the C2PA manifest (signed, binds every byte, lost when the file is
re-encoded or its metadata stripped) and the invisible watermark (survives re-encoding and
the scalings/crops measured in docs/benchmarks.md, proves nothing by itself but the id it
carries). Both point to an output record, which names the model and dataset.

Each organization signs with its own key: `organization` says which of this workspace's
organizations made the output (the one whose certificate signed the manifest, or whose
registry holds the output the watermark names), and the output record is looked up in that
organization's registry only. A manifest signed with a certificate after `keys rotate`
retired it, or outside its validity, is not trusted.

Verdict (`verified`): a manifest that is present must be valid (signature, hash bindings) and
trusted (chains to an organization's CA, by a certificate valid when it signed); with no
manifest, a watermark that names a registered
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


def _orgs(settings: Settings) -> dict[str, str]:
    """This workspace's organizations (id -> name): those `--org` allows, or all of them."""
    from clearreel.db import connect
    from clearreel.db.orgs import check_org, org_names

    try:
        engine = connect(settings)
        names = org_names(settings, engine)
    except UsageError:  # no workspace / registry: nothing to look up
        return {}
    if settings.org:
        check_org(settings, engine, settings.org)
        return {settings.org: names[settings.org]}
    return names


def _lookup(settings: Settings, output_id: str, orgs: list[str]) -> dict[str, Any] | None:
    from clearreel.db import open_session
    from clearreel.generate.outputs import find_output

    for org in orgs:
        with open_session(settings, org) as s:
            out = find_output(s, output_id)
            if out is not None:
                return {"id": out.id, "model": out.model, "dataset": out.dataset,
                        "dataset_manifest_sha256": out.dataset_manifest_sha256,
                        "sha256": out.sha256, "blocked": out.blocked, "org": org,
                        "created": out.created}
    return None


def _signer(settings: Settings, manifest: dict[str, Any] | None,
            orgs: list[str]) -> tuple[str | None, Any]:
    """The organization whose certificate signed the manifest, and that certificate."""
    from clearreel.provenance.keys import leaf_cert, org_of_cert

    info = (manifest or {}).get("signature_info") or {}
    serial = info.get("cert_serial_number")
    if serial is None:
        return None, None
    try:
        hexserial = f"{int(str(serial)):x}"  # c2pa reports the serial in decimal
    except ValueError:
        return None, None
    org = org_of_cert(settings, orgs, serial=hexserial)
    return org, (leaf_cert(settings, org, hexserial) if org else None)


def verify_file(settings: Settings, path: Path) -> dict[str, Any]:
    """The contract document `{"c2pa", "watermark", "output", "model", "dataset"}` plus
    `verified` (bool) and `problems` (why not)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path} is not a file: give the path of a video to verify")
    import datetime as dt

    from clearreel.provenance.keys import cert_problem

    problems: list[str] = []
    names = _orgs(settings)
    orgs = sorted(names)
    c2pa = read_manifest(settings, path, orgs)
    gen = assertion(c2pa["manifest"], GENERATION_LABEL) if c2pa["valid"] else None
    signer, leaf = _signer(settings, c2pa["manifest"], orgs) if c2pa["valid"] else (None, None)
    if c2pa["trusted"] and signer is None:
        c2pa["trusted"] = False
        problems.append("the C2PA manifest chains to a CA of this workspace but its signing "
                        "certificate is not one an organization here issued")
    try:
        frames, _ = read_frames(path, MAX_FRAMES)
        found = wm.extract(frames)
        mark = found.output_id if found.found else None
    except MediaError as e:
        problems.append(f"cannot decode the video to look for the watermark: {e}")
        mark = None
    manifest_id = gen.get("output") if gen else None
    output_id = manifest_id or mark
    record = _lookup(settings, output_id, [signer] if signer else orgs) if output_id else None
    if c2pa["trusted"] and signer is not None and leaf is not None:
        signed = record["created"] if record else None
        if signed is None and gen and gen.get("signed"):
            try:
                signed = dt.datetime.fromisoformat(str(gen["signed"]))
            except ValueError:
                signed = None
        late = cert_problem(settings, signer, leaf, signed)
        if late:
            c2pa["trusted"] = False
            problems.append(late)
    if c2pa["trusted"] and record is not None and record.get("sha256"):
        import hashlib

        if hashlib.sha256(path.read_bytes()).hexdigest() != record["sha256"]:
            problems.append(f"the file is not the one recorded for output {record['id']} (its "
                            "sha256 differs): a manifest copied onto other media")
    if c2pa["present"] and not c2pa["valid"]:
        problems.append("the C2PA manifest does not validate (" + ", ".join(c2pa["failures"])
                        + "): the file was modified after signing")
    elif c2pa["present"] and not c2pa["trusted"] and not problems:
        problems.append("the C2PA manifest is valid but not signed by an organization of this "
                        "workspace (untrusted signer)")
    if manifest_id and mark and manifest_id != mark:
        problems.append(f"the manifest names {manifest_id} but the watermark carries {mark}")
    if not c2pa["present"] and mark is None:
        problems.append("no provenance: no C2PA manifest and no watermark")
    if not c2pa["present"] and mark is not None and record is None:
        problems.append(f"the watermark carries {mark}, which is not an output of this studio")
    org = (record or {}).get("org") or signer
    return {
        "c2pa": {"present": c2pa["present"], "valid": c2pa["valid"], "trusted": c2pa["trusted"]},
        "watermark": {"present": mark is not None, "output": mark},
        "output": record["id"] if record else output_id,
        "model": record["model"] if record else (gen or {}).get("model"),
        "dataset": record["dataset"] if record else (gen or {}).get("dataset"),
        "organization": {"id": org, "name": names.get(org)} if org else None,
        "verified": not problems,
        "problems": problems,
    }


__all__ = ["verify_file"]
