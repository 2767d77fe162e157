"""The studio's keys: a certificate authority and an ES256 signing certificate under it.

`clearreel init` creates them in `$CLEARREEL_HOME/keys/`:

- `ca.key` / `ca.pem`: the studio's root CA (ECDSA P-256), the trust anchor for verification;
- `signing.key` / `signing.pem`: the leaf that signs C2PA manifests and dataset bills of
  materials. C2PA (spec 2.1, §14.5) requires a non-CA leaf with a digitalSignature key usage
  and one of a few extended key usages; we use id-kp-emailProtection and id-kp-documentSigning.

Private keys are written with mode 0600. Existing keys are never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clearreel.config import Settings
from clearreel.errors import UsageError

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def ensure_studio_keys(settings: Settings, studio: str = "clearreel studio") -> dict[str, str]:
    """Create the CA and signing certificate if absent; return their paths."""
    d = settings.keys_dir
    d.mkdir(parents=True, exist_ok=True)
    paths = {n: d / n for n in ("ca.key", "ca.pem", "signing.key", "signing.pem")}
    if all(p.exists() for p in paths.values()):
        return {k: str(v) for k, v in paths.items()}
    if any(p.exists() for p in paths.values()):
        raise UsageError(f"{d} holds some studio keys but not all: restore the missing ones from "
                         "backup (clearreel never overwrites keys)")
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{studio} root CA", studio)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(_name(f"{studio} signing", studio))
            .issuer_name(ca_name).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=825))
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
    _write_key(paths["ca.key"], ca_key)
    paths["ca.pem"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    _write_key(paths["signing.key"], leaf_key)
    paths["signing.pem"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return {k: str(v) for k, v in paths.items()}


def load_signing_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    path = settings.keys_dir / "signing.key"
    if not path.exists():
        raise UsageError(f"no studio signing key at {path}: run `clearreel init`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def signing_chain_pem(settings: Settings) -> bytes:
    """The leaf certificate followed by the CA, as C2PA signers expect."""
    keys = settings.keys_dir
    return (keys / "signing.pem").read_bytes() + (keys / "ca.pem").read_bytes()


def ca_pem(settings: Settings) -> bytes:
    return (settings.keys_dir / "ca.pem").read_bytes()
