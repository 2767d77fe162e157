"""Each organization's keys: its own certificate authority and ES256 signing certificate.

`keys/ORG/` holds, for one organization:

- `ca.pem`: the organization's root CA certificate (ECDSA P-256), its trust anchor;
- `signing.key` / `signing.pem`: the current leaf that signs C2PA manifests and dataset bills
  of materials. C2PA (spec 2.1, §14.5) requires a non-CA leaf with a digitalSignature key
  usage and one of a few extended key usages; we use id-kp-emailProtection and
  id-kp-documentSigning;
- `certs/SERIAL.pem` and `certs.json`: every leaf the organization has used, with the time it
  was retired (`keys rotate`), so material signed before a rotation still verifies with the
  certificate that was valid when it was signed, and a retired key cannot sign anew;
- `anchors/*.pem`: earlier CAs still trusted for what they signed (the shared CA of a
  workspace made before keys were per organization);
- `anchor.key` / `anchor.pub`: the Ed25519 key that signs the checkpoints of the audit log's
  and the ledger's chain heads (`provenance.anchors`; not a certificate: the checkpoints are
  only ever verified by this organization, with `anchor.pub`, which is also exported with them);
- `watermark.key`: 32 random bytes (hex), the secret that keys the invisible watermark (its
  layout, dither and HMAC tag: `clearreel.provenance.watermark`). Made on first use, mode
  0600, never rotated (every output the organization ever marked is read with it), and never
  shared: another organization's secret can neither read nor forge this one's marks.

The CA's private key is never written beside the signing key: it goes to
`$CLEARREEL_CA_DIR/WORKSPACE/ORG/ca.key` (outside the workspace), or, with
`CLEARREEL_KEY_PASSPHRASE`, to `keys/ORG/ca.key.enc` encrypted with that passphrase; with
neither it is not kept at all (the CA signs the first leaf and is forgotten: `keys rotate`
then needs one of the two settings and a new CA). Private keys are written with mode 0600.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from clearreel.config import Settings
from clearreel.db.keystore import add_cert as _add_cert
from clearreel.db.keystore import ca_key_path as _ca_key_path
from clearreel.db.keystore import ensure_org_keys, fingerprint, read_certs  # the key store
from clearreel.db.keystore import load_ca_key as _load_ca_key
from clearreel.db.keystore import new_ca as _new_ca
from clearreel.db.keystore import new_leaf as _new_leaf
from clearreel.db.keystore import pem as _pem
from clearreel.db.keystore import store_ca_key as _store_ca_key
from clearreel.db.keystore import write_private as _write_private
from clearreel.errors import UsageError


def ensure_studio_keys(settings: Settings, studio: str | None = None,
                       org: str | None = None) -> dict[str, dict[str, str]]:
    """Keys for `org`, or for every organization the workspace holds (none before the first
    catalog import: an organization's keys are made when it comes into being)."""
    if org is not None:
        return {org: ensure_org_keys(settings, org, studio)}
    from clearreel.db import connect
    from clearreel.db.orgs import known_orgs, org_names

    try:
        engine = connect(settings)
        orgs = known_orgs(settings, engine)
        names = org_names(settings, engine)
    except UsageError:
        return {}
    return {o: ensure_org_keys(settings, o, names.get(o) or studio) for o in orgs}


def rotate(settings: Settings, org: str) -> dict[str, Any]:
    """Issue a new signing key and certificate under the organization's CA; the old
    certificate is kept (old material still verifies) and retired now (nothing signed after
    this instant with the old key is trusted)."""
    d = settings.keys_dir(org)
    if not (d / "signing.pem").exists():
        raise UsageError(f"organization {org!r} has no keys yet in {d}: they are made when its "
                         "catalog is imported (or by `clearreel init`)")
    ca_key = _load_ca_key(settings, org)
    if ca_key is None:
        raise UsageError(
            f"the CA key of organization {org!r} is not available: it is kept only when "
            "CLEARREEL_CA_DIR (a folder outside the workspace) or CLEARREEL_KEY_PASSPHRASE was "
            "set when the keys were made; set the one that was used, or give both to `keys rotate "
            "--new-ca` to start a new CA (the old one stays trusted for what it signed)")
    ca = x509.load_pem_x509_certificate((d / "ca.pem").read_bytes())
    return _issue(settings, org, ca_key, ca)


def rotate_new_ca(settings: Settings, org: str) -> dict[str, Any]:
    """Start a new CA for the organization (the old CA key is lost or compromised): the old CA
    becomes an extra trust anchor for what it signed; the new CA key is stored as configured."""
    d = settings.keys_dir(org)
    if _ca_key_path(settings, org) is None:
        raise UsageError("set CLEARREEL_CA_DIR (outside the workspace) or CLEARREEL_KEY_PASSPHRASE "
                         "so the new CA key can be kept for the next rotation")
    old = x509.load_pem_x509_certificate((d / "ca.pem").read_bytes())
    (d / "anchors").mkdir(exist_ok=True)
    (d / "anchors" / f"{old.serial_number:x}.pem").write_bytes(_pem(old))
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    studio = old.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    ca_key, ca = _new_ca(str(studio), now)
    _store_ca_key(settings, org, ca_key)
    (d / "ca.pem").write_bytes(_pem(ca))
    return _issue(settings, org, ca_key, ca)


def _issue(settings: Settings, org: str, ca_key: ec.EllipticCurvePrivateKey,
           ca: x509.Certificate) -> dict[str, Any]:
    d = settings.keys_dir(org)
    old = x509.load_pem_x509_certificate((d / "signing.pem").read_bytes())
    now = dt.datetime.now(dt.UTC)
    studio = old.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    leaf_key, leaf = _new_leaf(ca_key, ca, str(studio), now - dt.timedelta(seconds=1))
    _add_cert(settings, org, old, retired=now)
    _write_private(d / "signing.key", leaf_key)
    tmp = d / ".signing.pem.tmp"
    tmp.write_bytes(_pem(leaf))
    os.replace(tmp, d / "signing.pem")
    _add_cert(settings, org, leaf)
    return {"organization": org, "retired": f"{old.serial_number:x}",
            "serial": f"{leaf.serial_number:x}", "not_after": leaf.not_valid_after_utc.isoformat(),
            "certs": len(read_certs(settings, org))}


ANCHOR_KEY, ANCHOR_PUB = "anchor.key", "anchor.pub"


def _publish_once(path: Path, data: bytes, mode: int) -> None:
    """Write `path` only if it does not exist yet, atomically: the first of several processes
    racing to make a key wins (a hard link fails when the name exists) and the others use it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def anchor_key(settings: Settings, org: str) -> ed25519.Ed25519PrivateKey:
    """The organization's anchor signing key, made on first use (mode 0600)."""
    d = settings.keys_dir(org)
    path = d / ANCHOR_KEY
    if not path.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        _publish_once(path, key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()), 0o600)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ed25519.Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 private key: restore it from backup")
    pub = d / ANCHOR_PUB
    if not pub.exists():
        _publish_once(pub, loaded.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    return loaded


def anchor_public_key(settings: Settings, org: str,
                      path: Path | None = None) -> ed25519.Ed25519PublicKey | None:
    """The key that verifies the organization's anchors (`anchor.pub`, or the one at `path`);
    None when the organization has never anchored."""
    path = path or settings.keys_dir(org) / ANCHOR_PUB
    if not path.exists():
        return None
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key: restore it from backup")
    return key


WATERMARK_KEY = "watermark.key"


def watermark_key(settings: Settings, org: str, *, create: bool = True) -> bytes | None:
    """The organization's watermark secret (32 bytes), made on first use (mode 0600); None
    when it has none and `create` is False (it never marked an output)."""
    path = settings.keys_dir(org) / WATERMARK_KEY
    if not path.exists():
        if not create:
            return None
        _publish_once(path, (secrets.token_hex(32) + "\n").encode("ascii"), 0o600)
    text = path.read_text(encoding="ascii").strip()
    try:
        wkey = bytes.fromhex(text)
    except ValueError:
        wkey = b""
    if len(wkey) != 32:
        raise UsageError(f"{path} is not a watermark secret (64 hex digits): restore it from "
                         "backup; without it no output this organization marked can be traced")
    return wkey


def load_signing_key(settings: Settings, org: str) -> ec.EllipticCurvePrivateKey:
    ensure_org_keys(settings, org)
    path = settings.keys_dir(org) / "signing.key"
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def signing_key_pem(settings: Settings, org: str) -> bytes:
    ensure_org_keys(settings, org)
    return (settings.keys_dir(org) / "signing.key").read_bytes()


def signing_chain_pem(settings: Settings, org: str) -> bytes:
    """The leaf certificate followed by the CA, as C2PA signers expect."""
    ensure_org_keys(settings, org)
    keys = settings.keys_dir(org)
    return (keys / "signing.pem").read_bytes() + (keys / "ca.pem").read_bytes()


def anchors(settings: Settings, org: str) -> list[x509.Certificate]:
    """The organization's trust anchors: its CA, then earlier CAs it still trusts."""
    d = settings.keys_dir(org)
    out = []
    if (d / "ca.pem").exists():
        out.append(x509.load_pem_x509_certificate((d / "ca.pem").read_bytes()))
    for p in sorted((d / "anchors").glob("*.pem")) if (d / "anchors").is_dir() else []:
        out.append(x509.load_pem_x509_certificate(p.read_bytes()))
    return out


def ca_pem(settings: Settings, org: str) -> bytes:
    return b"".join(_pem(c) for c in anchors(settings, org))


def cert_problem(settings: Settings, org: str, leaf: x509.Certificate,
                 signed_at: dt.datetime | None) -> str | None:
    """Why `leaf` cannot vouch for something the organization signed at `signed_at` (None
    when it can): outside its validity then, or retired (rotated) before then. A leaf this
    organization never recorded is judged by its chain alone (see the callers)."""
    if signed_at is None:
        signed_at = dt.datetime.now(dt.UTC)
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=dt.UTC)
    if not (leaf.not_valid_before_utc <= signed_at <= leaf.not_valid_after_utc):
        return (f"the signing certificate {leaf.serial_number:x} was not valid when it signed "
                f"({signed_at.isoformat(timespec='seconds')}; valid "
                f"{leaf.not_valid_before_utc.date()} to {leaf.not_valid_after_utc.date()})")
    rec = next((c for c in read_certs(settings, org) if c["sha256"] == fingerprint(leaf)), None)
    if rec and rec.get("retired"):
        retired = dt.datetime.fromisoformat(rec["retired"])
        if signed_at >= retired:
            return (f"the signing certificate {leaf.serial_number:x} was retired by `keys rotate` "
                    f"on {retired.isoformat(timespec='seconds')}, before this was signed "
                    f"({signed_at.isoformat(timespec='seconds')})")
    return None


def org_of_cert(settings: Settings, orgs: list[str], serial: str | None = None,
                sha256: str | None = None) -> str | None:
    """The organization (of `orgs`) that issued the leaf with this serial or fingerprint."""
    for org in orgs:
        for c in read_certs(settings, org):
            if (sha256 and c["sha256"] == sha256) or (serial and c["serial"] == serial.lower()):
                return org
    return None


def leaf_cert(settings: Settings, org: str, serial: str) -> x509.Certificate | None:
    p = settings.keys_dir(org) / "certs" / f"{serial.lower()}.pem"
    return x509.load_pem_x509_certificate(p.read_bytes()) if p.exists() else None
