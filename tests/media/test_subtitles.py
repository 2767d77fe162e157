"""SRT parsing with speaker labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearreel.errors import MediaError
from clearreel.media import Cue, parse_srt, read_subtitles

SRT = """\ufeff1
00:00:02,450 --> 00:00:04,925
MARA: Where were you?

2
00:00:05,000 --> 00:00:06,500
<i>The wind rises.</i>
Note: not a speaker

3
00:00:07,054 --> 00:00:07,883
- JONAH: The boats are gone.
- MARA: Then we swim.

4
00:01:00.5 --> 00:01:01,000
DR. O'NEIL: Hold still.
"""


def test_parse_labels_tags_and_dialogue_dashes() -> None:
    cues = parse_srt(SRT)
    assert cues[0] == Cue(2450, 4925, "MARA", "Where were you?")
    assert cues[1] == Cue(5000, 6500, None, "The wind rises.\nNote: not a speaker")
    assert cues[2] == Cue(7054, 7883, "JONAH", "The boats are gone.")
    assert cues[3] == Cue(7054, 7883, "MARA", "Then we swim.")
    assert cues[4] == Cue(60500, 61000, "DR. O'NEIL", "Hold still.")
    assert cues[0].overlaps(4000, 5000) and not cues[0].overlaps(4925, 6000)


def test_read_file_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "a.srt"
    p.write_text(SRT, encoding="utf-8")
    assert len(read_subtitles(p)) == 5
    bad = tmp_path / "bad.srt"
    bad.write_text("1\nnot a timing\nhello\n", encoding="utf-8")
    with pytest.raises(MediaError, match="timing"):
        read_subtitles(bad)
    with pytest.raises(MediaError):
        read_subtitles(tmp_path / "missing.srt")
    latin = tmp_path / "latin.srt"
    latin.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCAF\xc9: ol\xe9\n".encode("latin-1"))
    assert read_subtitles(latin)[0] == Cue(1000, 2000, "CAF\xc9", "ol\xe9")
