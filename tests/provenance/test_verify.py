"""C2PA manifests and `verify`: a good file, a modified one, another CA's, a stripped copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from clearreel.config import Settings
from clearreel.generate.pipeline import ModelInfo, Request, deliver
from clearreel.media import read_frames, write_video
from clearreel.provenance import verify_file
from clearreel.provenance.c2pa_sign import (
    CAWG_USES,
    GENERATION_LABEL,
    TRAINED_ALGORITHMIC_MEDIA,
    assertion,
    read_manifest,
    sign_video,
)

from .conftest import index_tiny_dataset
from .media import footage

INFO = ModelInfo("m-tiny", "ds-harbor", "ab" * 32)


@pytest.fixture
def indexed(studio) -> Settings:
    """The studio with the model's dataset fingerprinted: the copy guard runs on every output."""
    s = studio()
    index_tiny_dataset(s, "ds-harbor")
    return s


@pytest.fixture
def made(indexed) -> tuple[Settings, dict]:
    """A delivered output: watermarked, encoded, signed, recorded."""
    s = indexed
    req = Request(model="m-tiny", prompt="a lighthouse at dusk", seed=3)
    result = deliver(s, "out-00112233aabbccdd", footage(), 24.0, req, INFO)
    return s, result


def test_manifest_contents(made):
    s, result = made
    m = read_manifest(s, Path(result["path"]))
    assert m["present"] and m["valid"] and m["trusted"], m["failures"]
    manifest = m["manifest"]
    actions = assertion(manifest, "c2pa.actions.v2") or assertion(manifest, "c2pa.actions")
    assert actions is not None
    created = [a for a in actions["actions"] if a["action"] == "c2pa.created"]
    assert created and created[0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    gen = assertion(m["manifest"], GENERATION_LABEL)
    assert {k: gen[k] for k in ("output", "model", "dataset", "dataset_manifest_sha256")} == {
        "output": "out-00112233aabbccdd", "model": "m-tiny", "dataset": "ds-harbor",
        "dataset_manifest_sha256": "ab" * 32}
    assert gen["organization"] == "org-north" and gen["signed"]
    tdm = assertion(m["manifest"], "cawg.training-mining")
    assert tdm is not None and set(tdm["entries"]) == set(CAWG_USES)
    assert all(e["use"] == "notAllowed" for e in tdm["entries"].values())
    assert m["manifest"]["signature_info"]["alg"].lower() == "es256"


def test_verify_good_file(made, cli):
    s, result = made
    report = verify_file(s, Path(result["path"]))
    assert report["c2pa"] == {"present": True, "valid": True, "trusted": True}
    assert report["watermark"] == {"present": True, "output": "out-00112233aabbccdd"}
    assert (report["output"], report["model"], report["dataset"]) == (
        "out-00112233aabbccdd", "m-tiny", "ds-harbor")
    code, out, _ = cli("verify", result["path"], "--json")
    assert code == 0
    doc = json.loads(out)
    assert {"c2pa", "watermark", "output", "model", "dataset"} <= set(doc)


def test_modified_file_fails(made, cli, tmp_path):
    s, result = made
    data = bytearray(Path(result["path"]).read_bytes())
    i = data.find(b"mdat") + 64
    data[i] ^= 0xFF
    bad = tmp_path / "modified.mp4"
    bad.write_bytes(bytes(data))
    report = verify_file(s, bad)
    assert report["c2pa"]["present"] and not report["c2pa"]["valid"]
    assert not report["verified"]
    code, _, _ = cli("verify", str(bad), "--json")
    assert code == 1


def test_file_signed_by_another_ca_is_untrusted(made, tmp_path, cli):
    from clearreel.provenance.keys import ensure_studio_keys

    s, _ = made
    other = Settings(home=tmp_path / "elsewhere", database_url=None)
    # Another workspace's organization of the same id: its own CA, not trusted here.
    ensure_studio_keys(other, studio="someone else", org="org-north")
    plain = tmp_path / "plain.mp4"
    write_video(plain, footage(frames=8), 24)
    forged = tmp_path / "forged.mp4"
    sign_video(other, plain, forged, output_id="out-00112233aabbccdd", model="m-tiny",
               org="org-north")
    report = verify_file(s, forged)
    assert report["c2pa"] == {"present": True, "valid": True, "trusted": False}
    assert not report["verified"]
    code, _, _ = cli("verify", str(forged))
    assert code == 1


def test_stripped_and_reencoded_copy_is_traced_by_the_watermark(made, tmp_path, cli):
    s, result = made
    frames, fps = read_frames(Path(result["path"]))
    copy = tmp_path / "copy.mp4"
    # A new file: no manifest survives re-encoding.
    write_video(copy, frames, fps, crf=23, preset="medium")
    report = verify_file(s, copy)
    assert report["c2pa"] == {"present": False, "valid": False, "trusted": False}
    assert report["watermark"] == {"present": True, "output": "out-00112233aabbccdd"}
    assert report["output"] == "out-00112233aabbccdd" and report["model"] == "m-tiny"
    assert report["verified"]
    code, _, _ = cli("verify", str(copy), "--json")
    assert code == 0


def test_no_provenance_at_all_fails(studio, tmp_path, cli):
    s = studio()
    plain = tmp_path / "plain.mp4"
    write_video(plain, footage(seed=5), 24)
    report = verify_file(s, plain)
    assert not report["c2pa"]["present"] and not report["watermark"]["present"]
    assert report["output"] is None and not report["verified"]
    assert cli("verify", str(plain))[0] == 1


def test_a_file_that_is_not_there_is_bad_input(studio, cli, tmp_path):
    studio()
    assert cli("verify", str(tmp_path / "nope.mp4"))[0] == 2


def test_delivered_output_is_recorded(made):
    from clearreel.db import open_session
    from clearreel.generate.outputs import get_output

    s, result = made
    with open_session(s) as session:
        out = get_output(session, "out-00112233aabbccdd")
        assert out.path == result["path"] and not out.blocked
        assert out.watermark == "00112233aabbccdd" and len(out.sha256 or "") == 64
        assert out.dataset_manifest_sha256 == "ab" * 32


def test_an_identical_copy_still_verifies(made):
    s, result = made
    dup = Path(result["path"]).with_name("dup.mp4")
    shutil.copy(result["path"], dup)
    assert verify_file(s, dup)["verified"]
    assert np.array_equal(read_frames(dup)[0], read_frames(Path(result["path"]))[0])


def test_tiny_model_sized_output_keeps_a_readable_watermark(indexed):
    """48x32, 9 frames (the `tiny` family's size): the encoder steps down the CRF ladder until
    the mark reads back from the delivered file itself."""
    from clearreel.db import open_session
    from clearreel.generate.outputs import get_output

    s = indexed
    req = Request(model="m-tiny", prompt="waves")
    frames = footage(frames=9, height=32, width=48, seed=2)
    result = deliver(s, "out-0000000000000abc", frames, 8.0, req, INFO)
    with open_session(s) as session:
        params = get_output(session, "out-0000000000000abc").params
    assert params["watermark"]["readable"] and params["watermark"]["crf"] in (17, 10, 0)
    assert verify_file(s, Path(result["path"]))["watermark"]["output"] == "out-0000000000000abc"
