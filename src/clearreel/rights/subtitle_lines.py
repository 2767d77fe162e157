"""Subtitle files as the presence rule reads them: each file parsed once per stamp, its
lines' speaker labels resolved against the registry's names (`clearreel.rights.names`).

Part of the one presence rule (`clearreel.rights.presence` re-exports what callers use):
parsed files and resolved lines are cached per process, keyed by the file's size and
modification time (and, for resolved lines, the name index's content, the media and the
work's own entities), so a replaced file or a changed registry is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from clearreel.rights.names import LabelledLine, NameIndex, label_candidates


class Line(NamedTuple):
    """One subtitle line, its speaker labels resolved against the registry's names (a named
    tuple: a feature film has thousands, built for every work a session asks about)."""

    start_s: float
    end_s: float
    text: str  # the dialogue: without the label when the label named somebody
    speakers: tuple[str, ...] = ()  # label names that matched somebody, as written
    characters: tuple[str, ...] = ()
    performers: tuple[str, ...] = ()  # person parties named by a label
    media: str | None = None


@dataclass(frozen=True)
class SubtitleEntry:
    path: str
    encoding: str | None = None
    media: str | None = None  # the media URI the subtitles belong to (None: the first)


def subtitle_entries(stored: Iterable[Any]) -> list[SubtitleEntry]:
    """A work's `subtitles` as stored: a path, or {"path", "encoding"?, "media"?}."""
    out = []
    for s in stored or []:
        if isinstance(s, str):
            out.append(SubtitleEntry(s))
        else:
            out.append(SubtitleEntry(str(s["path"]), s.get("encoding"), s.get("media")))
    return out


def _local(uri: str) -> Path | None:
    from clearreel.util.uri import file_path

    return file_path(uri)


# Parsed subtitle files (cues, and each line's label forms), keyed by (path, encoding) and
# checked against the file's size and modification time: a replaced file is read again, an
# unchanged one is not parsed twice in one process (curation, the web studio). Bounded.
Labelled = list[tuple[float, float, str, LabelledLine]]
_CUES: dict[tuple[str, str | None], tuple[tuple[int, int], list[Any], Labelled]] = {}
_CUES_MAX = 512


# Resolved lines of a parsed file, for one name index (by content), media and set of local
# entities: a work asked again in a later session (a web page, the re-check on every
# `generate`) does not resolve its subtitles again. Same bound, same stamp check.
_LINES: dict[tuple[Any, ...], list[Line]] = {}


def _stamp(p: Path) -> tuple[int, int] | None:
    try:
        st = p.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def subtitle_stamps(stored: Iterable[Any]) -> tuple[Any, ...]:
    """What the files of a work's `subtitles` are now (path, size, modification time; None
    for one that cannot be read): a cache of answers that read them is keyed by it, as the
    parse cache here is."""
    out: list[Any] = []
    for entry in subtitle_entries(stored):
        p = _local(entry.path)
        out.append((entry.path, entry.encoding, _stamp(p) if p is not None else None))
    return tuple(out)


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CUES_MAX:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _read_stamped(entry: SubtitleEntry) -> tuple[list[Any], Labelled, Any]:
    """The cues, their label forms and the cache key of the file as read (None: uncached)."""
    from clearreel.media.subtitles import SubtitleError, read_subtitles

    p = _local(entry.path)
    if p is None:
        raise SubtitleError(f"{entry.path}: subtitles must be a local file or file:// URL")
    stamp = _stamp(p)
    k = (str(p), entry.encoding)
    hit = _CUES.get(k)
    if stamp is not None and hit is not None and hit[0] == stamp:
        return hit[1], hit[2], (k, stamp)
    cues = read_subtitles(p, entry.encoding)
    labelled = label_lines(cues)
    if stamp is None:
        return cues, labelled, None
    _remember(_CUES, k, (stamp, cues, labelled))
    return cues, labelled, (k, stamp)


def _read(entry: SubtitleEntry) -> tuple[list[Any], Labelled]:
    cues, labelled, _ = _read_stamped(entry)
    return cues, labelled


def file_lines(entry: SubtitleEntry, index: NameIndex, media: str | None,
                local: set[tuple[str, str]]) -> list[Line]:
    cues, labelled, read_as = _read_stamped(entry)
    if read_as is None:
        return resolve_lines(cues, index, media, local, labelled)
    k = (read_as, index.version(), media, frozenset(local))
    hit = _LINES.get(k)
    if hit is None:
        hit = resolve_lines(cues, index, media, local, labelled)
        _remember(_LINES, k, hit)
    return hit


def read_cues(entry: SubtitleEntry) -> list[Any]:
    """The cues of one subtitle entry (raises `SubtitleError` when it cannot be read)."""
    return _read(entry)[0]


def label_lines(cues: Iterable[Any]) -> Labelled:
    """Every line of every cue with its label forms: (start s, end s, line, LabelledLine)."""
    return [(cue.start_ms / 1000.0, cue.end_ms / 1000.0, raw, label_candidates(raw))
            for cue in cues for raw in cue.lines]


def resolve_lines(cues: Iterable[Any], index: NameIndex, media: str | None,
                  local: Iterable[tuple[str, str]] | None = None,
                  labelled: Labelled | None = None) -> list[Line]:
    """Subtitle cues as `Line`s with their labels resolved (one per line of text); `local`:
    the work's own characters and parties, which a given name or surname alone may name."""
    local = set(local) if local is not None else None
    # A film repeats the same few labels thousands of times: resolve each label's names once.
    memo: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}

    def who(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        hit = memo.get(names)
        if hit is None:
            speakers: list[str] = []
            chars: list[str] = []
            parties: list[str] = []
            for name in names:
                refs = sorted(index.resolve(name, local))
                c = [r for k, r in refs if k == "character"]
                p = [r for k, r in refs if k == "party"]
                if c or p:
                    speakers.append(name)
                chars += c
                parties += p
            hit = memo[names] = (tuple(speakers), tuple(dict.fromkeys(chars)),
                                 tuple(dict.fromkeys(parties)))
        return hit

    out: list[Line] = []
    for s, e, raw, lab in (labelled if labelled is not None else label_lines(cues)):
        if not lab.names:
            out.append(Line(s, e, raw.strip(), (), (), (), media))
            continue
        speakers, chars, parties = who(lab.names)
        out.append(Line(s, e, lab.text if speakers else raw.strip(), speakers, chars, parties,
                        media))
    return out


__all__ = ["Line", "SubtitleEntry", "file_lines", "label_lines", "read_cues", "resolve_lines",
           "subtitle_entries", "subtitle_stamps"]
