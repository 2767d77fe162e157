"""Subtitle files: SRT and WebVTT read with pysubs2, in a known text encoding.

Only timing and text come out of here; what a line says about who is present (speaker
labels) is decided by `clearreel.rights.presence`, the one presence rule.

Encodings: the declared one when the catalog gives `encoding:`; otherwise a byte order mark
decides (UTF-8, UTF-16 LE/BE, UTF-32), else the file must be UTF-8. A file that cannot be
decoded, has no cue in it, or is neither SRT nor WebVTT raises `SubtitleError` (a catalog
import reports it with the catalog's `file:line`): guessing Latin-1 would silently turn a
Cyrillic label into nobody.

pysubs2 is tolerant of damage: a stray or malformed block is kept as text of the cue before it
(or dropped when it has no timing at all), and the cues after it are read normally. It drops
WebVTT voice spans (`<v Mara>`), so they are turned into the bracket label `[Mara]` first.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from clearreel.errors import MediaError


class SubtitleError(MediaError):
    """A subtitle file that cannot be read (missing, undecodable, no cues, unknown format)."""

    reason = "unreadable"


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # plain text (markup removed), lines joined by "\n"

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.text.split("\n") if ln.strip()]

    def overlaps(self, start_ms: float, end_ms: float) -> bool:
        return self.start_ms < end_ms and start_ms < self.end_ms


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_VTT_BLOCK = re.compile(r"(?:^|\n)(?:NOTE|STYLE|REGION)\b[^\n]*(?:\n[^\n]+)*", re.S)
_TIMING = re.compile(r"\d+:\d{2}[,.]\d|\d+:\d{2}:\d{2}")


def decode(raw: bytes, encoding: str | None = None, source: str = "<subtitles>") -> str:
    """The text of a subtitle file: declared encoding, else BOM, else strict UTF-8."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SubtitleError(f"{source}: unknown encoding {encoding!r}") from None
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as e:
            raise SubtitleError(
                f"{source}: not valid {encoding} ({e.reason} at byte {e.start})"
            ) from None
    enc = next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(enc).lstrip("\ufeff")
    except UnicodeDecodeError as e:
        raise SubtitleError(
            f"{source}: not {enc.upper()} text ({e.reason} at byte {e.start}); "
            "declare the file's encoding in the catalog "
            "(`subtitles: [{path: ..., encoding: cp1251}]`)"
        ) from None


def parse(text: str, source: str = "<subtitles>", fmt: str | None = None) -> list[Cue]:
    """Cues of SRT or WebVTT text, sorted by time. `fmt` is "srt" or "vtt" (default: the
    text's own header decides, `WEBVTT` or not)."""
    import pysubs2

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if fmt is None:
        fmt = "vtt" if text.lstrip().startswith("WEBVTT") else "srt"
    if fmt == "vtt":
        text = _VTT_BLOCK.sub("\n", _VOICE.sub(lambda m: f"[{m.group(1).strip()}] ", text))
        text = text.replace("</v>", "")
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    except Exception as e:  # pysubs2 raises its own and plain errors for a broken file
        raise SubtitleError(f"{source}: not a readable {fmt.upper()} file ({e})") from None
    cues = [
        Cue(int(ev.start), int(ev.end), ev.plaintext.strip())
        for ev in subs
        if not ev.is_comment and ev.end >= ev.start
    ]
    if not cues and text.strip():
        hint = " (no timing line found)" if not _TIMING.search(text) else ""
        raise SubtitleError(f"{source}: no subtitle cue found{hint}: is it SRT or WebVTT?")
    cues.sort(key=lambda c: (c.start_ms, c.end_ms))
    return cues


def read_subtitles(path: str | Path, encoding: str | None = None) -> list[Cue]:
    """Read an SRT or WebVTT file (see the module docstring for encodings and damage)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SubtitleError(f"{p}: cannot read subtitles ({e.strerror or e})") from None
    text = decode(raw, encoding, str(p))
    fmt = "vtt" if p.suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT") else "srt"
    return parse(text, str(p), fmt)


__all__ = ["Cue", "SubtitleError", "decode", "parse", "read_subtitles"]
