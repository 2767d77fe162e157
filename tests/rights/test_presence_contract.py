"""The presence contract (ARCHITECTURE.md, "Presence"), case by case, through every entry
point that decides it: the presence module itself, the clearance engine on the whole work
(what `rights check` and curation's work-level question ask), `rights check` on the CLI, and
the dataset re-check of a clip (what `dataset verify`, `train` and model suspension use).
The same cases, parametrised, so the entry points cannot drift apart.

The work: a scene covers its first 10 s saying nobody is on screen, so only a speaker label in
its subtitles can put someone there, in the one line at 4-5 s (after 10 s no scene says who is
there: every credited performer counts). Jon (Ben Reyes) has no training
consent; Mara (Ava Stone) has one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import base, find

MID = dt.date(2025, 6, 1)
LINE = "On the pier."
BEN, AVA = "p-ben", "p-ava"

# (case id, subtitle file name, its bytes, who the 4-5 s line puts on screen)
SRT = "1\n00:00:04,000 --> 00:00:05,000\n{}\n"
CASES: list[tuple[str, str, bytes, set[str]]] = [
    ("colon", "a.srt", SRT.format(f"JON: {LINE}").encode(), {BEN}),
    ("brackets", "a.srt", SRT.format(f"[JON] {LINE}").encode(), {BEN}),
    ("mixed-case", "a.srt", SRT.format(f"Jon: {LINE}").encode(), {BEN}),
    ("voice-over", "a.srt", SRT.format(f"JON (V.O.): {LINE}").encode(), {BEN}),
    ("two-speakers", "a.srt", SRT.format(f"JON/MARA: {LINE}").encode(), {BEN, AVA}),
    ("italics", "a.srt", SRT.format(f"<i>JON:</i> {LINE}").encode(), {BEN}),
    ("dash-alias", "a.srt", SRT.format(f"- JONNY: {LINE}").encode(), {BEN}),
    ("diacritics", "a.srt", SRT.format(f"JÓN: {LINE}").encode(), {BEN}),
    ("party-name", "a.srt", SRT.format(f"BEN REYES: {LINE}").encode(), {BEN}),
    ("cyrillic-alias", "a.srt", SRT.format(f"ДЖОН: {LINE}").encode(), {BEN}),
    ("utf-16", "a.srt", SRT.format(f"JON: {LINE}").encode("utf-16"), {BEN}),
    ("utf-8-bom", "a.srt", b"\xef\xbb\xbf" + SRT.format(f"JON: {LINE}").encode(), {BEN}),
    ("webvtt-voice", "a.vtt",
     f"WEBVTT\n\n00:00:04.000 --> 00:00:05.000\n<v Jon>{LINE}\n".encode(), {BEN}),
    ("a-name-in-dialogue-is-not-a-label", "a.srt",
     SRT.format("On the pier, Jon.").encode(), set()),
    ("no-subtitles-label", "a.srt", SRT.format(LINE).encode(), set()),
]


def _doc(tmp_path: Path, name: str, data: bytes) -> dict[str, Any]:
    sub = tmp_path / name
    sub.write_bytes(data)
    doc = base()
    doc["consents"] = [c for c in doc["consents"] if c["party"] != BEN]
    find(doc, "characters", "c-jon")["aliases"] = ["Jonny", "Джон"]
    doc["works"].append({
        "id": "w-lab", "title": "Labels", "kind": "short", "subtitles": [str(sub)],
        "participations": [{"party": "p-studio", "role": "studio"},
                           {"party": AVA, "role": "performer", "character": "c-mara"}],
        "scenes": [{"start": "00:00:00.000", "end": "00:00:10.000", "performers": []}]})
    return doc


def _clip(start: float, end: float) -> dict[str, Any]:
    return {"id": f"w-lab_{start:g}", "work": "w-lab", "media": None,
            "start_frame": round(start * 24), "end_frame": round(end * 24) - 1,
            "source_fps": 24.0, "start_s": start, "end_s": end, "start_tc": None,
            "end_tc": None, "performers": []}


@pytest.mark.parametrize("case,name,data,heard", CASES, ids=[c[0] for c in CASES])
def test_every_entry_point_gives_the_same_presence(
        registry, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch,
        case: str, name: str, data: bytes, heard: set[str]) -> None:
    from clearreel.dataset.recheck import recheck
    from clearreel.rights.presence import present, work_facts

    r = registry(_doc(tmp_path, name, data))
    with r.session() as s:
        facts = work_facts(s, "w-lab", references=False)
        # 1. The presence module: the labelled line, and a stretch the scene says is empty.
        assert set(present(facts, None, 4.0, 5.0).performers) == heard
        assert set(present(facts, None, 7.0, 8.0).performers) == set()
        # 2. The dataset re-check of two clips: the labelled one and an empty one.
        rc = recheck(s, [_clip(4.0, 5.0), _clip(7.0, 8.0)], on=MID)
    assert ({u.clip for u in rc.uncleared} == {"w-lab_4"}) == (BEN in heard)
    assert set(rc.cleared.get("w-lab_7", {}).get("performers", ["?"])) == set()
    # 3. The clearance engine on the whole work: the scene ends at 10 s and the work's length
    # is not known, so the time after it counts every credited performer (Mara) as well.
    d = r.use("w-lab", "ai_training", MID)
    assert set(d.question["performers"]) == heard | {AVA}
    assert d.allowed == (BEN not in heard)
    # 4. `rights check` on the CLI, same question.
    monkeypatch.setenv("CLEARREEL_HOME", str(r.settings.home))
    monkeypatch.delenv("CLEARREEL_DATABASE_URL", raising=False)
    code, out, err = cli("--org", r.org, "rights", "check", "--work", "w-lab", "--use",
                         "ai_training", "--on", MID.isoformat(), "--json")
    assert code == (1 if BEN in heard else 0), err
    doc = json.loads(out)
    assert doc["allowed"] == (BEN not in heard)
    if BEN in heard:
        assert any(x["code"] == "consent.missing" and x.get("party") == BEN
                   for x in doc["reasons"])


def test_resolved_labels_follow_the_registry_and_the_file(registry, tmp_path: Path) -> None:
    """Resolved subtitle lines are reused across sessions of one process (web pages, the
    re-check on every `generate`): an alias added by a later import, and a subtitle file
    rewritten in place, are both seen on the next question, never a stale answer."""
    import os

    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.presence import present, work_facts

    r = registry(_doc(tmp_path, "a.srt", SRT.format(f"JONATHAN: {LINE}").encode()))

    def heard() -> set[str]:
        with r.session() as s:
            return set(present(work_facts(s, "w-lab", references=False), None, 4.0, 5.0)
                       .performers)

    assert heard() == set()  # nobody is called Jonathan yet
    assert heard() == set()  # asked again: the same answer from the reused lines
    find(r.doc, "characters", "c-jon")["aliases"].append("Jonathan")
    r.path.write_text(json.dumps(r.doc))
    import_catalog(dataclasses.replace(r.settings, org=r.org), r.path)
    assert heard() == {BEN}  # the index changed: the lines are resolved again
    sub = tmp_path / "a.srt"
    before = sub.stat()
    sub.write_bytes(SRT.format(f"MARA: {LINE}").encode())  # rewritten in place
    os.utime(sub, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000))
    assert heard() == {AVA}


def test_the_web_matrix_follows_a_subtitle_file_rewritten_on_disk(registry,
                                                                   tmp_path: Path) -> None:
    """The web studio's works matrix is cached per registry version; the engine reads the
    subtitle files as they are now, so a label added on disk (no import, no registry write)
    changes the matrix exactly as it changes `rights check`."""
    import os

    from clearreel.web import views

    r = registry(_doc(tmp_path, "a.srt", SRT.format(LINE).encode()))
    s = dataclasses.replace(r.settings, org=r.org)

    def cell() -> dict[str, Any]:
        doc = views.works_matrix(s, on=MID)
        return next(w for w in doc["works"] if w["id"] == "w-lab")["cells"]["ai_training"]

    assert cell()["allowed"] and r.use("w-lab", "ai_training", MID).allowed
    sub = tmp_path / "a.srt"
    before = sub.stat()
    sub.write_bytes(SRT.format(f"JON: {LINE}").encode())
    os.utime(sub, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000))
    assert not r.use("w-lab", "ai_training", MID).allowed
    assert not cell()["allowed"]
    assert any(x["code"] == "consent.missing" and x.get("party") == BEN
               for x in cell()["reasons"])
