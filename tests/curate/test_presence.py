"""Presence from scenes, speaker labels, faces and the contract's rule for unknown works."""

from __future__ import annotations

from clearreel.curate.context import CharacterInfo, SceneInfo, WorkContext
from clearreel.curate.presence import presence
from clearreel.media import Cue

MARA = CharacterInfo("c-mara", "Mara Quinn", "p-ava")
JONAH = CharacterInfo("c-jonah", "Jonah", "p-ben", aliases=("JO",))
CREDITS = ("p-ava", "p-ben", "p-cleo")


def test_scenes_place_performers_and_their_characters() -> None:
    w = WorkContext(
        "w",
        scenes=(SceneInfo(0, 4000, ("p-cleo",), ()), SceneInfo(4000, 8000, (), ("c-mara",))),
        characters=(MARA, JONAH),
        credited_performers=CREDITS,
    )
    p = presence(w, 3000, 5000)
    assert p.performers == ["p-ava", "p-cleo"] and p.characters == ["c-mara"]
    assert p.evidence["p-ava"] == ["scenes"] and p.sources == ["scenes"]
    assert presence(w, 4000, 6000).performers == ["p-ava"]  # end is exclusive
    assert presence(w, 9000, 9500).performers == []  # scenes known: nobody there


def test_speaker_labels_name_characters_while_the_line_is_on_screen() -> None:
    cues = [
        Cue(1000, 2000, "MARA", "Where were you?"),
        Cue(5000, 6000, "JO", "Here."),
        Cue(7000, 8000, None, "(wind)"),
        Cue(9000, 9500, "STRANGER", "Who?"),
    ]
    w = WorkContext("w", characters=(MARA, JONAH), credited_performers=CREDITS)
    p = presence(w, 0, 3000, cues)
    assert p.performers == ["p-ava"] and p.characters == ["c-mara"]
    assert p.sources == ["speaker_labels"]
    assert presence(w, 4500, 5500, cues).performers == ["p-ben"]  # alias
    assert presence(w, 6500, 9600, cues).performers == []  # unlabelled / unknown speaker


def test_no_scenes_no_labels_counts_every_credited_performer() -> None:
    w = WorkContext("w", characters=(MARA,), credited_performers=CREDITS)
    cues = [Cue(0, 1000, None, "Narration.")]
    p = presence(w, 0, 1000, cues)
    assert p.performers == list(CREDITS) and p.sources == ["credits"]
    assert p.evidence["p-cleo"] == ["credits"]


def test_faces_add_to_the_other_sources() -> None:
    w = WorkContext(
        "w",
        scenes=(SceneInfo(0, 1000, ("p-cleo",)),),
        characters=(MARA, JONAH),
        credited_performers=CREDITS,
    )
    p = presence(w, 0, 1000, faces={"p-ava": 0.3})
    assert p.performers == ["p-ava", "p-cleo"]
    assert p.evidence["p-ava"] == ["faces"] and p.characters == ["c-mara"]
