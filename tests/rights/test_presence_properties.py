"""Property tests of the presence rule (ARCHITECTURE.md, "Presence"), on generated works.

Each example builds one work in a transaction that is rolled back: performers credited with
characters (the casting rule: participation first, else the character's `performer`), scenes
with performers and characters or `performers: []`, a subtitle file whose cues carry speaker
labels naming characters, aliases and parties, and recognised faces. Then

- (a) adding a labelled cue or a recognised face never removes anyone from the presence answer
  for any span, and never turns a clearance denial into an allowance (`check_use` on the whole
  work, `recheck` on clip spans). A scene is the one source that may *narrow* the answer, and
  only in the way the contract says: time it newly covers is no longer uncovered, so the
  credited performers who were there only because nobody said who was (evidence `uncovered`)
  are gone, and nobody else; while part of a span stays uncovered, nobody leaves it.
- (b) the answer for a clip span is the same through `presence.present`, the dataset re-check
  (`cleared[...]["performers"]` or the uncleared entry's performers), and `check_use` with
  `performers=None` where that asks the same question (a clip spanning the whole media).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clearreel.config import Settings

from .conftest import base

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

ON = dt.date(2025, 6, 1)
USE = "ai_generative_training"
PERSONS = ["p-ava", "p-ben", "p-cy", "p-dee"]
CHARS = ["c-mara", "c-jon", "c-kit"]
# Label forms: character names and aliases in any case, a party's full name, two speakers,
# and forms that name nobody.
LABELS = ["MARA", "Mara", "JON", "JONNY", "KIT", "Kitty", "BEN REYES", "Dee Park", "CY LOW",
          "JON/MARA", "KIT (V.O.)", "NOBODY", "Note"]
MEDIA = "/nonexistent/prop-media.mp4"  # never opened: its probe gives the duration only
DURATION_DS = 200  # 20 s, in tenths

_ids = itertools.count()

tenths = st.integers(0, DURATION_DS + 40)


@st.composite
def spans(draw: Any, lo: int = 0, hi: int = DURATION_DS + 40) -> tuple[float, float]:
    a = draw(st.integers(lo, hi - 1))
    b = draw(st.integers(a + 1, min(hi, a + 80)))
    return a / 10, b / 10


@st.composite
def scenes(draw: Any) -> dict[str, Any]:
    a, b = draw(spans(0, DURATION_DS))
    empty = draw(st.booleans())
    return {"start": a, "end": b,
            "performers": [] if empty else draw(st.lists(st.sampled_from(PERSONS), max_size=2,
                                                         unique=True)),
            "characters": [] if empty else draw(st.lists(st.sampled_from(CHARS), max_size=1))}


@st.composite
def cues(draw: Any) -> tuple[float, float, str]:
    a, b = draw(spans(0, DURATION_DS))
    label = draw(st.sampled_from(LABELS))
    return a, b, f"{label}: On the pier."


works = st.fixed_dictionaries({
    # (party, character or None): credited performers, some playing a character by credit
    "cast": st.lists(st.tuples(st.sampled_from(PERSONS), st.sampled_from([*CHARS, None])),
                     max_size=3, unique_by=lambda x: x[0]),
    "scenes": st.lists(scenes(), max_size=4),
    "cues": st.lists(cues(), max_size=4),
    "consented": st.lists(st.sampled_from(PERSONS), unique=True),
    "media": st.booleans(),  # a media file of known duration (so the whole work is a span)
})


@pytest.fixture(scope="module")
def org(shared: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str]:
    """Parties, characters and a licence that allows everything; each example adds its work and
    its consents in a transaction that is rolled back."""
    from clearreel.rights.catalog import import_catalog

    from .conftest import write

    doc = base()
    doc["organization"]["id"] = "org-presence-prop"
    doc["parties"] += [{"id": "p-cy", "name": "Cy Low", "kind": "person"},
                       {"id": "p-dee", "name": "Dee Park", "kind": "person"}]
    doc["characters"].append({"id": "c-kit", "name": "Kit", "owner": "p-studio",
                              "performer": "p-cy", "aliases": ["Kitty"]})
    doc["works"] = []
    doc["licenses"][0].update(licensee="org-presence-prop", end=None,
                              uses={USE: "allowed", "ai_training": "allowed"})
    doc["consents"] = []
    import_catalog(dataclasses.replace(shared, org="org-presence-prop"),
                   write(tmp_path_factory.mktemp("presence-prop") / "c.yaml", doc))
    return shared, "org-presence-prop"


def _srt(folder: Path, lines: list[tuple[float, float, str]]) -> str:
    def tc(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02}:{ms // 60000 % 60:02}:{ms // 1000 % 60:02},{ms % 1000:03}"

    body = "".join(f"{i}\n{tc(a)} --> {tc(b)}\n{text}\n\n"
                   for i, (a, b, text) in enumerate(lines, 1))
    p = folder / f"s{next(_ids)}.srt"  # a new file each time: nothing cached is reused
    p.write_text(body or "1\n00:00:00,000 --> 00:00:00,001\n...\n\n")
    return str(p)


class World:
    """One generated work in an open session, and the questions the entry points ask."""

    def __init__(self, s: Any, spec: dict[str, Any], folder: Path):
        from clearreel.rights.models import Consent, MediaAsset, Participation, Work

        self.s, self.folder = s, folder
        self.id = f"w-prop{next(_ids)}"
        self.cues = list(spec["cues"])
        self.media = MEDIA if spec["media"] else None
        self.work = Work(id=self.id, title="Generated", kind="short",
                         subtitles=[_srt(folder, self.cues)])
        self.work.participations = [Participation(party_id="p-studio", role="studio")] + [
            Participation(party_id=p, role="performer", character_id=c) for p, c in spec["cast"]]
        if self.media:
            self.work.media = [MediaAsset(uri=MEDIA, probe={"duration_s": DURATION_DS / 10})]
        s.add(self.work)
        for sc in spec["scenes"]:
            self.add_scene(sc)
        for p in spec["consented"]:
            s.add(Consent(id=f"k{next(_ids)}", party_id=p, kind="training", status="granted",
                          works=None, projects=None, purposes=None, description="",
                          signed=dt.date(2024, 1, 1), expires=None, revoked=None))
        s.flush()

    def add_scene(self, sc: dict[str, Any]) -> None:
        from clearreel.rights.models import Scene

        self.work.scenes.append(Scene(start_ms=round(sc["start"] * 1000),
                                      end_ms=round(sc["end"] * 1000),
                                      performers=list(sc["performers"]),
                                      characters=list(sc["characters"]),
                                      media=self.media))
        self.s.flush()

    def add_cue(self, cue: tuple[float, float, str]) -> None:
        self.cues.append(cue)
        self.work.subtitles = [_srt(self.folder, sorted(self.cues))]  # a new list: dirty
        self.s.flush()

    def facts(self) -> Any:
        from clearreel.rights.presence import work_facts

        return work_facts(self.s, self.id, references=False)

    def present(self, span: tuple[float, float], faces: tuple[str, ...] = ()) -> Any:
        from clearreel.rights.presence import present

        return present(self.facts(), self.media, span[0], span[1], faces=faces)

    def whole(self) -> Any:
        from clearreel.rights.clearance import check_use

        return check_use(self.s, self.id, USE, on=ON, audit=False)

    def recheck(self, clip_spans: list[tuple[float, float]],
                faces: tuple[str, ...] = ()) -> list[tuple[bool, set[str]]]:
        """(cleared, performers) of each span as a dataset clip, `faces` recorded at curation."""
        from clearreel.dataset.recheck import recheck

        clips = [{"id": f"{self.id}_{i}", "work": self.id, "media": self.media,
                  "start_frame": round(a * 24), "end_frame": max(round(a * 24),
                                                                 round(b * 24) - 1),
                  "source_fps": 24.0, "start_s": a, "end_s": b, "start_tc": None,
                  "end_tc": None, "performers": list(faces)}
                 for i, (a, b) in enumerate(clip_spans)]
        rc = recheck(self.s, clips, on=ON)
        out = []
        for c in clips:
            if c["id"] in rc.cleared:
                out.append((True, set(rc.cleared[c["id"]]["performers"])))
            else:
                u = next(u for u in rc.uncleared if u.clip == c["id"])
                out.append((False, set(u.performers)))
        return out


def _run(org: tuple[Settings, str], tmp_path_factory: pytest.TempPathFactory,
         spec: dict[str, Any], body: Any) -> None:
    from clearreel.db import open_session

    settings_, org_id = org
    with open_session(settings_, org=org_id) as s:
        try:
            body(World(s, spec, tmp_path_factory.mktemp("w", numbered=True)))
        finally:
            s.rollback()


def _monotone(before: Any, after: Any, what: str) -> None:
    lost = set(before.performers) - set(after.performers)
    assert not lost, f"{what} removed {sorted(lost)} from the presence answer"
    lost_c = set(before.characters) - set(after.characters)
    assert not lost_c, f"{what} removed characters {sorted(lost_c)} from the presence answer"


def _never_clears(before: list[tuple[bool, set[str]]], after: list[tuple[bool, set[str]]],
                  what: str) -> None:
    for i, ((ok0, _), (ok1, _)) in enumerate(zip(before, after, strict=True)):
        assert ok0 or not ok1, f"{what} turned the denial of clip {i} into an allowance"


PROPS = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])


@PROPS
@given(spec=works, cue=cues(), faces=st.lists(st.sampled_from(PERSONS), max_size=2, unique=True),
       probes=st.lists(spans(), min_size=1, max_size=4))
def test_a_labelled_cue_or_a_face_never_removes_anyone_nor_clears(
        org, tmp_path_factory, spec, cue, faces, probes) -> None:
    def body(w: World) -> None:
        before = [w.present(p) for p in probes]
        whole0, clips0 = w.whole().allowed, w.recheck(probes)
        event(f"whole work allowed before: {whole0}")
        # A recognised face: present(faces=...) and the face recorded on the clip.
        for p, b in zip(probes, before, strict=True):
            _monotone(b, w.present(p, tuple(faces)), f"recognising {faces}")
        _never_clears(clips0, w.recheck(probes, tuple(faces)), f"recognising {faces}")
        # A labelled cue.
        w.add_cue(cue)
        for p, b in zip(probes, before, strict=True):
            _monotone(b, w.present(p), f"the cue {cue}")
        assert whole0 or not w.whole().allowed, f"the cue {cue} cleared the work"
        _never_clears(clips0, w.recheck(probes), f"the cue {cue}")

    _run(org, tmp_path_factory, spec, body)


@PROPS
@given(spec=works, scene=scenes(), probes=st.lists(spans(), min_size=1, max_size=4))
def test_a_scene_only_narrows_time_it_newly_covers(org, tmp_path_factory, spec, scene,
                                                   probes) -> None:
    from clearreel.rights.presence import UNCOVERED

    def body(w: World) -> None:
        spans_ = [*probes, (0.0, DURATION_DS / 10)]
        before = [w.present(p) for p in spans_]
        whole0, clips0 = w.whole(), w.recheck(spans_)
        w.add_scene(scene)
        after = [w.present(p) for p in spans_]
        clips1 = w.recheck(spans_)
        for p, b, a, c0, c1 in zip(spans_, before, after, clips0, clips1, strict=True):
            lost = set(b.performers) - set(a.performers)
            if b.uncovered and not a.uncovered:
                event("a span became covered")
                only_uncovered = {x for x in b.performers if b.evidence[x] == (UNCOVERED,)}
                assert lost <= only_uncovered, (
                    f"the scene {scene} removed {sorted(lost - only_uncovered)} from {p}, "
                    "who were there on other evidence than uncovered time")
                assert not set(b.characters) - set(a.characters), p
            else:
                _monotone(b, a, f"the scene {scene} on {p}")
                assert c0[0] or not c1[0], f"the scene {scene} cleared the clip {p}"
        whole1 = w.whole()
        if w.media is None:  # unknown length: time after the last scene is always uncovered
            assert whole0.allowed or not whole1.allowed, f"the scene {scene} cleared the work"
            assert set(whole0.question["performers"]) <= set(whole1.question["performers"])

    _run(org, tmp_path_factory, spec, body)


@PROPS
@given(spec=works, faces=st.lists(st.sampled_from(PERSONS), max_size=2, unique=True),
       probes=st.lists(spans(), min_size=1, max_size=4))
def test_every_entry_point_gives_the_same_answer_for_a_span(org, tmp_path_factory, spec, faces,
                                                             probes) -> None:
    from clearreel.rights.clearance import check_use

    def body(w: World) -> None:
        got = w.recheck(probes, tuple(faces))
        for p, (ok, performers) in zip(probes, got, strict=True):
            expected = set(w.present(p, tuple(faces)).performers)
            assert performers == expected, (p, performers, expected)
            d = check_use(w.s, w.id, USE, on=ON, performers=sorted(expected), audit=False)
            assert ok == d.allowed, p
        # The whole work is one span: [0, duration) of its media, or [0, inf) without one.
        whole = w.whole()
        span = (0.0, DURATION_DS / 10) if w.media else (0.0, float("inf"))
        assert set(whole.question["performers"]) == set(w.present(span).performers)
        if w.media:
            [(ok, performers)] = w.recheck([span])
            assert performers == set(whole.question["performers"])
            assert ok == whole.allowed
        event(f"whole work allowed: {whole.allowed}")

    _run(org, tmp_path_factory, spec, body)


def test_a_face_names_its_party_and_role_not_the_roles_other_performers() -> None:
    """Found by the property above: Ava and Ben both play Mara in a work, a scene says nobody is
    on screen, and Ava's face is recognised. The clip has Ava (as Mara), not Ben: the re-check,
    which keeps the recorded face, and the presence module must agree."""
    from clearreel.rights.presence import SceneFact, WorkFacts, present

    facts = WorkFacts(work="w", credited=("p-ava", "p-ben"),
                      cast=(("c-mara", ("p-ava", "p-ben")),),
                      scenes=(SceneFact(0.0, 1.0, ()),))
    got = present(facts, None, 0.0, 1.0, faces=["p-ava"])
    assert (got.performers, got.characters) == (("p-ava",), ("c-mara",))
    assert present(facts, None, 0.0, 1.0, voices=["p-ben"]).performers == ("p-ben",)
