"""Speaker verification in curation on real (espeak-ng) voices, tests/realvoices.py: a party
heard in a clip is present (rule 3), credited or not, with the evidence (speech window,
similarity) kept per clip and shown by `dataset show`."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import yaml

from clearreel.config import Settings
from clearreel.curate.config import CurateConfig
from clearreel.media import probe
from realvoices import talking_video, voice

FPS = 8
CONFIG = CurateConfig(detector="pyscenedetect", clip_min_s=1.0, clip_max_s=3.0,
                      train_width=64, train_height=48, train_fps=8.0)


def _studio(tmp_path: Path, consents: dict[str, list[str]] | None = None) -> Path:
    # Two shots of 3 s with a short pause between: speaker a (Ava, credited) says one
    # sentence, then speaker c (a guest, NOT credited) another; b (Ben, credited) never speaks.
    (tmp_path / "media").mkdir()
    talking_video(tmp_path / "media/film.mp4",
                  [("a-2", 3.0), (None, 0.5), ("c-2", 3.0), (None, 0.5)], fps=FPS)
    refs = tmp_path / "refs"
    refs.mkdir()
    people = {"p-ava": "a", "p-ben": "b", "p-guest": "c"}
    for p, v in people.items():  # the references say another sentence than the film
        shutil.copy(voice(f"{v}-1"), refs / f"{p}.wav")
    consents = consents or {p: ["training"] for p in people}
    doc = {
        "organization": {"id": "org-voices", "name": "Voices Pictures", "home_territory": "US"},
        "parties": [{"id": "p-studio", "name": "Voices Pictures", "kind": "company"}]
        + [{"id": p, "name": p[2:].title() + " Test", "kind": "person",
            "references": [f"refs/{p}.wav"]} for p in people],
        "works": [{"id": "w-film", "title": "Film", "kind": "film", "media": ["media/film.mp4"],
                   "participations": [{"party": "p-studio", "role": "studio"},
                                      {"party": "p-ava", "role": "performer"},
                                      {"party": "p-ben", "role": "performer"}],
                   # Scenes cover the whole film, so presence is only what is heard.
                   "scenes": [{"start": 0, "end": 7, "performers": []}]}],
        "licenses": [{"id": "l-all", "licensor": "p-studio", "licensee": "org-voices",
                      "works": "all", "territories": ["WORLD"], "start": "2024-01-01",
                      "uses": {"ai_training": "allowed", "ai_generative_training": "allowed"}}],
        "consents": [{"id": f"k-{p}-{k}", "party": p, "kind": k, "status": "granted",
                      "works": "all", "signed": "2024-02-01"}
                     for p, kinds in consents.items() for k in kinds],
    }
    cat = tmp_path / "catalog.yaml"
    cat.write_text(yaml.safe_dump(doc, sort_keys=False))
    return cat


def test_a_party_heard_is_present_with_evidence(workspace: Settings, tmp_path: Path,
                                                cli) -> None:
    from clearreel.curate import curate
    from clearreel.rights.catalog import import_catalog

    import_catalog(workspace, _studio(tmp_path))
    summary = curate(workspace, "voices", on=dt.date(2026, 1, 1), config=CONFIG,
                     progress=False, workers=1)
    assert summary["clips"] >= 2, summary
    code, out, err = cli("dataset", "show", "voices", "--json")
    assert code == 0, err
    clips = json.loads(out)["clips"]
    first = [c for c in clips if c["end_frame"] < 3 * FPS]
    second = [c for c in clips if c["start_frame"] >= 3.5 * FPS]
    assert first and second, clips
    for c in first:
        assert c["performers"] == ["p-ava"], c
        ev = c["voices"]["p-ava"]
        assert ev["similarity"] >= 0.80 and ev["start_s"] < 3.0 and ev["segments"] >= 1
    for c in second:
        # The uncredited guest is present because their voice was heard: with evidence.
        assert c["performers"] == ["p-guest"], c
        ev = c["voices"]["p-guest"]
        assert ev["similarity"] >= 0.80 and ev["end_s"] > 3.5
    assert all("p-ben" not in c["voices"] for c in clips)
    # Ben is credited and has a voice reference, but was never heard: a warning.
    (w,) = summary["warnings"]
    assert w.startswith("w-film: the voice reference of p-ben") and "p-ben.wav" in w
    code, text, _ = cli("dataset", "show", "voices")
    ev = first[0]["voices"]["p-ava"]
    assert code == 0 and (f"voice: p-ava at {ev['start_s']:.2f}-{ev['end_s']:.2f} s "
                          f"(similarity {ev['similarity']:.3f}") in " ".join(text.split())


def test_kept_audio_needs_a_voice_consent_of_everyone_heard(workspace: Settings, tmp_path: Path,
                                                            cli) -> None:
    import dataclasses

    from clearreel.curate import curate
    from clearreel.rights.catalog import import_catalog

    # Ava consented to training and to the use of her voice; the guest to training only.
    import_catalog(workspace, _studio(tmp_path, {"p-ava": ["training", "voice"],
                                                 "p-ben": ["training"],
                                                 "p-guest": ["training"]}))
    silent = curate(workspace, "mute", on=dt.date(2026, 1, 1), config=CONFIG, progress=False,
                    workers=1)
    code, out, _ = cli("dataset", "show", "mute", "--json")
    mute = json.loads(out)
    assert code == 0 and {p for c in mute["clips"] for p in c["performers"]} == {
        "p-ava", "p-guest"}  # without the audio, training consents suffice
    assert all(not probe(Path(mute["path"]) / c["path"]).audio for c in mute["clips"])
    loud = curate(workspace, "loud", on=dt.date(2026, 1, 1), progress=False, workers=1,
                  config=dataclasses.replace(CONFIG, keep_audio=True))
    assert loud["clips"] < silent["clips"]
    code, out, err = cli("dataset", "show", "loud", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["clips"] and all(c["performers"] == ["p-ava"] for c in d["clips"])
    assert all("k-p-ava-voice" in c["consents"] for c in d["clips"])
    # The clips keep their audio: Ava's voice over the clip's time.
    from clearreel.media import voices
    from clearreel.rights.likeness import embed_voice

    refs = {p: embed_voice(tmp_path / f"refs/{p}.wav")[0] for p in ("p-ava", "p-ben", "p-guest")}
    for c in d["clips"]:
        f = Path(d["path"]) / c["path"]
        pr = probe(f)
        (a,) = pr.audio
        assert abs(a.duration_s - pr.frames / float(pr.fps)) < 0.15, pr
        wav = voices.decode(f)
        e = voices.embed(voices.speech_of(wav, voices.speech(wav)))
        sims = {p: float(e @ r) for p, r in refs.items()}
        assert max(sims, key=sims.__getitem__) == "p-ava" and sims["p-ava"] > 0.7, sims
    guest = [e for e in d["excluded"] if e["stage"] == "clearance"]
    assert guest, d["excluded"]
    for e in guest:
        rs = [r for r in e["reasons"] if r.get("party") == "p-guest"]  # today and --on
        assert rs and all(r["code"] == "voice_consent.missing" and "no voice consent"
                          in r["detail"] for r in rs), rs
    # Ava revokes the use of her voice: the dataset that keeps it no longer verifies, the one
    # without audio still does (her training consent stands).
    doc = yaml.safe_load((tmp_path / "catalog.yaml").read_text())
    k = next(k for k in doc["consents"] if k["id"] == "k-p-ava-voice")
    k.update(status="revoked", revoked="2026-03-01")
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    import_catalog(workspace, tmp_path / "catalog.yaml")
    code, out, err = cli("dataset", "verify", "loud", "--json")
    assert code == 1 and "voice_consent.revoked" in out + err, (out, err)
    code, out, err = cli("dataset", "verify", "mute")
    assert code == 0, (out, err)
