"""`clearreel generate` end to end through the CLI, with a real tiny model.

Each test trains the `tiny` base (a real diffusers Wan pipeline built in code) for one step on
two synthetic clips and registers it as `m-tiny`; the guard, the frames, the watermark, H.264,
C2PA, the record, the audit log and verify are all the real thing. The model's
`generate_frames` is wrapped (not replaced) to record what the CLI asked of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearreel.db import open_session
from clearreel.generate import video
from clearreel.generate.models import Output
from clearreel.rights import audit
from provenance.media import footage

CALLS: list[dict] = []


def train_tiny(settings, tmp_path: Path, name: str, steps: int = 1) -> None:
    from clearreel.dataset import ManifestClip
    from clearreel.media import write_video
    from clearreel.train.loop import train_on_clips

    clips = []
    for i in range(2):
        path = tmp_path / f"{name}-clip{i}.mp4"
        write_video(path, footage(frames=17, height=32, width=48, seed=i), 8)
        clips.append(ManifestClip(id=f"c{i}", path=path, caption="a harbour at dusk",
                          characters=[], work="w-harbor"))
    train_on_clips(settings, clips, base="tiny", name=name, config={"steps": steps},
                   show_progress=False)


@pytest.fixture
def stand_in(monkeypatch, studio_any_db, tmp_path):
    """A studio with a real tiny model `m-tiny`, its frame source wrapped to record calls."""
    CALLS.clear()
    s = studio_any_db()
    train_tiny(s, tmp_path, "m-tiny")
    real = video.generate_frames

    def recording(settings, model_name, prompt, **kw):
        CALLS.append({"model": model_name, "prompt": prompt, **kw})
        return real(settings, model_name, prompt, **kw)

    monkeypatch.setattr(video, "generate_frames", recording)
    return s


def outputs_dir(settings) -> list[Path]:
    d = settings.path("outputs")  # every organization's outputs/ORG/ folder
    return sorted(p for p in d.rglob("*") if p.is_file()) if d.exists() else []


def test_blocked_request_makes_nothing_and_exits_1(stand_in, cli):
    s = stand_in
    code, out, _ = cli("generate", "--model", "m-tiny", "Darth Vader duels on the pier", "--json")
    assert code == 1
    doc = json.loads(out)
    assert set(doc) == {"output", "path", "blocked", "reasons", "attribution", "guard"}
    assert doc["blocked"] and doc["path"] is None and doc["attribution"] == []
    assert doc["guard"]["denylisted"] == ["Darth Vader"] and not doc["guard"]["allowed"]
    assert [r["code"] for r in doc["reasons"]] == ["prompt.denylist"]
    assert CALLS == [] and outputs_dir(s) == []  # not one frame was made
    with open_session(s) as session:
        row = session.query(Output).one()
        assert row.id == doc["output"] and row.blocked and row.path is None
        assert [e.action for e in audit.entries(session)][:2] == ["generate.request",
                                                                  "generate.guard"]


def test_consent_scope_through_the_cli(stand_in, cli):
    code, out, _ = cli("generate", "--model", "m-tiny", "Mara on the pier", "--project",
                       "proj-b", "--json")
    assert code == 1 and json.loads(out)["reasons"][0]["code"] == "replica.out_of_scope"
    code, out, _ = cli("generate", "--model", "m-tiny", "Mara on the pier", "--project",
                       "proj-a", "--purpose", "previz", "--frames", "12", "--json")
    assert code == 0, out
    # The guard's likeness report: who was named, how, and what allowed it.
    depicted = {e["id"]: e for e in json.loads(out)["guard"]["depicted"]}
    mara = depicted["c-mara"]
    assert mara["named_by"][0]["text"] == "Mara" and mara["allowed_by"]
    assert {r["code"] for r in mara["allowed_by"]} >= {"replica.consent"}


def test_allowed_request_is_marked_signed_recorded_and_verifies(stand_in, cli):
    s = stand_in
    code, out, err = cli("generate", "--model", "m-tiny", "a lighthouse at dusk", "--seed", "4",
                       "--frames", "16", "--height", "96", "--width", "160", "--json")
    assert code == 0, (out, err)
    doc = json.loads(out)
    assert not doc["blocked"] and doc["reasons"] == []
    path = Path(doc["path"])
    assert path.parent == s.outputs_dir("org-north").resolve()
    assert path.name == f"{doc['output']}.mp4"
    assert CALLS[0]["num_frames"] == 16 and CALLS[0]["height"] == 96 and CALLS[0]["seed"] == 4
    code, out, _ = cli("verify", str(path), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["output"] == doc["output"] and report["model"] == "m-tiny"
    assert report["c2pa"]["trusted"] and report["watermark"]["output"] == doc["output"]
    with open_session(s) as session:
        assert next(e.action for e in audit.entries(session)) == "generate.request"


def test_output_file_option_and_chaining(stand_in, cli, tmp_path):
    target = tmp_path / "shots" / "shot1.mp4"
    code, out, _ = cli("generate", "--model", "m-tiny", "waves", "-o", str(target),
                       "--frames", "9", "--seconds", "2.5", "--json")
    assert code == 0, out
    assert target.exists() and json.loads(out)["path"] == str(target.resolve())
    # 2.5 s at 8 fps = 20 frames: 9, then 8 new + 8 new (each segment repeats its still).
    assert len(CALLS) == 3 and CALLS[0]["image"] is None and CALLS[1]["image"].endswith(".png")
    from clearreel.media import read_frames

    assert len(read_frames(target)[0]) == 20


@pytest.mark.parametrize("args", [
    ["-o", "x.avi"], ["--seconds", "0"], ["--seconds", "61"], ["--frames", "0"],
    ["--image", "missing.png"], ["--on", "2026-13-40"],
])
def test_bad_input_exits_2(stand_in, cli, args):
    code, _, _ = cli("generate", "--model", "m-tiny", "waves", *args)
    assert code == 2


def test_unknown_model_is_bad_input(studio, cli):
    studio()
    code, _, _err = cli("generate", "--model", "no-such-model", "waves")
    assert code == 2


def test_a_non_mp4_output_is_refused_before_anything_runs(stand_in, cli):
    code, _, _ = cli("generate", "--model", "m-tiny", "Darth Vader", "-o", "shot.mov")
    assert code == 2 and CALLS == []
    with open_session(stand_in) as session:
        assert session.query(Output).count() == 0


def test_on_adds_a_date_it_must_also_clear(stand_in, cli):
    """--on never lets a request through that today refuses, and never lets a date on which
    it did not clear pass either: Mara's replica consent was signed 2024-02-01."""
    import datetime as dt

    from clearreel.generate.pipeline import Request, guard

    s = stand_in
    ask = {"model": "m-tiny", "prompt": "Mara on the pier", "project": "proj-a",
           "purpose": "previz"}
    assert guard(s, Request(**ask))[0]
    allowed, reasons = guard(s, Request(**ask, on=dt.date(2023, 6, 1)))
    assert not allowed and "replica.missing" in [r["code"] for r in reasons]
    code, out, _ = cli("generate", "--model", "m-tiny", "Mara on the pier", "--project",
                       "proj-a", "--purpose", "previz", "--on", "2023-06-01", "--json")
    assert code == 1 and CALLS == []
    # A date that clears: the output is made, recorded and audited (no half-made mp4).
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    code, out, err = cli("generate", "--model", "m-tiny", "a lighthouse", "--frames", "9",
                         "--on", tomorrow, "--json")
    assert code == 0, (out, err)
    doc = json.loads(out)
    with open_session(s) as session:
        row = session.query(Output).filter(Output.id == doc["output"]).one()
        assert row.params["on"] == tomorrow and row.path == doc["path"]
