"""`verify_file`: what a video says about where it came from, and whether to believe it.

Two independent carriers: the C2PA manifest (signed, binds every byte, lost when the file is
re-encoded or its metadata stripped) and the invisible watermark (survives re-encoding and
the scalings/crops measured in docs/benchmarks.md). Both point to an output record, which
names the model and dataset.

Each organization signs with its own key and marks with its own watermark secret:
`organization` says which of this workspace's organizations made the output (the one whose
certificate signed the manifest, or whose secret authenticates the watermark), and the output
record is looked up in that organization's registry only. A manifest signed with a
certificate after `keys rotate` retired it, or outside its validity, is not trusted. A
watermark counts only when its tag checks under an organization's secret (an id embedded by
anyone else is "no watermark"), and only on the frames it was made for: the output record
keeps a perceptual fingerprint of its frames, and a mark found on frames that do not match
it was transplanted onto other footage (`forged`).

Verdict (`verified`): a manifest that is present must be valid (signature, hash bindings) and
trusted (chains to an organization's CA, by a certificate valid when it signed); with no
manifest, a watermark that names a registered output whose fingerprint the frames match
still traces the copy. A file with neither has no provenance and fails; so does one whose
manifest and watermark name different outputs, and one whose watermark is forged.
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


def _row(out: Any, org: str) -> dict[str, Any]:
    return {"id": out.id, "model": out.model, "dataset": out.dataset,
            "dataset_manifest_sha256": out.dataset_manifest_sha256,
            "sha256": out.sha256, "blocked": out.blocked, "org": org,
            "created": out.created, "fingerprint": out.fingerprint}


def _lookup(settings: Settings, output_id: str, orgs: list[str]) -> dict[str, Any] | None:
    from clearreel.db import open_session
    from clearreel.generate.outputs import find_output

    for org in orgs:
        with open_session(settings, org) as s:
            out = find_output(s, output_id)
            if out is not None:
                return _row(out, org)
    return None


def _marked(settings: Settings, org: str, found: wm.Extraction) -> list[dict[str, Any]]:
    """The organization's delivered outputs whose id begins with what the mark carries (one
    for the full profile; those sharing the 8-bit prefix for the small one)."""
    from sqlalchemy import select

    from clearreel.db import open_session
    from clearreel.generate.models import Output

    prefix = found.id_prefix or ""
    with open_session(settings, org) as s:
        rows = s.scalars(select(Output).where(Output.watermark.like(f"{prefix}%"),
                                              Output.blocked.is_(False))).all()
        return [_row(o, org) for o in rows if (o.watermark or "").startswith(prefix)]


def _watermark_keys(settings: Settings, orgs: list[str]) -> dict[str, bytes]:
    from clearreel.provenance.keys import watermark_key

    keys = {org: watermark_key(settings, org, create=False) for org in orgs}
    return {org: k for org, k in keys.items() if k is not None}


def _no_mark() -> dict[str, Any]:
    return {"present": False, "output": None, "organization": None, "profile": None,
            "fingerprint": None, "forged": False}


def _trace(settings: Settings, frames: Any, fps: float, orgs: list[str]
           ) -> tuple[str | None, wm.Extraction | None, dict[str, Any] | None,
                      dict[str, Any], list[str]]:
    """Read the watermark under each organization's secret and match the frames against the
    fingerprints of the outputs it may name: (organization, extraction, the matching output
    record or None, the watermark part of the report, problems)."""
    from clearreel.attribution import fingerprint as fpr

    report = _no_mark()
    keys = _watermark_keys(settings, orgs)
    if not keys:
        return None, None, None, report, []
    org, found = wm.extract_any(frames, keys)
    if org is None or not found.found:
        return None, None, None, report, []
    report.update(present=True, organization=org, profile=found.profile)
    candidates = _marked(settings, org, found)
    scored = [(fpr.similarity(c["fingerprint"], frames, fps, found.geometry), c)
              for c in candidates if c.get("fingerprint")]
    if scored:
        score, best = max(scored, key=lambda sc: sc[0])
        match = score >= fpr.MATCH_THRESHOLD
        report.update(output=best["id"], forged=not match,
                      fingerprint={"score": round(float(score), 3), "match": match,
                                   "threshold": fpr.MATCH_THRESHOLD})
        if match:
            return org, found, best, report, []
        return org, found, None, report, [
            f"forged watermark: {org}'s mark names {best['id']}, but the frames do not match "
            f"that output's fingerprint (score {score:.3f} < {fpr.MATCH_THRESHOLD}): a "
            "watermark transplanted onto other footage"]
    if candidates:  # delivered before outputs kept fingerprints
        report["output"] = candidates[0]["id"]
        return org, found, None, report, [
            f"{org}'s watermark names {candidates[0]['id']}, whose record keeps no fingerprint "
            "to match the frames with"]
    report["output"] = found.output_id
    name = found.output_id or f"out-{found.id_prefix}…"
    return org, found, None, report, [
        f"{org}'s watermark carries {name}, which is not an output of this studio"]


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
    `verified` (bool), `problems` (why not) and `verdict`: "verified", "forged" (the
    watermark names a genuine output but the frames are not that output's) or "not_verified"."""
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
    manifest_id = gen.get("output") if gen else None
    mark_org, found, traced, mark = None, None, None, _no_mark()
    try:
        frames, fps = read_frames(path, MAX_FRAMES)
    except MediaError as e:
        problems.append(f"cannot decode the video to look for the watermark: {e}")
    else:
        mark_org, found, traced, mark, found_problems = _trace(
            settings, frames, float(fps), [signer] if signer else orgs)
        problems += found_problems
    mark_id = mark["output"]
    output_id = manifest_id or mark_id
    if traced is not None and output_id == traced["id"]:
        record: dict[str, Any] | None = traced
    else:
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
    if manifest_id and found is not None and not wm.carries(found, manifest_id):
        problems.append(f"the manifest names {manifest_id} but the watermark carries "
                        f"{mark_id or 'out-' + (found.id_prefix or '') + '…'}")
    if not c2pa["present"] and not mark["present"]:
        problems.append("no provenance: no C2PA manifest and no valid watermark (a mark counts "
                        "only when an organization's watermark secret authenticates it)")
    org = (record or {}).get("org") or signer or mark_org
    verdict = "verified" if not problems else "forged" if mark["forged"] else "not_verified"
    return {
        "c2pa": {"present": c2pa["present"], "valid": c2pa["valid"], "trusted": c2pa["trusted"]},
        "watermark": mark,
        "forged": bool(mark["forged"]),
        "output": record["id"] if record else output_id,
        "model": record["model"] if record else (gen or {}).get("model"),
        "dataset": record["dataset"] if record else (gen or {}).get("dataset"),
        "organization": {"id": org, "name": names.get(org)} if org else None,
        "verified": not problems,
        "verdict": verdict,
        "problems": problems,
    }


__all__ = ["verify_file"]
