"""Resolved subtitle lines (`rights.subtitle_lines.Lines`): the indexed questions the presence
rule asks give the answers a line-by-line scan gives, and what the caches keep is plain data."""

from __future__ import annotations

import gc
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from clearreel.rights.names import build_index
from clearreel.rights.subtitle_lines import Lines, label_lines, resolve_lines

INDEX = build_index([("c-mara", "Mara Vale", ["MARA"]), ("c-jon", "Jonah Vale", [])],
                    [("p-ava", "Ava Stone", []), ("p-ben", "Ben Ash", [])])
LOCAL = {("character", "c-mara"), ("character", "c-jon"), ("party", "p-ava")}
FORMS = ["MARA: Where?", "[JONAH] On the pier.", "AVA (V.O.): Over there.", "The wind.",
         "MARA/JONAH: Now.", "BEN ASH: Here.", "NOBODY: Hm.", "<i>Jonah:</i> Listen."]


class Cue:  # what `label_lines` reads of a parsed cue
    def __init__(self, start_ms: int, end_ms: int, text: str) -> None:
        self.start_ms, self.end_ms, self.lines = start_ms, end_ms, [text]


cues = st.lists(st.tuples(st.integers(0, 60_000), st.integers(0, 3_000),
                          st.sampled_from(FORMS)), max_size=40).map(
    lambda xs: [Cue(s, s + d, t) for s, d, t in xs])  # unordered, zero-length ones too
spans = st.tuples(st.floats(0, 65, allow_nan=False), st.floats(-2, 10, allow_nan=False))


def _naive(lines: Lines, media: str | None, a0: float, a1: float) -> tuple[set, set]:
    chars, parties = set(), set()
    for ln in lines:
        point = a1 <= a0
        hit = (ln.start_s <= a0 < ln.end_s) if point else (ln.start_s < a1 and a0 < ln.end_s)
        if ln.media == media and hit:
            chars |= set(ln.characters)
            parties |= set(ln.performers)
    return chars, parties


@settings(max_examples=150, deadline=None)
@given(cues, cues, st.lists(spans, min_size=1, max_size=6))
def test_indexed_questions_match_a_scan_of_every_line(first, second, asked) -> None:
    lines = Lines.join([resolve_lines(first, INDEX, "m0", LOCAL),
                        resolve_lines(second, INDEX, "m1", LOCAL)])
    assert len(lines) == len(first) + len(second) == len(list(lines))
    for start, length in asked:
        end = start + length
        for media in ("m0", "m1", None):
            got = lines.labelled_in(media, start, end)
            chars = {c for cs, _ in got for c in cs}
            parties = {p for _, ps in got for p in ps}
            assert (chars, parties) == _naive(lines, media, start, end)
        assert lines.overlapping(start, end) == [
            ln for ln in lines if ln.start_s < end and start < ln.end_s]
    named = lines.named()
    assert named == ({c for ln in lines for c in ln.characters},
                     {p for ln in lines for p in ln.performers})
    back = pickle.loads(pickle.dumps(lines))  # what a curation worker receives
    assert back == lines and list(back) == list(lines)


def test_labels_resolve_as_the_contract_says_and_are_kept_as_plain_data() -> None:
    cue = [Cue(1000, 2000, f) for f in FORMS]
    lines = resolve_lines(cue, INDEX, "m0", LOCAL)
    got = {ln.text: (ln.characters, ln.performers) for ln in lines}
    assert got["Where?"] == (("c-mara",), ())
    assert got["On the pier."] == (("c-jon",), ())  # a given name among the work's own
    assert got["Over there."] == ((), ("p-ava",))
    assert got["Now."] == (("c-mara", "c-jon"), ())  # in the order the label names them
    assert got["Here."] == ((), ("p-ben",))  # a full name anywhere
    assert got["NOBODY: Hm."] == ((), ())  # a label that names nobody keeps its text
    assert lines[-1].text == "Listen." and lines[-1].characters == ("c-jon",)
    assert lines[2] == list(lines)[2] and lines[-8] == lines[0]
    # The rows a process keeps for every work it asked about are not tracked by Python's
    # collector once it has seen them (objects per line would be rescanned by every full
    # collection: that was most of the first question's cost on a large registry).
    labelled = label_lines(cue)
    resolve_lines((), INDEX, "m0", LOCAL, labelled)
    for _ in range(3):  # a tuple is untracked once its items are: one level per pass
        gc.collect()
    assert not any(gc.is_tracked(row) for row in labelled)
    assert not gc.is_tracked(labelled)
