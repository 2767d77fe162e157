"""C2PA manifests on generated videos: signing with the studio's chain, and reading them back.

The manifest (C2PA 2.x, written by c2pa-python / c2pa-rs, embedded in the mp4 with a BMFF hash
binding, so changing any media byte invalidates it) carries:

- `c2pa.actions`: one `c2pa.created` action whose `digitalSourceType` is IPTC's
  `trainedAlgorithmicMedia` (the C2PA vocabulary for output of a generative model);
- `com.clearreel.generation`: clearreel's own assertion naming the model, the dataset and
  its manifest hash, and the output id (also carried by the invisible watermark);
- `cawg.training-mining`: every CAWG use (`cawg.ai_training`, `cawg.ai_generative_training`,
  `cawg.ai_inference`, `cawg.data_mining`) `notAllowed`: a studio's generated footage is not
  offered for anyone else's training.

Trust: the signer is the studio's ES256 leaf under its own CA (`provenance.keys`); a reader
trusts a manifest only when that CA is configured as its trust anchor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clearreel import __version__ as _version
from clearreel.config import Settings
from clearreel.errors import UsageError, VerificationFailed
from clearreel.provenance.keys import ca_pem, signing_chain_pem, signing_key_pem

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATION_LABEL = "com.clearreel.generation"
TRAINING_MINING_LABEL = "cawg.training-mining"
CAWG_USES = ("cawg.ai_training", "cawg.ai_generative_training", "cawg.ai_inference",
             "cawg.data_mining")


def manifest_definition(*, output_id: str, model: str, dataset: str | None,
                        dataset_manifest_sha256: str | None, title: str) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "clearreel", "version": _version}],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                "softwareAgent": {"name": "clearreel", "version": _version},
            }]}},
            {"label": GENERATION_LABEL, "data": {
                "output": output_id,
                "model": model,
                "dataset": dataset,
                "dataset_manifest_sha256": dataset_manifest_sha256,
            }},
            {"label": TRAINING_MINING_LABEL, "data": {"entries": {
                use: {"use": "notAllowed"} for use in CAWG_USES}}},
        ],
    }


def sign_video(settings: Settings, src: Path, dst: Path, *, output_id: str, model: str,
               dataset: str | None = None, dataset_manifest_sha256: str | None = None,
               org: str | None = None) -> dict[str, Any]:
    """Embed a signed C2PA manifest into the mp4 `src`, writing `dst`; returns the manifest.
    Signed with the organization's own key (`org`, or the one the settings resolve to)."""
    import datetime as dt

    import c2pa

    from clearreel.db import resolve_org

    org = org or resolve_org(settings)
    definition = manifest_definition(output_id=output_id, model=model, dataset=dataset,
                                     dataset_manifest_sha256=dataset_manifest_sha256,
                                     title=dst.name)
    gen = next(a for a in definition["assertions"] if a["label"] == GENERATION_LABEL)
    gen["data"]["organization"] = org
    gen["data"]["signed"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, signing_chain_pem(settings, org),
                               signing_key_pem(settings, org), None)
    try:
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(definition) as builder, \
                open(src, "rb") as source, open(dst, "w+b") as dest:
            builder.sign(signer, "video/mp4", source, dest)
    except c2pa.C2paError as e:
        raise VerificationFailed(f"C2PA signing of {src} failed: {e}") from e
    return definition


def read_manifest(settings: Settings | None, path: Path,
                  orgs: list[str] | None = None) -> dict[str, Any]:
    """The active manifest and its validation, trust anchored on the CAs of `orgs` (the
    organizations of this workspace whose outputs may be recognised).

    Returns {"present", "valid", "trusted", "state", "failures", "manifest"}: `valid` means the
    signature and every hash binding check out (whoever signed it); `trusted` additionally that
    the signing chain leads to one of those organizations' CAs.
    """
    import c2pa

    config: dict[str, Any] = {"verify": {"verify_trust": True}}
    if orgs is None and settings is not None:
        from clearreel.db import connect
        from clearreel.db.orgs import known_orgs

        try:
            orgs = known_orgs(settings, connect(settings))
        except UsageError:
            orgs = []
    pems = b"".join(ca_pem(settings, o) for o in orgs or []) if settings is not None else b""
    if pems:
        config["trust"] = {"trust_anchors": pems.decode()}
    result: dict[str, Any] = {"present": False, "valid": False, "trusted": False, "state": None,
                              "failures": [], "manifest": None}
    try:
        with open(path, "rb") as stream, c2pa.Context.from_dict(config) as ctx, \
                c2pa.Reader("video/mp4", stream, context=ctx) as reader:
            state = reader.get_validation_state()
            results = reader.get_validation_results() or {}
            manifest = reader.get_active_manifest()
    except c2pa.C2paError as e:
        if "ManifestNotFound" in type(e).__name__ or "JUMBF" in str(e):
            return result
        # A manifest is there but cannot be parsed: present and invalid.
        return {**result, "present": True, "failures": [f"unreadable manifest: {e}"]}
    failures = [f.get("code", "") for f in (results.get("activeManifest") or {}).get("failure", [])]
    untrusted_only = all(code.startswith("signingCredential.untrusted") for code in failures)
    result.update(present=True, state=state, failures=failures, manifest=manifest,
                  valid=state in ("Valid", "Trusted") or (bool(failures) and untrusted_only),
                  trusted=state == "Trusted" and not failures)
    return result


def assertion(manifest: dict[str, Any] | None, label: str) -> dict[str, Any] | None:
    for a in (manifest or {}).get("assertions", []):
        if a.get("label") == label:
            data = a.get("data")
            return data if isinstance(data, dict) else json.loads(json.dumps(data))
    return None


__all__ = ["CAWG_USES", "GENERATION_LABEL", "TRAINED_ALGORITHMIC_MEDIA", "assertion",
           "manifest_definition", "read_manifest", "sign_video"]
