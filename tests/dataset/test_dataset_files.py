"""Shards, index, manifest, signature, verify and exports on a small hand-built dataset.

The clip files here are opaque bytes: these tests are about packaging and tamper detection
(the end-to-end tests in tests/curate build real clips from the sample studio).
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from clearreel.config import Settings
from clearreel.dataset import ManifestClip, load, verify
from clearreel.dataset.manifest import canonical, file_sha256, sha256_hex
from clearreel.dataset.writer import dataset_dir, pack
from dataset.registry import register_packed


def _build(
    settings: Settings,
    name: str = "tiny",
    n: int = 5,
    shard_clips: int = 2,
    caption: str = "shot {i}\nsecond line",
) -> Path:
    from clearreel.db import open_session
    from clearreel.rights.models import Organization

    with open_session(settings, any_org=True) as s:
        s.add(Organization(id="org-t", name="T", home_territory="US"))
    root = dataset_dir(settings, name)
    (root / "clips").mkdir(parents=True)
    entries = []
    for i in range(n):
        cid = f"w-a_m0_{i * 100:07d}_{i * 100 + 32:07d}"
        path = root / "clips" / f"{cid}.mp4"
        path.write_bytes(f"clip {i}".encode() * 100)
        entries.append(
            ManifestClip(
                id=cid,
                work="w-a",
                media="/m/a.mp4",
                media_sha256="0" * 64,
                start_frame=i * 100,
                end_frame=i * 100 + 32,
                source_fps=24.0,
                start_tc="00:00:00:00",
                end_tc="00:00:01:08",
                fps=16.0,
                frames=21,
                width=64,
                height=36,
                file=f"clips/{cid}.mp4",
                sha256=file_sha256(path),
                caption=caption.format(i=i),
                performers=["p-ava"],
                characters=["c-mara"],
                licenses=["l-1"],
                consents=["k-1"],
                scores={"motion": 0.1},
            )
        )
    header = {
        "dataset": name,
        "id": "ds-test",
        "organization": "org-t",
        "created": "2026-01-01T00:00:00Z",
        "clearance": {"use": "ai_generative_training", "on": "2026-01-01", "territory": "US"},
        "config": {},
        "works": None,
        "pipeline": {"engine": "local"},
    }
    packed = pack(
        settings,
        root,
        header=header,
        clips=entries,
        exclusions=[],
        sources=[],
        shard_clips=shard_clips,
    )
    register_packed(settings, name, "ds-test", packed, entries, org="org-t")
    return root


@pytest.fixture
def built(any_db: Settings) -> tuple[Settings, Path]:
    return any_db, _build(any_db)


def _codes(settings: Settings) -> set[str]:
    r = verify(settings, "tiny", clearance=False)
    return {p["code"] for p in r["problems"]}


def test_layout_shards_and_index(built: tuple[Settings, Path]) -> None:
    settings, root = built
    manifest = json.loads((root / "manifest.json").read_text())
    assert [s["clips"] for s in manifest["shards"]] == [
        [c["id"] for c in manifest["clips"][i : i + 2]] for i in (0, 2, 4)
    ]
    with tarfile.open(root / manifest["shards"][0]["path"]) as tar:
        names = tar.getnames()
        first = manifest["clips"][0]
        assert names[:2] == [f"{first['id']}.mp4", f"{first['id']}.json"]
        member = tar.extractfile(names[1])
        assert member is not None and json.loads(member.read()) == first
    table = pq.read_table(root / "index.parquet")
    assert table.num_rows == 5 and table.column("performers").to_pylist()[0] == ["p-ava"]
    assert table.column("shard").to_pylist()[4] == manifest["shards"][2]["path"]
    ds = load(settings, "tiny")
    assert ds.manifest_sha256 == sha256_hex(canonical(manifest))
    assert [c.id for c in ds.clips] == sorted(c.id for c in ds.clips) and ds.clips[0].path.exists()
    assert verify(settings, "tiny", clearance=False)["ok"]


def test_shards_are_byte_identical_when_rebuilt(built: tuple[Settings, Path]) -> None:
    _, root = built
    before = {p.name: file_sha256(p) for p in (root / "shards").iterdir()}
    from clearreel.dataset.writer import write_shards

    clips = json.loads((root / "manifest.json").read_text())["clips"]
    write_shards(root, "tiny", clips, shard_bytes=1 << 30, shard_clips=2)
    assert {p.name: file_sha256(p) for p in (root / "shards").iterdir()} == before


def test_verify_catches_a_modified_clip(built: tuple[Settings, Path]) -> None:
    settings, root = built
    clip = sorted((root / "clips").iterdir())[1]
    clip.write_bytes(clip.read_bytes() + b"\0")
    r = verify(settings, "tiny", clearance=False)
    assert not r["ok"]
    assert any(p["code"] == "clip_altered" and p["clip"] == clip.stem for p in r["problems"])


def test_verify_catches_a_modified_shard_member(built: tuple[Settings, Path]) -> None:
    settings, root = built
    shard = sorted((root / "shards").iterdir())[0]
    data = bytearray(shard.read_bytes())
    i = data.find(b"clip 0")
    data[i : i + 6] = b"CLIP 0"
    shard.write_bytes(bytes(data))
    r = verify(settings, "tiny", clearance=False)
    assert any(p["code"] == "shard_altered" and p.get("clip") for p in r["problems"])


def test_verify_catches_a_modified_manifest(built: tuple[Settings, Path]) -> None:
    settings, root = built
    m = json.loads((root / "manifest.json").read_text())
    m["clips"][0]["caption"] = "something else"
    (root / "manifest.json").write_text(json.dumps(m, indent=2))
    assert {"manifest_altered", "signature_invalid", "merkle_mismatch"} <= _codes(settings)
    with pytest.raises(Exception, match="not the manifest recorded"):
        load(settings, "tiny")


def test_reindenting_the_manifest_changes_nothing(built: tuple[Settings, Path]) -> None:
    settings, root = built
    m = json.loads((root / "manifest.json").read_text())
    (root / "manifest.json").write_text(json.dumps(m))
    assert verify(settings, "tiny", clearance=False)["ok"]


def test_verify_catches_a_bad_signature(built: tuple[Settings, Path]) -> None:
    import base64

    settings, root = built
    sig = json.loads((root / "manifest.sig.json").read_text())
    raw = bytearray(base64.b64decode(sig["signature"]))
    raw[-3] ^= 0x01
    sig["signature"] = base64.b64encode(bytes(raw)).decode()
    (root / "manifest.sig.json").write_text(json.dumps(sig))
    assert _codes(settings) == {"signature_invalid"}


def test_verify_refuses_a_signature_from_another_studio(
    built: tuple[Settings, Path], tmp_path: Path
) -> None:
    """A consistent manifest + signature made with another studio's key does not verify."""
    from clearreel.dataset.manifest import read_manifest, sign_manifest
    from clearreel.provenance import ensure_studio_keys

    settings, root = built
    other = Settings(home=tmp_path / "other", database_url=None)
    # The same organization id in another workspace: another CA.
    ensure_studio_keys(other, "another studio", org="org-t")
    sign_manifest(other, root, read_manifest(root), org="org-t")
    problems = verify(settings, "tiny", clearance=False)["problems"]
    assert [p["code"] for p in problems] == ["signature_invalid"]
    assert "this organization's CA" in problems[0]["detail"]


def test_verify_catches_an_added_clip_file(built: tuple[Settings, Path]) -> None:
    settings, root = built
    (root / "clips" / "intruder.mp4").write_bytes(b"x")
    assert _codes(settings) == {"unexpected_file"}


def test_verify_catches_an_extra_shard(built: tuple[Settings, Path], cli) -> None:  # type: ignore[no-untyped-def]
    """A shard copied into shards/ is read by loaders that glob the folder: it fails verify,
    named, even though every listed file is intact."""
    import shutil

    settings, root = built
    assert verify(settings, "tiny", clearance=False)["ok"]
    shard = sorted((root / "shards").iterdir())[0]
    shutil.copyfile(shard, root / "shards" / "tiny-000099.tar")
    r = verify(settings, "tiny", clearance=False)
    assert not r["ok"]
    assert [(p["code"], p["file"]) for p in r["problems"]] == [
        ("unexpected_file", "shards/tiny-000099.tar")]
    code, _, err = cli("dataset", "verify", "tiny")
    assert code == 1 and "shards/tiny-000099.tar is not in the manifest" in err


@pytest.mark.parametrize("rel", ["extra.tar", "bom/manifest.json", "attribution/extra.npy",
                                 "clips/sub/intruder.mp4"])
def test_verify_catches_any_unlisted_file(built: tuple[Settings, Path], rel: str) -> None:
    settings, root = built
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(b"x")
    problems = verify(settings, "tiny", clearance=False)["problems"]
    assert [(p["code"], p["file"]) for p in problems] == [("unexpected_file", rel)]


def test_verify_accepts_the_side_files_a_dataset_holds(built: tuple[Settings, Path]) -> None:
    """The manifest, its signatures, the BOMs (written by pack) and the attribution index
    (written later by `attribution index`) are not in the manifest, and are expected."""
    from clearreel.dataset.verify import ATTRIBUTION_FILES

    settings, root = built
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert {"manifest.json", "manifest.sig.json", "manifest.dsse.json", "bom.cdx.json",
            "bom.spdx.jsonld"} <= present
    for rel in ATTRIBUTION_FILES:
        (root / rel).parent.mkdir(exist_ok=True)
        (root / rel).write_bytes(b"index")
    assert verify(settings, "tiny", clearance=False)["ok"]


def test_cli_list_show_and_verify(built: tuple[Settings, Path], cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("dataset", "list", "--json")
    assert code == 0 and json.loads(out)["datasets"][0]["clips"] == 5
    code, out, _ = cli("dataset", "show", "tiny", "--json")
    d = json.loads(out)
    assert code == 0 and {"id", "manifest_sha256", "clips", "excluded"} <= set(d)
    assert set(d["clips"][0]) >= {
        "id",
        "work",
        "start_frame",
        "end_frame",
        "sha256",
        "performers",
        "characters",
        "caption",
    }
    code, _, err = cli("dataset", "show", "nope")
    assert code == 2 and "unknown dataset" in err
