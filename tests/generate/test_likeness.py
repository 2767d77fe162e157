"""The likeness guard (rule 4) on real faces (tests/realfaces.py), with a real tiny model.

Ava Stone's face reference is a photo of one man (obama.jpg), with a digital-replica consent
for project proj-a, purpose previz; Zoë Park's is a photo of another (biden.jpg), who refused.
A storyboard of Zoë is blocked before any frame is made; an output showing her is never
delivered; Ava passes within her consent's scope and is blocked outside it (the clearance
engine's rule, not a second one).
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from clearreel.db import open_session
from clearreel.generate import video
from clearreel.generate.likeness import ALL_FRAMES_UP_TO, STRIDE, sampled
from clearreel.generate.models import Output
from clearreel.rights.models import AuditEntry
from generate.test_generate import outputs_dir, train_tiny
from provenance.conftest import catalog
from realfaces import background, face_crop, moving, paste, photo, rgb, save_png

CALLS: list[dict[str, Any]] = []


@pytest.fixture
def faces_studio(studio_any_db, tmp_path: Path, monkeypatch):
    """The provenance studio with face references, a tiny model `m-tiny`, and its frame
    source wrapped (not replaced) to record that it ran."""
    refs = tmp_path / "refs"
    refs.mkdir()
    shutil.copy(photo("obama.jpg"), refs / "ava.jpg")
    shutil.copy(photo("biden.jpg"), refs / "zoe.jpg")
    doc = catalog()
    for p in doc["parties"]:
        if p["id"] == "p-ava":
            p["references"] = ["refs/ava.jpg"]
        if p["id"] == "p-zoe":
            p["references"] = ["refs/zoe.jpg"]
    s = studio_any_db(doc)
    train_tiny(s, tmp_path, "m-tiny")
    CALLS.clear()
    real = video.generate_frames

    def recording(settings, model_name, prompt, **kw):
        CALLS.append({"model": model_name, **kw})
        return real(settings, model_name, prompt, **kw)

    monkeypatch.setattr(video, "generate_frames", recording)
    return s


def _storyboard(tmp_path: Path, name: str, photo_name: str, quality_face: int = 150) -> Path:
    """A 320x240 storyboard frame: the face cut from a different photo than the reference
    where one exists (obama3.jpg for Ava), on a plain background."""
    face = face_crop(rgb(photo(photo_name)))
    return save_png(paste(background(240, 320), face, quality_face, 90, 40), tmp_path / name)


def _audit(settings, action: str) -> list[dict[str, Any]]:
    with open_session(settings) as s:
        return [e.payload for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == action).order_by(AuditEntry.seq))]


def _output(settings, output_id: str) -> Output:
    with open_session(settings) as s:
        row = s.scalars(select(Output).where(Output.id == output_id)).one()
        s.expunge(row)
        return row


def test_a_storyboard_of_an_unconsented_performer_is_blocked_before_any_frame(
    faces_studio, cli, tmp_path: Path
) -> None:
    sb = _storyboard(tmp_path, "zoe.png", "biden.jpg")
    code, out, err = cli("generate", "--model", "m-tiny", "--image", str(sb), "--project",
                         "proj-a", "--purpose", "previz", "--json", "a harbour at dusk")
    assert code == 1, err
    result = json.loads(out)
    assert result["blocked"] and result["path"] is None
    (r,) = result["reasons"]
    assert r["code"] == "likeness.unconsented" and r["party"] == "p-zoe"
    assert r["source"] == "storyboard" and r["threshold"] == 0.6
    assert 0 <= r["distance"] < r["threshold"]
    assert "replica.refused" in r["denied_by"] and r["consent"] == "k-zoe-dr"
    assert result["likeness"]["storyboard"]["matches"][0]["party"] == "p-zoe"
    assert CALLS == [] and outputs_dir(faces_studio) == []  # nothing was made
    row = _output(faces_studio, result["output"])
    assert row.blocked and row.reasons[0]["code"] == "likeness.unconsented"
    (entry,) = _audit(faces_studio, "generate.likeness")
    assert entry["allowed"] is False and entry["source"] == "storyboard"
    assert entry["reasons"][0]["party"] == "p-zoe"


def test_a_consented_storyboard_passes_only_within_the_consents_scope(
    faces_studio, cli, tmp_path: Path
) -> None:
    # Ava's reference is obama.jpg; the storyboard is cut from another photo of him.
    sb = _storyboard(tmp_path, "ava.png", "obama3.jpg")
    code, out, err = cli("generate", "--model", "m-tiny", "--image", str(sb), "--project",
                         "proj-a", "--purpose", "previz", "--json", "a harbour at dusk")
    assert code == 0, err
    result = json.loads(out)
    (m,) = result["likeness"]["storyboard"]["matches"]
    assert m["party"] == "p-ava" and m["consented"] and m["consents"] == ["k-ava-dr"]
    assert len(CALLS) == 1 and CALLS[0]["image"] == str(sb)
    assert result["likeness"]["checked_frames"] >= 1  # the output guard ran too
    assert Path(result["path"]).is_file()

    CALLS.clear()
    code, out, _ = cli("generate", "--model", "m-tiny", "--image", str(sb), "--project",
                       "proj-b", "--purpose", "previz", "--json", "a harbour at dusk")
    assert code == 1
    (r,) = json.loads(out)["reasons"]
    assert r["code"] == "likeness.unconsented" and r["party"] == "p-ava"
    assert r["denied_by"] == ["replica.out_of_scope"] and CALLS == []


def test_a_storyboard_with_no_known_face_is_checked_and_passes(
    faces_studio, cli, tmp_path: Path
) -> None:
    from clearreel.media import decode
    from realfaces import carphone

    man = decode(carphone(), 176, 144).frames[0]  # a third man: no reference
    sb = save_png(paste(background(240, 320), man, 144, 60, 40), tmp_path / "stranger.png")
    code, out, err = cli("generate", "--model", "m-tiny", "--image", str(sb), "--json",
                         "a harbour at dusk")
    assert code == 0, err
    assert json.loads(out)["likeness"]["storyboard"]["matches"] == []


def _frames_of(face: np.ndarray, n: int):
    frames = moving(face, n)

    def fake_model(settings, model_name, prompt, **kw):  # a model that learned a face
        CALLS.append({"model": model_name, **kw})
        return frames, 24.0

    return fake_model


def test_an_output_showing_an_unconsented_face_is_never_delivered(faces_studio) -> None:
    from clearreel.generate.pipeline import Request, generate

    n = 60
    face = face_crop(rgb(photo("biden.jpg")))
    req = Request(model="m-tiny", prompt="a harbour at dusk", project="proj-a", purpose="previz")
    result = generate(faces_studio, req, generate_frames=_frames_of(face, n))
    assert result["blocked"] and result["path"] is None
    (r,) = result["reasons"]
    assert r["code"] == "likeness.unconsented" and r["party"] == "p-zoe"
    assert r["source"] == "output" and r["frame"] in sampled(n)
    lk = result["likeness"]
    assert lk["checked_frames"] == len(sampled(n)) == n // STRIDE + 1 and lk["stride"] == STRIDE
    assert outputs_dir(faces_studio) == []  # not written, not watermarked, not encoded
    row = _output(faces_studio, result["output"])
    assert row.blocked and row.path is None and row.reasons[0]["frame"] == r["frame"]
    assert row.params["likeness"]["matches"][0]["party"] == "p-zoe"
    entries = _audit(faces_studio, "generate.likeness")
    assert entries[-1]["source"] == "output" and entries[-1]["reasons"][0]["frame"] == r["frame"]


def test_an_output_showing_a_consented_face_is_delivered_and_reported(faces_studio) -> None:
    from clearreel.generate.pipeline import Request, generate

    face = face_crop(rgb(photo("obama2.jpg")))
    req = Request(model="m-tiny", prompt="a harbour at dusk", project="proj-a", purpose="previz")
    result = generate(faces_studio, req, generate_frames=_frames_of(face, 12))
    assert not result["blocked"], result["reasons"]
    lk = result["likeness"]
    assert lk["checked_frames"] == 12 and lk["stride"] == 1  # short: every frame
    assert [(m["party"], m["consented"]) for m in lk["matches"]] == [("p-ava", True)]
    assert Path(result["path"]).is_file()
    assert _output(faces_studio, result["output"]).params["likeness"]["matches"][0]["party"] \
        == "p-ava"


def test_the_sampling_stride() -> None:
    assert sampled(ALL_FRAMES_UP_TO) == list(range(ALL_FRAMES_UP_TO))
    idx = sampled(ALL_FRAMES_UP_TO + 11)
    assert idx[:3] == [0, STRIDE, 2 * STRIDE] and idx[-1] == ALL_FRAMES_UP_TO + 10
    assert all(b - a <= STRIDE for a, b in itertools.pairwise(idx))


def test_a_reference_without_a_stored_embedding_is_embedded_on_first_use(
    studio, tmp_path: Path
) -> None:
    """A registry imported before embeddings were kept: the guard embeds a listed photo once,
    and names a listed photo it cannot use (so nobody takes silence for "no match")."""
    from clearreel.generate.likeness import check
    from clearreel.rights.models import Party, ReferenceEmbedding

    s = studio()
    shutil.copy(photo("obama.jpg"), tmp_path / "legacy.jpg")
    with open_session(s) as ses:
        for p in ses.scalars(select(Party)):
            if p.id == "p-ava":
                p.references = [{"kind": "face", "path": str(tmp_path / "legacy.jpg")}]
            if p.id == "p-ben":
                p.references = [{"kind": "face", "path": str(tmp_path / "gone.jpg")}]
    img = paste(background(240, 320), face_crop(rgb(photo("obama3.jpg"))), 150, 90, 40)
    chk = check(s, [img], source="storyboard", project="proj-a", purpose="previz")
    assert [(m["party"], m["consented"]) for m in chk.matches] == [("p-ava", True)]
    assert chk.allowed and len(chk.unusable) == 1 and "gone.jpg" in chk.unusable[0]
    with open_session(s) as ses:
        assert [e.party_id for e in ses.scalars(select(ReferenceEmbedding))] == ["p-ava"]
    assert check(s, [img], source="storyboard", project="proj-b").denials[0]["party"] == "p-ava"
