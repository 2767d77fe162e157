"""`clearreel generate` end to end through the CLI.

The model record and the frame source are stand-ins installed here, so these tests need no
trained model: the frames are real synthetic footage, and everything around them (the guard,
watermark, H.264, C2PA, the record, the audit log, verify) is the real thing.
`test_with_the_tiny_model` (slow) runs engineer T's real tiny model end to end.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest

from clearreel.db import open_session
from clearreel.generate import pipeline
from clearreel.generate.models import Output
from clearreel.rights import audit
from provenance.media import footage

CALLS: list[dict] = []


def _frames(settings, model_name, prompt, *, seed=0, image=None, **kw):
    CALLS.append({"model": model_name, "prompt": prompt, "seed": seed, "image": image, **kw})
    return footage(frames=kw.get("num_frames", 16), seed=seed), 8.0


@pytest.fixture
def stand_in(monkeypatch, studio_any_db):
    """A registered model `m-tiny` and a frame source (see the module docstring)."""
    CALLS.clear()
    monkeypatch.setattr(pipeline, "model_info",
                        lambda settings, name: pipeline.ModelInfo(name, None, None))
    fake = types.ModuleType("clearreel.generate.video")
    fake.generate_frames = _frames  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "clearreel.generate.video", fake)
    return studio_any_db()


def outputs_dir(settings) -> list[Path]:
    d = settings.path("outputs")
    return sorted(d.glob("*")) if d.exists() else []


def test_blocked_request_makes_nothing_and_exits_1(stand_in, cli):
    s = stand_in
    code, out, _ = cli("generate", "--model", "m-tiny", "Darth Vader duels on the pier", "--json")
    assert code == 1
    doc = json.loads(out)
    assert set(doc) == {"output", "path", "blocked", "reasons", "attribution"}
    assert doc["blocked"] and doc["path"] is None and doc["attribution"] == []
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


def test_allowed_request_is_marked_signed_recorded_and_verifies(stand_in, cli):
    s = stand_in
    code, out, err = cli("generate", "--model", "m-tiny", "a lighthouse at dusk", "--seed", "4",
                       "--frames", "16", "--height", "90", "--width", "160", "--json")
    assert code == 0, (out, err)
    doc = json.loads(out)
    assert not doc["blocked"] and doc["reasons"] == []
    path = Path(doc["path"])
    assert path.parent == s.path("outputs").resolve() and path.name == f"{doc['output']}.mp4"
    assert CALLS[0]["num_frames"] == 16 and CALLS[0]["height"] == 90 and CALLS[0]["seed"] == 4
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
    from clearreel.provenance._video import read_frames

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


@pytest.mark.slow
def test_with_the_tiny_model(studio, cli, tmp_path):
    """End to end with engineer T's real `tiny` model: train 2 steps, generate, verify."""
    if importlib.util.find_spec("clearreel.train.loop") is None:
        pytest.skip("the train package (engineer T) has not landed")
    from clearreel.provenance._video import write_mp4
    from clearreel.train.data import Clip
    from clearreel.train.loop import train_on_clips

    s = studio()
    clips = []
    for i in range(2):
        path = tmp_path / f"clip{i}.mp4"
        write_mp4(footage(frames=17, height=32, width=48, seed=i), 8, path)
        clips.append(Clip(id=f"c{i}", path=path, caption="a harbour at dusk",
                          characters=[], work="w-harbor"))
    train_on_clips(s, clips, base="tiny", name="m-e2e", config={"steps": 2},
                   show_progress=False)
    code, out, err = cli("generate", "--model", "m-e2e", "a harbour at dusk", "--steps", "2",
                         "--json")
    assert code == 0, (out, err)
    doc = json.loads(out)
    assert Path(doc["path"]).exists()
    code, out, _ = cli("verify", doc["path"], "--json")
    report = json.loads(out)
    assert code == 0 and report["c2pa"]["trusted"] and report["model"] == "m-e2e"
    assert report["watermark"]["output"] == doc["output"]
    code, out, _ = cli("generate", "--model", "m-e2e", "Pikachu in the harbour", "--json")
    assert code == 1 and json.loads(out)["blocked"]



def test_a_non_mp4_output_is_refused_before_anything_runs(stand_in, cli):
    code, _, _ = cli("generate", "--model", "m-tiny", "Darth Vader", "-o", "shot.mov")
    assert code == 2 and CALLS == []
    with open_session(stand_in) as session:
        assert session.query(Output).count() == 0
