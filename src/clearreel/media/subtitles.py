"""Subtitles: SRT cues with speaker labels (`MARA: Where were you?`).

The catalog contract: a label that names a character means that character's performer is
present while the line is on screen. Labels are recognised as an upper-case name (letters
of any cased script, digits, spaces, `.'-`) before a colon at the start of a line, optionally
after a dialogue dash (`- MARA: ...`). Mixed-case prefixes ("Note: ...") are text, not speakers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clearreel.errors import MediaError

_TIME = r"(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_SPEAKER = re.compile(r"^\s*(?:-\s*)?([^\W\d_][\w .'\-]{0,39}?)\s*:\s+(.*)$")


def _is_label(name: str) -> bool:
    """An upper-case name (any script with case: ZOË, ÉLODIE), not a mixed-case word."""
    return name == name.upper() and any(ch.isalpha() for ch in name) and name != name.lower()


_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    speaker: str | None  # the label as written ("MARA"), None when the line has none
    text: str  # without the label and markup; lines joined by "\n"

    def overlaps(self, start_ms: float, end_ms: float) -> bool:
        return self.start_ms < end_ms and start_ms < self.end_ms


def _ms(h: str, m: str, s: str, frac: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0")[:3])


def parse_srt(text: str, source: str = "<srt>") -> list[Cue]:
    """Parse SRT text. A block with several labelled lines yields one cue per speaker."""
    cues: list[Cue] = []
    blocks = re.split(r"\r?\n\s*\r?\n", text.replace("\ufeff", "").strip())
    for block in blocks:
        lines = [ln for ln in block.splitlines() if ln.strip()]
        timing_at = next((i for i, ln in enumerate(lines) if _TIMING.match(ln)), None)
        if timing_at is None:
            if lines:
                raise MediaError(f"{source}: subtitle block without a timing line: {lines[0]!r}")
            continue
        m = _TIMING.match(lines[timing_at])
        assert m
        start, end = _ms(*m.groups()[:4]), _ms(*m.groups()[4:])
        if end < start:
            raise MediaError(f"{source}: cue ends before it starts: {lines[timing_at]!r}")
        speaker: str | None = None
        parts: list[str] = []
        groups: list[tuple[str | None, list[str]]] = []
        for raw in lines[timing_at + 1 :]:
            line = _TAG.sub("", raw).strip()
            sm = _SPEAKER.match(line)
            if sm and _is_label(sm.group(1).strip()):
                if parts or speaker is not None:
                    groups.append((speaker, parts))
                speaker, parts = sm.group(1).strip(), [sm.group(2).strip()]
            else:
                parts.append(line)
        groups.append((speaker, parts))
        for spk, ps in groups:
            if ps or spk:
                cues.append(Cue(start, end, spk, "\n".join(ps)))
    cues.sort(key=lambda c: (c.start_ms, c.end_ms))
    return cues


def read_subtitles(path: str | Path) -> list[Cue]:
    """Read an SRT file (UTF-8, BOM tolerated; Latin-1 as a fallback)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise MediaError(f"{p}: cannot read subtitles ({e})") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_srt(text, str(p))
