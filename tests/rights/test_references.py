"""Face references on catalog import (real photographs, tests/realfaces.py): exactly one face
per photo or a catalog error naming it (exit 2, nothing written); the embedding is computed
once and kept with the photo's sha256."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from clearreel.config import Settings
from clearreel.rights.catalog import import_catalog
from realfaces import background, face_crop, photo, rgb, save_png

from .conftest import base, find, write


def _rows(settings: Settings) -> list[tuple[str, str, str, list[float]]]:
    from clearreel.db import open_session
    from clearreel.rights.models import ReferenceEmbedding

    with open_session(settings, org="org-test") as s:
        return [(e.party_id, e.path, e.sha256, list(e.embedding)) for e in s.scalars(
            select(ReferenceEmbedding).order_by(ReferenceEmbedding.path))]


def _catalog(tmp_path: Path, refs: list[str]) -> Path:
    doc = base()
    find(doc, "parties", "p-ava")["references"] = refs
    return write(tmp_path / "catalog.yaml", doc)


def test_a_photo_is_embedded_once_and_again_only_when_it_changes(
    workspace: Settings, tmp_path: Path, cli
) -> None:
    ref = tmp_path / "refs/ava.jpg"
    ref.parent.mkdir()
    shutil.copy(photo("obama.jpg"), ref)
    cat = _catalog(tmp_path, ["refs/ava.jpg"])
    first = import_catalog(workspace, cat)
    assert first["references"] == {"computed": 1, "reused": 0, "dropped": 0}
    rows = _rows(workspace)
    assert [(p, Path(x).name, sha) for p, x, sha, _ in rows] == [
        ("p-ava", "ava.jpg", hashlib.sha256(ref.read_bytes()).hexdigest())]
    assert len(rows[0][3]) == 128

    again = import_catalog(workspace, cat)  # unchanged photo: not embedded again
    assert again["references"] == {"computed": 0, "reused": 1, "dropped": 0}
    assert _rows(workspace) == rows

    shutil.copy(photo("obama3.jpg"), ref)  # the same man, another photo: a new embedding
    changed = import_catalog(workspace, cat)
    assert changed["references"] == {"computed": 1, "reused": 0, "dropped": 0}
    (_, _, sha, emb), = _rows(workspace)
    assert sha == hashlib.sha256(ref.read_bytes()).hexdigest() != rows[0][2]
    # Another photo of one man: a different descriptor, within the threshold of the first.
    d = float(np.linalg.norm(np.asarray(emb) - np.asarray(rows[0][3])))
    assert 0.05 < d < 0.6
    code, out, _ = cli("catalog", "import", str(cat))
    assert code == 0 and "references: 0 embedded, 1 unchanged" in " ".join(out.split())


def test_a_file_adding_a_photo_embeds_only_that_one(workspace: Settings, tmp_path: Path) -> None:
    for name, src in (("a.jpg", "obama.jpg"), ("b.jpg", "obama2.jpg")):
        (tmp_path / "refs").mkdir(exist_ok=True)
        shutil.copy(photo(src), tmp_path / "refs" / name)
    import_catalog(workspace, _catalog(tmp_path, ["refs/a.jpg"]))
    assert len(_rows(workspace)) == 1
    # References are merged (a file never removes one): the party now has both photos.
    out = import_catalog(workspace, _catalog(tmp_path, ["refs/b.jpg"]))
    assert out["references"] == {"computed": 1, "reused": 1, "dropped": 0}
    assert [Path(r[1]).name for r in _rows(workspace)] == ["a.jpg", "b.jpg"]


def _count(settings: Settings) -> int:
    from clearreel.db import connect
    from clearreel.rights.models import Party, ReferenceEmbedding

    with connect(settings).connect() as c:
        return sum(c.execute(select(func.count()).select_from(t)).scalar_one()
                   for t in (Party.__table__, ReferenceEmbedding.__table__))


def test_a_photo_with_two_faces_or_none_is_a_catalog_error(
    workspace: Settings, tmp_path: Path, cli
) -> None:
    # Two real people side by side (same height), and a photo with no face at all.
    a, b = face_crop(rgb(photo("obama.jpg"))), face_crop(rgb(photo("biden.jpg")))
    import cv2

    h = 400
    a = cv2.resize(a, (round(a.shape[1] * h / a.shape[0]), h))
    b = cv2.resize(b, (round(b.shape[1] * h / b.shape[0]), h))
    save_png(np.concatenate([a, b], axis=1), tmp_path / "refs/two.png")
    save_png(background(400, 300), tmp_path / "refs/empty.png")
    shutil.copy(photo("obama.jpg"), tmp_path / "refs/ok.jpg")
    cat = _catalog(tmp_path, ["refs/ok.jpg", "refs/two.png", "refs/empty.png"])
    code, out, err = cli("catalog", "import", str(cat))
    assert code == 2, (out, err)
    text = " ".join(err.split())  # the console may wrap long lines
    assert "two.png: 2 faces found in the face reference" in text
    assert "empty.png: no face found in the face reference" in text
    assert "parties[3].references[1]" in text and "parties[3].references[2]" in text
    assert "ok.jpg" not in text
    assert _count(workspace) == 0  # nothing written: no party, no embedding


def test_a_voice_sample_is_embedded_once_beside_the_photo(
    workspace: Settings, tmp_path: Path
) -> None:
    from realvoices import voice

    (tmp_path / "refs").mkdir()
    shutil.copy(photo("obama.jpg"), tmp_path / "refs/ava.jpg")
    shutil.copy(voice("a-1"), tmp_path / "refs/ava.wav")
    cat = _catalog(tmp_path, ["refs/ava.jpg", "refs/ava.wav"])  # .wav: a voice sample
    assert import_catalog(workspace, cat)["references"] == {"computed": 2, "reused": 0,
                                                            "dropped": 0}
    rows = _rows(workspace)
    assert [(Path(x).name, len(e)) for _, x, _, e in rows] == [("ava.jpg", 128), ("ava.wav", 256)]
    wav = np.asarray(rows[1][3])
    assert abs(float(np.linalg.norm(wav)) - 1.0) < 1e-3  # resemblyzer's unit embedding
    assert rows[1][2] == hashlib.sha256((tmp_path / "refs/ava.wav").read_bytes()).hexdigest()
    again = import_catalog(workspace, cat)
    assert again["references"] == {"computed": 0, "reused": 2, "dropped": 0}
    shutil.copy(voice("a-2"), tmp_path / "refs/ava.wav")  # the same voice, another sentence
    assert import_catalog(workspace, cat)["references"]["computed"] == 1
    new = np.asarray(_rows(workspace)[1][3])
    assert 0.85 <= float(new @ wav) < 0.999  # another recording, the same speaker


def test_a_voice_sample_without_speech_is_a_catalog_error(
    workspace: Settings, tmp_path: Path, cli
) -> None:
    import soundfile

    from realvoices import need_models

    need_models()
    (tmp_path / "refs").mkdir()
    soundfile.write(tmp_path / "refs/ava.wav", np.zeros(16000 * 3, np.float32), 16000)
    (tmp_path / "refs/bad.flac").write_bytes(b"not audio")
    cat = _catalog(tmp_path, ["refs/ava.wav", "refs/bad.flac"])
    code, _, err = cli("catalog", "import", str(cat))
    msg = " ".join(err.split())
    assert code == 2, err
    assert "parties[3].references[0]" in msg and "0.0 s of speech found" in msg
    assert "references[1]" in msg and "cannot read the voice reference" in msg
    assert _count(workspace) == 0


def test_a_listed_voice_sample_without_an_embedding_is_embedded_on_first_use(
    workspace: Settings, tmp_path: Path
) -> None:
    from sqlalchemy import delete

    from clearreel.db import open_session
    from clearreel.rights.likeness import usable_voice_references
    from clearreel.rights.models import Party, ReferenceEmbedding
    from realvoices import voice

    (tmp_path / "refs").mkdir()
    shutil.copy(voice("b-1"), tmp_path / "refs/ava.wav")
    import_catalog(workspace, _catalog(tmp_path, ["refs/ava.wav"]))
    (_, path, sha, emb), = _rows(workspace)
    with open_session(workspace, org="org-test") as s:  # as a registry from before voices
        s.execute(delete(ReferenceEmbedding))
        p = s.scalars(select(Party).where(Party.id == "p-ava")).one()
        p.references = [*p.references, {"kind": "voice", "path": str(tmp_path / "gone.wav")}]
        s.commit()
    with open_session(workspace, org="org-test") as s:
        refs, problems = usable_voice_references(s)
        s.commit()
    assert [(r.party, Path(r.path).name) for r in refs] == [("p-ava", "ava.wav")]
    assert float(refs[0].embedding @ np.asarray(emb, np.float32)) > 0.999
    assert len(problems) == 1 and "gone.wav: no such voice reference file" in problems[0]
    assert [(x, h) for _, x, h, _ in _rows(workspace)] == [(path, sha)]  # stored again
