"""Subtitle files: SRT and WebVTT through pysubs2, encodings, damage. Labels are the presence
rule's (tests/rights/test_presence_contract.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearreel.media import Cue, SubtitleError, read_subtitles

SRT = """1
00:00:02,450 --> 00:00:04,925
MARA: Where were you?

2
00:00:05,000 --> 00:00:06,500
<i>The wind rises.</i>
Note: not a speaker

3
00:01:00.5 --> 00:01:01,000
DR. O'NEIL: Hold still.
"""


def test_srt_timing_and_plain_text(tmp_path: Path) -> None:
    p = tmp_path / "a.srt"
    p.write_text(SRT, encoding="utf-8")
    cues = read_subtitles(p)
    assert cues[0] == Cue(2450, 4925, "MARA: Where were you?")
    assert cues[1] == Cue(5000, 6500, "The wind rises.\nNote: not a speaker")
    assert cues[2].start_ms == 60500 and cues[2].lines == ["DR. O'NEIL: Hold still."]
    assert cues[0].overlaps(4000, 5000) and not cues[0].overlaps(4925, 6000)


@pytest.mark.parametrize(("encoding", "bom"), [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff")])
def test_utf8_and_utf16_with_a_bom(tmp_path: Path, encoding: str, bom: bytes) -> None:
    p = tmp_path / "u.srt"
    p.write_bytes(bom + "1\n00:00:01,000 --> 00:00:02,000\nМАРА: Где ты?\n".encode(encoding))
    assert read_subtitles(p)[0].text == "МАРА: Где ты?"


def test_a_declared_encoding_and_an_undeclared_one(tmp_path: Path) -> None:
    p = tmp_path / "cp.srt"
    p.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nМАРА: Где ты?\n".encode("cp1251"))
    with pytest.raises(SubtitleError, match="encoding"):
        read_subtitles(p)  # not UTF-8: an error that says to declare it, never Latin-1
    assert read_subtitles(p, "cp1251")[0].text == "МАРА: Где ты?"
    with pytest.raises(SubtitleError, match="unknown encoding"):
        read_subtitles(p, "klingon-8")


def test_webvtt_voice_spans_become_bracket_labels(tmp_path: Path) -> None:
    p = tmp_path / "v.vtt"
    p.write_text("WEBVTT\n\nNOTE a comment\nover two lines\n\n"
                 "00:00:01.000 --> 00:00:02.000 align:start\n<v Mara>Where were you?</v>\n\n"
                 "00:00:03.000 --> 00:00:04.000\n<v.loud Jonah Vale>Here!\n", encoding="utf-8")
    cues = read_subtitles(p)
    assert [c.text for c in cues] == ["[Mara] Where were you?", "[Jonah Vale] Here!"]


def test_a_stray_block_does_not_lose_the_rest(tmp_path: Path) -> None:
    p = tmp_path / "stray.srt"
    p.write_text("1\n00:00:01,000 --> 00:00:02,000\nMARA: one\n\nstray text\nno timing\n\n"
                 "3\n00:00:05,000 --> 00:00:06,000\nJONAH: three\n\n"
                 "4\n00:00:07,000 --> 00:00:0x,000\nbroken timing\n\n"
                 "5\n00:00:09,000 --> 00:00:10,000\nWREN: five\n", encoding="utf-8")
    texts = [c.text for c in read_subtitles(p)]
    assert any("JONAH: three" in t for t in texts) and any("WREN: five" in t for t in texts)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError):
        read_subtitles(tmp_path / "missing.srt")
    bad = tmp_path / "bad.srt"
    bad.write_text("this is not a subtitle file\nat all\n", encoding="utf-8")
    with pytest.raises(SubtitleError, match="no subtitle cue"):
        read_subtitles(bad)
    empty = tmp_path / "empty.srt"
    empty.write_text("\n", encoding="utf-8")
    assert read_subtitles(empty) == []
