"""The key store: the files of each organization's keys under `keys/ORG/`.

What the files are, and what they are for, is `clearreel.provenance.keys` (which signs,
rotates and verifies with them). This module only makes and stores them: a new CA and leaf,
private keys written with mode 0600, the leaves in `certs.json`, the CA key where the
settings keep it (`$CLEARREEL_CA_DIR/WORKSPACE/ORG/ca.key`, or `keys/ORG/ca.key.enc` with
`CLEARREEL_KEY_PASSPHRASE`, or not at all). It lies in `db`, beside the workspace's identity,
so that the workspace layout migration (`db.layout`) can move an old workspace's shared keys
to each organization without reaching up into provenance.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clearreel.config import Settings, org_slug
from clearreel.errors import UsageError

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)
LEAF_DAYS, CA_DAYS = 825, 3650


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def write_private(path: Path, key: ec.EllipticCurvePrivateKey,
                   passphrase: str | None = None) -> None:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
        else serialization.NoEncryption())
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def ca_key_path(settings: Settings, org: str) -> Path | None:
    """Where the organization's CA key lives, or None when it is not kept."""
    if settings.ca_dir:
        from clearreel.db.orgs import ensure_workspace

        root = Path(settings.ca_dir).expanduser().resolve()
        home = settings.home.resolve()
        if root == home or home in root.parents:
            raise UsageError(f"CLEARREEL_CA_DIR={settings.ca_dir} is inside the workspace "
                             f"{home}: the CA key must be kept outside it")
        return root / str(ensure_workspace(settings)["id"]) / org_slug(org) / "ca.key"
    if settings.key_passphrase:
        return settings.keys_dir(org) / "ca.key.enc"
    return None


def store_ca_key(settings: Settings, org: str, key: ec.EllipticCurvePrivateKey) -> str | None:
    path = ca_key_path(settings, org)
    if path is None:
        return None
    write_private(path, key, None if settings.ca_dir else settings.key_passphrase)
    return str(path)


def load_ca_key(settings: Settings, org: str) -> ec.EllipticCurvePrivateKey | None:
    path = ca_key_path(settings, org)
    if path is None or not path.exists():
        return None
    password = None if settings.ca_dir else (settings.key_passphrase or "").encode()
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=password)
    except (ValueError, TypeError) as e:
        raise UsageError(f"cannot open the CA key {path} ({e}): check CLEARREEL_KEY_PASSPHRASE"
                         ) from None
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def new_ca(studio: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{studio} root CA", studio)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + dt.timedelta(days=CA_DAYS))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    return ca_key, ca


def new_leaf(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, studio: str,
              now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(f"{studio} signing", studio))
            .issuer_name(ca.subject).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  DOCUMENT_SIGNING]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return leaf_key, leaf


def read_certs(settings: Settings, org: str) -> list[dict[str, Any]]:
    path = settings.keys_dir(org) / "certs.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")))


def write_certs(settings: Settings, org: str, certs: list[dict[str, Any]]) -> None:
    path = settings.keys_dir(org) / "certs.json"
    tmp = path.with_name(".certs.json.tmp")
    tmp.write_text(json.dumps(certs, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def add_cert(settings: Settings, org: str, cert: x509.Certificate,
              retired: dt.datetime | None = None) -> None:
    d = settings.keys_dir(org) / "certs"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{cert.serial_number:x}.pem").write_bytes(pem(cert))
    certs = [c for c in read_certs(settings, org) if c["sha256"] != fingerprint(cert)]
    certs.append({"serial": f"{cert.serial_number:x}", "sha256": fingerprint(cert),
                  "not_before": cert.not_valid_before_utc.isoformat(),
                  "not_after": cert.not_valid_after_utc.isoformat(),
                  "retired": retired.isoformat() if retired else None})
    write_certs(settings, org, certs)


def key_paths(settings: Settings, org: str) -> dict[str, str]:
    d = settings.keys_dir(org)
    out = {n: str(d / n) for n in ("ca.pem", "signing.key", "signing.pem", "certs.json")}
    ca_key = ca_key_path(settings, org)
    out["ca.key"] = str(ca_key) if ca_key and ca_key.exists() else ""
    return out


def ensure_org_keys(settings: Settings, org: str, studio: str | None = None) -> dict[str, str]:
    """Create the organization's CA and signing certificate if absent; return their paths."""
    d = settings.keys_dir(org)
    core = [d / n for n in ("ca.pem", "signing.key", "signing.pem")]
    if all(p.exists() for p in core):
        return key_paths(settings, org)
    if any(p.exists() for p in core):
        raise UsageError(f"{d} holds some of the organization's keys but not all: restore the "
                         "missing ones from backup (clearreel never overwrites keys)")
    d.mkdir(parents=True, exist_ok=True)
    studio = studio or org
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key, ca = new_ca(studio, now)
    leaf_key, leaf = new_leaf(ca_key, ca, studio, now)
    store_ca_key(settings, org, ca_key)
    (d / "ca.pem").write_bytes(pem(ca))
    write_private(d / "signing.key", leaf_key)
    (d / "signing.pem").write_bytes(pem(leaf))
    add_cert(settings, org, leaf)
    return key_paths(settings, org)


__all__ = ["CA_DAYS", "DOCUMENT_SIGNING", "LEAF_DAYS", "add_cert", "ca_key_path",
           "ensure_org_keys", "fingerprint", "key_paths", "load_ca_key", "new_ca", "new_leaf",
           "pem", "read_certs", "store_ca_key", "write_certs", "write_private"]
