"""Recognition in curation on real faces (tests/realfaces.py): every party with references
counts, credited or not; the evidence (frame, distance) is kept per clip and shown by
`dataset show`; a credited performer whose reference never matched is a summary warning."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import yaml

from clearreel.config import Settings
from clearreel.curate.config import CurateConfig
from clearreel.media import decode, write_video
from realfaces import carphone, face_crop, moving, photo, rgb, save_png

FPS = 8
CONFIG = CurateConfig(detector="pyscenedetect", clip_min_s=1.0, clip_max_s=3.0,
                      train_width=64, train_height=48, train_fps=8.0, face_every_s=0.5)


def _studio(tmp_path: Path) -> Path:
    # Two shots of 3 s: one man (obama3.jpg) crosses the frame, then another (biden.jpg),
    # over different backgrounds (a cut).
    one = moving(face_crop(rgb(photo("obama3.jpg"))), 3 * FPS, quality=80)
    two = moving(face_crop(rgb(photo("biden.jpg"))), 3 * FPS, quality=80)
    two[:, :, :, 0] //= 3  # a colour cut: the shot detector sees a new shot
    write_video(tmp_path / "media/film.mp4", np.concatenate([one, two]), FPS)
    refs = tmp_path / "refs"
    refs.mkdir()
    shutil.copy(photo("obama.jpg"), refs / "ava.jpg")  # Ava: the first man, credited
    shutil.copy(photo("biden.jpg"), refs / "guest.jpg")  # a guest: the second, NOT credited
    save_png(decode(carphone(), 176, 144, max_frames=1).frames[0], refs / "ben.png")  # Ben:
    # credited, a third man who is never on screen
    people = {"p-ava": "refs/ava.jpg", "p-ben": "refs/ben.png", "p-guest": "refs/guest.jpg"}
    doc = {
        "organization": {"id": "org-faces", "name": "Faces Pictures", "home_territory": "US"},
        "parties": [{"id": "p-studio", "name": "Faces Pictures", "kind": "company"}]
        + [{"id": p, "name": p[2:].title() + " Test", "kind": "person", "references": [r]}
           for p, r in people.items()],
        "works": [{"id": "w-film", "title": "Film", "kind": "film", "media": ["media/film.mp4"],
                   "participations": [{"party": "p-studio", "role": "studio"},
                                      {"party": "p-ava", "role": "performer"},
                                      {"party": "p-ben", "role": "performer"}]}],
        "licenses": [{"id": "l-all", "licensor": "p-studio", "licensee": "org-faces",
                      "works": "all", "territories": ["WORLD"], "start": "2024-01-01",
                      "uses": {"ai_training": "allowed", "ai_generative_training": "allowed"}}],
        "consents": [{"id": f"k-{p}", "party": p, "kind": "training", "status": "granted",
                      "works": "all", "signed": "2024-02-01"} for p in people],
    }
    cat = tmp_path / "catalog.yaml"
    cat.write_text(yaml.safe_dump(doc, sort_keys=False))
    return cat


def test_every_party_with_references_counts_with_evidence(
    workspace: Settings, tmp_path: Path, cli
) -> None:
    from clearreel.curate import curate
    from clearreel.rights.catalog import import_catalog

    import_catalog(workspace, _studio(tmp_path))
    summary = curate(workspace, "faces", on=dt.date(2026, 1, 1), config=CONFIG,
                     progress=False, workers=1)
    assert summary["clips"] >= 2
    code, out, err = cli("dataset", "show", "faces", "--json")
    assert code == 0, err
    clips = json.loads(out)["clips"]
    first = [c for c in clips if c["end_frame"] < 3 * FPS]
    second = [c for c in clips if c["start_frame"] >= 3 * FPS]
    assert first and second
    for c in first:
        ev = c["faces"]["p-ava"]
        assert c["start_frame"] <= ev["frame"] <= c["end_frame"] and ev["distance"] < 0.6
        assert "p-guest" not in c["faces"] and "p-guest" not in c["performers"]
    for c in second:
        # The uncredited guest is present because recognition saw them: with evidence.
        assert "p-guest" in c["performers"]
        ev = c["faces"]["p-guest"]
        assert c["start_frame"] <= ev["frame"] <= c["end_frame"] and ev["distance"] < 0.6
        assert "p-ava" not in c["faces"]
    assert all("p-ben" not in c["faces"] for c in clips)
    code, text, _ = cli("dataset", "show", "faces")  # the evidence, as people read it
    ev = first[0]["faces"]["p-ava"]
    assert code == 0 and f"face: p-ava at frame {ev['frame']} (distance {ev['distance']:.3f}" \
        in text
    # Ben is credited and has a reference, but his face never matched: a warning.
    (w,) = summary["warnings"]
    assert w.startswith("w-film: the face reference of p-ben") and "ben.png" in w
