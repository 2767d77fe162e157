"""The dataset's BOM as CycloneDX 1.6 and SPDX 3.0.1, signed as an in-toto DSSE envelope;
`dataset verify` accepts the native signature or the envelope, and catches tampering."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.dataset import verify
from clearreel.dataset.bom import CYCLONEDX, DSSE, SPDX, cyclonedx_json, pae, read_spdx, spdx_jsonld
from clearreel.dataset.manifest import SIGNATURE, canonical, file_sha256, read_manifest, sha256_hex
from dataset.test_dataset_files import _build


@pytest.fixture
def built(workspace: Settings) -> tuple[Settings, Path]:
    return workspace, _build(workspace)


def _codes(settings: Settings) -> list[str]:
    return [p["code"] for p in verify(settings, "tiny", clearance=False)["problems"]]


def test_cyclonedx_validates_against_its_schema(built: tuple[Settings, Path]) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    _, root = built
    text = (root / CYCLONEDX).read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    manifest = read_manifest(root)
    assert bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"]["version"] == sha256_hex(canonical(manifest))
    comps = {c["bom-ref"]: c for c in bom["components"]}
    work = {p["name"]: p["value"] for p in comps["work:w-a"]["properties"]}
    assert work["clearreel:clips"] == "5" and json.loads(work["clearreel:consents"]) == ["k-1"]
    for shard in manifest["shards"]:
        assert comps[f"file:{shard['path']}"]["hashes"][0]["content"] == shard["sha256"]
    (dep,) = [d for d in bom["dependencies"] if d["ref"] == "dataset:ds-test"]
    assert set(dep["dependsOn"]) == set(comps)
    assert cyclonedx_json(manifest) == text  # derived from the manifest alone


def test_spdx3_dataset_profile_reads_back(built: tuple[Settings, Path]) -> None:
    _, root = built
    text = (root / SPDX).read_text()
    doc = json.loads(text)
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    objects = list(read_spdx(text).foreach())
    kinds = {type(o).__name__ for o in objects}
    assert {"SpdxDocument", "dataset_DatasetPackage", "software_File", "Relationship"} <= kinds
    files = {o.name: o.verifiedUsing[0].hashValue for o in objects
             if type(o).__name__ == "software_File"}
    manifest = read_manifest(root)
    assert all(files[c["file"]] == c["sha256"] for c in manifest["clips"])
    assert all(files[s["path"]] == s["sha256"] for s in manifest["shards"])
    assert spdx_jsonld(manifest) == text


def test_pae_is_the_dsse_encoding() -> None:
    # The DSSE protocol's own example (protocol.md).
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    assert pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"  # lengths in bytes


def test_the_envelope_verifies_with_a_plain_ecdsa_check(built: tuple[Settings, Path]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    settings, root = built
    env = json.loads((root / DSSE).read_text())
    payload = base64.b64decode(env["payload"])
    typ = env["payloadType"].encode()
    message = b" ".join([b"DSSEv1", str(len(typ)).encode(), typ, str(len(payload)).encode(),
                         payload])
    cert = x509.load_pem_x509_certificate((settings.keys_dir("org-t") / "signing.pem").read_bytes())
    cert.public_key().verify(base64.b64decode(env["signatures"][0]["sig"]), message,
                             ec.ECDSA(hashes.SHA256()))  # raises when invalid
    st = json.loads(payload)
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "https://cyclonedx.org/bom"
    names = {s["name"]: s["digest"]["sha256"] for s in st["subject"]}
    assert names["manifest.json"] == sha256_hex(canonical(read_manifest(root)))
    assert names[CYCLONEDX] == file_sha256(root / CYCLONEDX)


def test_verify_accepts_the_envelope_alone(built: tuple[Settings, Path]) -> None:
    settings, root = built
    (root / SIGNATURE).unlink()
    assert _codes(settings) == []
    (root / DSSE).unlink()
    assert _codes(settings) == ["signature_missing"]


def test_verify_catches_a_tampered_envelope(built: tuple[Settings, Path]) -> None:
    settings, root = built
    (root / SIGNATURE).unlink()
    env = json.loads((root / DSSE).read_text())
    st = json.loads(base64.b64decode(env["payload"]))
    st["subject"][0]["digest"]["sha256"] = "0" * 64
    env["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
    (root / DSSE).write_text(json.dumps(env))
    problems = verify(settings, "tiny", clearance=False)["problems"]
    assert [p["code"] for p in problems] == ["signature_invalid"]
    assert "does not match the payload" in problems[0]["detail"]


def test_verify_catches_an_altered_bom_file(built: tuple[Settings, Path]) -> None:
    settings, root = built
    bom = json.loads((root / CYCLONEDX).read_text())
    bom["components"][0]["name"] = "someone else's work"
    (root / CYCLONEDX).write_text(json.dumps(bom))
    problems = verify(settings, "tiny", clearance=False)["problems"]
    assert [p["code"] for p in problems] == ["signature_invalid"]
    assert f"{CYCLONEDX} does not match its signed digest" in problems[0]["detail"]


def test_an_envelope_from_another_studio_is_refused(
    built: tuple[Settings, Path], tmp_path: Path
) -> None:
    from clearreel.dataset.bom import write_boms
    from clearreel.provenance import ensure_studio_keys

    settings, root = built
    other = Settings(home=tmp_path / "other", database_url=None)
    # The same organization id in another workspace: another key and CA.
    ensure_studio_keys(other, "another studio", org="org-t")
    (root / SIGNATURE).unlink()
    write_boms(other, root, read_manifest(root), "org-t")
    problems = verify(settings, "tiny", clearance=False)["problems"]
    assert [p["code"] for p in problems] == ["signature_invalid"]
    assert "does not hold" in problems[0]["detail"]


def test_an_export_carries_every_bom(built: tuple[Settings, Path], tmp_path: Path) -> None:
    from clearreel.dataset import export

    settings, _ = built
    export(settings, "tiny", "webdataset", tmp_path / "w")
    assert {p.name for p in (tmp_path / "w" / "bom").iterdir()} == {
        "manifest.json", SIGNATURE, CYCLONEDX, SPDX, DSSE}
