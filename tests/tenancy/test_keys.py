"""Each organization its own keys; the CA key never beside the signing key; `keys rotate`
keeps old datasets and outputs valid and makes the retired key useless for new ones."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from clearreel.config import Settings
from provenance.conftest import catalog
from provenance.media import footage
from tenancy.test_files import _pack, _verify

NORTH = "org-north"


def _private_keys(root: Path) -> dict[str, str]:
    """Every PEM private key under `root`: path -> 'plain' or 'encrypted'."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file() and b"PRIVATE KEY-----" in p.read_bytes()[:64]:
            out[str(p.relative_to(root))] = ("encrypted" if b"ENCRYPTED" in p.read_bytes()[:40]
                                             else "plain")
    return out


def _second_org(studio_settings: Settings, tmp_path: Path) -> None:
    import yaml

    from clearreel.rights.catalog import import_catalog

    doc = catalog()
    doc["organization"] = {"id": "org-south", "name": "Southlight", "home_territory": "US"}
    for lic in doc["licenses"]:
        lic["licensee"] = "org-south"
    p = tmp_path / "south.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    import_catalog(dataclasses.replace(studio_settings, org="org-south"), p)


def test_each_organization_has_its_own_chain_and_no_plain_ca_key(studio, tmp_path) -> None:
    from clearreel.provenance.keys import anchors

    s = studio()
    _second_org(s, tmp_path)
    from cryptography.hazmat.primitives.hashes import SHA256

    north, south = anchors(s, NORTH)[0], anchors(s, "org-south")[0]
    assert north.fingerprint(SHA256()) != south.fingerprint(SHA256())
    # Neither CLEARREEL_CA_DIR nor a passphrase: the CA key is not kept at all; the only
    # private keys in the workspace are the two organizations' signing keys and the keys that
    # sign their audit and ledger anchors (provenance.anchors), each in its own keys/ORG/.
    assert _private_keys(s.home) == {f"keys/{NORTH}/signing.key": "plain",
                                     "keys/org-south/signing.key": "plain",
                                     f"keys/{NORTH}/anchor.key": "plain",
                                     "keys/org-south/anchor.key": "plain"}


def test_ca_key_encrypted_with_the_passphrase_or_outside(workspace, tmp_path, monkeypatch,
                                                         cli) -> None:
    from clearreel.provenance.keys import ensure_org_keys

    s = dataclasses.replace(workspace, key_passphrase="correct horse battery")
    ensure_org_keys(s, "org-p")
    assert _private_keys(s.home / "keys" / "org-p") == {"ca.key.enc": "encrypted",
                                                         "signing.key": "plain"}
    outside = tmp_path / "ca-vault"
    s2 = dataclasses.replace(workspace, ca_dir=str(outside))
    ensure_org_keys(s2, "org-q")
    assert "ca.key" not in str(_private_keys(s.home / "keys" / "org-q"))
    assert list(outside.rglob("ca.key"))
    # A CA folder inside the workspace is refused.
    from clearreel.errors import UsageError

    with pytest.raises(UsageError, match="outside"):
        ensure_org_keys(dataclasses.replace(workspace, ca_dir=str(workspace.home / "x")), "org-r")


def test_rotation_keeps_old_material_valid_and_retires_the_old_key(
        studio, tmp_path, monkeypatch, cli) -> None:
    import c2pa
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from clearreel.dataset.manifest import canonical, read_manifest
    from clearreel.db import open_session
    from clearreel.generate import verify_file
    from clearreel.generate.pipeline import ModelInfo, Request, deliver
    from clearreel.media import write_video
    from clearreel.provenance.c2pa_sign import manifest_definition
    from clearreel.rights.models import Organization

    monkeypatch.setenv("CLEARREEL_KEY_PASSPHRASE", "a passphrase for the CA")
    s = dataclasses.replace(studio(), key_passphrase="a passphrase for the CA")
    # The keys were made at import (without a passphrase): start a CA that can rotate.
    code, _, err = cli("keys", "rotate")
    assert code == 2 and "CLEARREEL_KEY_PASSPHRASE" in err
    code, out, err = cli("keys", "rotate", "--new-ca", "--json")
    assert code == 0, err
    with open_session(s) as ss:
        assert ss.get(Organization, NORTH) is not None
    info = ModelInfo("m-tiny", None, None)  # no dataset: the copy guard is not under test
    req = Request(model="m-tiny", prompt="a lighthouse at dusk", seed=3)
    old_out = deliver(s, "out-00000000000000a1", footage(), 24.0, req, info)
    _pack(s, NORTH, "before", "x")
    keys = s.keys_dir(NORTH)
    old_key, old_chain = (keys / "signing.key").read_bytes(), \
        (keys / "signing.pem").read_bytes() + (keys / "ca.pem").read_bytes()

    code, out, err = cli("keys", "rotate", "--json")
    assert code == 0, err
    rotated = json.loads(out)
    assert rotated["certs"] == 3 and (keys / "signing.key").read_bytes() != old_key
    code, out, _ = cli("keys", "list", "--json")
    certs = json.loads(out)["certificates"]
    assert [c["retired"] is None for c in certs] == [False, False, True]

    # Old output and old dataset: still valid and trusted, and the output names its studio.
    report = verify_file(s, Path(old_out["path"]))
    assert report["c2pa"] == {"present": True, "valid": True, "trusted": True}, report
    assert report["verified"] and report["organization"] == {"id": NORTH,
                                                             "name": "Northlight Pictures"}
    assert _verify(s, NORTH, "before") == []
    # New material signs with the new key and verifies.
    new_out = deliver(s, "out-00000000000000a2", footage(seed=4), 24.0, req, info)
    assert verify_file(s, Path(new_out["path"]))["verified"]
    assert _verify(s, NORTH, "before") == []

    # Someone holding the retired key signs something new: not trusted.
    plain = tmp_path / "plain.mp4"
    write_video(plain, footage(frames=8, seed=9), 24)
    forged = tmp_path / "forged.mp4"
    definition = manifest_definition(output_id="out-00000000000000ff", model="m-tiny",
                                     dataset=None, dataset_manifest_sha256=None, title="f")
    gen = next(a for a in definition["assertions"] if a["label"] == "com.clearreel.generation")
    # (a second later: times are kept to the second, the rotation was just now)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    gen["data"]["signed"] = later.isoformat(timespec="seconds")
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, old_chain,
                                                      old_key, None))
    with c2pa.Builder(definition) as b, plain.open("rb") as fi, forged.open("w+b") as fo:
        b.sign(signer, "video/mp4", fi, fo)
    report = verify_file(s, forged)
    assert report["c2pa"]["valid"] and not report["c2pa"]["trusted"]
    assert not report["verified"] and any("retired" in p for p in report["problems"])
    code, _, _ = cli("verify", str(forged))
    assert code == 1
    # ... and re-signs the old dataset's manifest with it now: refused.
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    root = s.dataset_dir(NORTH, "before")
    sig = json.loads((root / "manifest.sig.json").read_text())
    key = load_pem_private_key(old_key, None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    sig["signature"] = base64.b64encode(key.sign(canonical(read_manifest(root)),
                                                 ec.ECDSA(hashes.SHA256()))).decode()
    sig["signed"] = later.replace(microsecond=0).isoformat()
    (root / "manifest.sig.json").write_text(json.dumps(sig))
    problems = _verify(s, NORTH, "before")
    assert {p["code"] for p in problems} == {"signature_invalid"}
    assert all("retired" in p["detail"] for p in problems)


def test_a_certificate_outside_its_validity_vouches_for_nothing(workspace) -> None:
    from cryptography import x509

    from clearreel.provenance.keys import cert_problem, ensure_org_keys

    ensure_org_keys(workspace, "org-v")
    leaf = x509.load_pem_x509_certificate(
        (workspace.keys_dir("org-v") / "signing.pem").read_bytes())
    assert cert_problem(workspace, "org-v", leaf, dt.datetime.now(dt.UTC)) is None
    late = leaf.not_valid_after_utc + dt.timedelta(days=1)
    assert "not valid when it signed" in cert_problem(workspace, "org-v", leaf, late)
    early = leaf.not_valid_before_utc - dt.timedelta(days=1)
    assert "not valid when it signed" in cert_problem(workspace, "org-v", leaf, early)
