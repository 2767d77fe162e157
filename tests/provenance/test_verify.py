"""C2PA manifests and `verify`: a good file, a modified one, another CA's, a stripped copy, a
transplanted or forged watermark."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from clearreel.config import Settings
from clearreel.generate import verify_file
from clearreel.generate.pipeline import ModelInfo, Request, deliver
from clearreel.media import read_frames, write_video
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
OUT = "out-00112233aabbccdd"


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
    assert report["watermark"]["present"] and report["watermark"]["output"] == OUT
    assert report["watermark"]["organization"] == "org-north" and not report["forged"]
    assert report["watermark"]["fingerprint"]["match"]
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
    assert report["watermark"]["present"] and report["watermark"]["output"] == OUT
    assert report["output"] == OUT and report["model"] == "m-tiny"
    assert report["verified"] and not report["forged"]
    assert report["organization"]["id"] == "org-north"
    code, _, _ = cli("verify", str(copy), "--json")
    assert code == 0


def _reencode(src: Path, dst: Path, crf: int) -> Path:
    """A plain PyAV re-encode (libx264, write_video's default preset): no manifest survives."""
    frames, fps = read_frames(src)
    return write_video(dst, frames, fps, crf=crf)


@pytest.fixture
def made_full(indexed) -> tuple[Settings, dict]:
    """A delivered output large enough for the full profile (the whole 64-bit id)."""
    req = Request(model="m-tiny", prompt="a harbour", seed=4)
    frames = footage(frames=16, height=144, width=256, seed=6)
    return indexed, deliver(indexed, "out-0a1b2c3d4e5f6071", frames, 24.0, req, INFO)


def test_a_genuine_copy_reencoded_at_crf28_is_traced(made, made_full, tmp_path, cli):
    for (s, result), profile in ((made, "small"), (made_full, "full")):
        copy = _reencode(Path(result["path"]), tmp_path / f"crf28-{profile}.mp4", 28)
        report = verify_file(s, copy)
        assert not report["c2pa"]["present"] and report["verified"], report["problems"]
        assert report["watermark"]["profile"] == profile
        assert report["output"] == result["output"] and report["model"] == "m-tiny"
        assert report["watermark"]["fingerprint"]["score"] > 0.9
        assert cli("verify", str(copy), "--json")[0] == 0


def test_the_tiny_models_48x32_outputs_survive_a_plain_crf28_reencode(indexed, tmp_path, cli):
    """9 frames of 48x32: the old scheme lost the id after this re-encode."""
    s = indexed
    req = Request(model="m-tiny", prompt="waves")
    for seed in (2, 5):
        oid = f"out-{seed:02x}00000000000abc"
        result = deliver(s, oid, footage(frames=9, height=32, width=48, seed=seed), 8.0, req,
                         INFO)
        copy = _reencode(Path(result["path"]), tmp_path / f"tiny{seed}.mp4", 28)
        report = verify_file(s, copy)
        assert report["verified"] and report["output"] == oid, report["problems"]
        assert report["watermark"]["profile"] == "small"
        assert cli("verify", str(copy))[0] == 0


def _org_secret(s: Settings, org: str = "org-north") -> bytes:
    from clearreel.provenance.keys import watermark_key

    key = watermark_key(s, org, create=False)
    assert key is not None
    return key


def _transplant(result: dict, tmp_path: Path, key: bytes, name: str, **shape) -> Path:
    """A genuine output's id embedded, with `key`, into unrelated footage of the same shape."""
    from clearreel.provenance import watermark as wm

    unrelated = footage(seed=11, **shape)
    path = tmp_path / f"{name}.mp4"
    marked = wm.embed_id(unrelated, result["output"], wm.WatermarkConfig(key=key))
    write_video(path, marked, 24, crf=17, preset="medium")
    return path


@pytest.mark.parametrize("made_by", ["made", "made_full"])
def test_an_id_transplanted_without_the_secret_is_no_watermark(made_by, request, tmp_path, cli):
    """Unrelated footage carrying a genuine output's id, embedded with the old scheme's public
    key or another workspace's secret for the same organization id, verifies as nothing."""
    from clearreel.provenance.keys import watermark_key

    s, result = request.getfixturevalue(made_by)
    shape = {"frames": 16, "height": 144, "width": 256} if made_by == "made_full" else {}
    elsewhere = Settings(home=tmp_path / "elsewhere", database_url=None)
    stranger = watermark_key(elsewhere, "org-north")
    assert stranger is not None and stranger != _org_secret(s)
    for name, key in (("public", b"clearreel watermark v1 (public)"), ("stranger", stranger)):
        fake = _transplant(result, tmp_path, key, name, **shape)
        report = verify_file(s, fake)
        assert not report["watermark"]["present"] and report["output"] is None
        assert not report["verified"] and "no valid watermark" in " ".join(report["problems"])
        assert cli("verify", str(fake))[0] == 1


def test_another_organizations_secret_cannot_claim_this_ones_output(made, tmp_path, cli):
    """A second organization of the same workspace marks footage with north's output id: the
    mark is south's, so it is looked up in south's registry only, where that output is not."""
    from clearreel.provenance.keys import watermark_key
    from tenancy.test_keys import _second_org

    s, result = made
    _second_org(s, tmp_path)
    south = watermark_key(s, "org-south")
    assert south is not None and south != _org_secret(s)
    fake = _transplant(result, tmp_path, south, "south")
    report = verify_file(s, fake)
    assert report["watermark"]["present"] and report["watermark"]["organization"] == "org-south"
    assert report["output"] is None and report["organization"]["id"] == "org-south"
    assert not report["verified"]
    assert any("not an output of this studio" in p for p in report["problems"])
    assert cli("verify", str(fake))[0] == 1


@pytest.mark.parametrize("made_by", ["made", "made_full"])
def test_a_mark_on_frames_that_are_not_the_output_is_forged(made_by, request, tmp_path, cli):
    """The organization's own secret (a stolen key, or the mark's pattern copied across): the
    tag checks, but the frames do not match the output's fingerprint."""
    s, result = request.getfixturevalue(made_by)
    shape = {"frames": 16, "height": 144, "width": 256} if made_by == "made_full" else {}
    fake = _transplant(result, tmp_path, _org_secret(s), "forged", **shape)
    report = verify_file(s, fake)
    assert report["watermark"]["present"] and report["watermark"]["organization"] == "org-north"
    assert report["forged"] and report["watermark"]["forged"]
    assert report["watermark"]["output"] == result["output"]
    assert not report["watermark"]["fingerprint"]["match"]
    assert report["watermark"]["fingerprint"]["score"] < 0.6
    assert not report["verified"] and any("forged" in p for p in report["problems"])
    code, out, _ = cli("verify", str(fake), "--json")
    assert code == 1 and json.loads(out)["forged"]
    code, out, _ = cli("verify", str(fake))
    assert code == 1 and "FORGED" in out and "marked by org-north" in out


def test_the_watermark_secret_is_the_organizations_and_private(made):
    import stat

    s, _ = made
    path = s.keys_dir("org-north") / "watermark.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(_org_secret(s)) == 32


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
    from clearreel.attribution import fingerprint as fpr
    from clearreel.db import open_session
    from clearreel.generate.outputs import get_output

    s, result = made
    with open_session(s) as session:
        out = get_output(session, "out-00112233aabbccdd")
        assert out.path == result["path"] and not out.blocked
        assert out.watermark == "00112233aabbccdd" and len(out.sha256 or "") == 64
        assert out.dataset_manifest_sha256 == "ab" * 32
        fp = out.fingerprint
    # One row per 1/8 s of the 1 s output, int8: compact.
    assert fp is not None and fp["format"] == fpr.FORMAT and fp["rows"] == 8
    frames, fps = read_frames(Path(result["path"]))
    assert fpr.similarity(fp, frames, fps) > 0.95
    assert fpr.similarity(fp, footage(seed=9), 24.0) < fpr.MATCH_THRESHOLD


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
    assert params["watermark"]["profile"] == "small"
    assert verify_file(s, Path(result["path"]))["watermark"]["output"] == "out-0000000000000abc"


def test_traced_and_forged_on_either_database(studio_any_db, tmp_path, cli):
    """The prefix lookup and the stored fingerprint behave the same on SQLite and PostgreSQL."""
    s = studio_any_db()
    index_tiny_dataset(s, "ds-harbor")
    req = Request(model="m-tiny", prompt="waves")
    oid = "out-5a00000000000abc"
    result = deliver(s, oid, footage(frames=9, height=32, width=48, seed=2), 8.0, req, INFO)
    copy = _reencode(Path(result["path"]), tmp_path / "copy.mp4", 28)
    report = verify_file(s, copy)
    assert report["verified"] and report["output"] == oid, report["problems"]
    fake = tmp_path / "fake.mp4"
    from clearreel.provenance import watermark as wm

    marked = wm.embed_id(footage(frames=9, height=32, width=48, seed=7), oid,
                         wm.WatermarkConfig(key=_org_secret(s)))
    write_video(fake, marked, 8, crf=17, preset="medium")
    report = verify_file(s, fake)
    assert report["forged"] and not report["verified"]
    assert cli("verify", str(fake))[0] == 1
