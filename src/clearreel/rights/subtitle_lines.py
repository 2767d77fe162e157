"""Subtitle files as the presence rule reads them: each file parsed once per stamp, its
lines' speaker labels resolved against the registry's names (`clearreel.rights.names`).

Part of the one presence rule (`clearreel.rights.presence` re-exports what callers use):
parsed files and resolved lines are cached per process, keyed by the file's size and
modification time (and, for resolved lines, the name index's content, the media and the
work's own entities), so a replaced file or a changed registry is read again.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from clearreel.rights.names import NameIndex, label_candidates


class Line(NamedTuple):
    """One subtitle line, its speaker labels resolved against the registry's names."""

    start_s: float
    end_s: float
    text: str  # the dialogue: without the label when the label named somebody
    speakers: tuple[str, ...] = ()  # label names that matched somebody, as written
    characters: tuple[str, ...] = ()
    performers: tuple[str, ...] = ()  # person parties named by a label
    media: str | None = None


# Whom a label names: (speakers as written, characters, performers).
Group = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
NOBODY: Group = ((), (), ())


class _Part:
    """One subtitle file's lines for one media file: the parsed lines (shared with the parse
    cache), per line the index of whom its label names in `groups` (0: nobody), and, built
    on first use, each group's time spans for `labelled_in`."""

    __slots__ = ("_spans", "groups", "ids", "labelled", "media")

    def __init__(self, labelled: Labelled, ids: list[int], groups: list[Group],
                 media: str | None) -> None:
        self.labelled, self.ids, self.groups, self.media = labelled, ids, groups, media
        self._spans: list[tuple[tuple[str, ...], tuple[str, ...], list[float], list[float]]] \
            | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Part, (self.labelled, self.ids, self.groups, self.media))

    def line(self, i: int) -> Line:
        s, e, raw, _, text = self.labelled[i]
        speakers, chars, parties = self.groups[self.ids[i]]
        return Line(s, e, text if speakers else raw.strip(), speakers, chars, parties,
                    self.media)

    def spans(self) -> list[tuple[tuple[str, ...], tuple[str, ...], list[float], list[float]]]:
        """(characters, performers, start times sorted, the running maximum of the end
        times) of each group's lines."""
        if self._spans is None:
            by: dict[int, list[int]] = {}
            for i, g in enumerate(self.ids):
                if g:
                    by.setdefault(g, []).append(i)
            out = []
            lab = self.labelled
            for g, idx in by.items():
                _, chars, parties = self.groups[g]
                idx.sort(key=lambda i: lab[i][0])
                out.append((chars, parties, [lab[i][0] for i in idx],
                            list(itertools.accumulate((lab[i][1] for i in idx), max))))
            self._spans = out
        return self._spans


class Lines(Sequence[Line]):
    """A work's subtitle lines with their labels resolved, read as `Line`s.

    Stored per file as the parsed lines (shared with the parse cache) and, per line, whom its
    label names; a `Line` is made when read. A feature film has thousands of lines, and the
    caches here keep them for every work a process has asked about: as objects, every one
    would be allocated on the first question and rescanned by each of Python's full
    collections (on the registry's heap, about 2 ms per work asked)."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[_Part] = ()) -> None:
        self.parts = tuple(parts)

    @classmethod
    def join(cls, lines: Iterable[Lines]) -> Lines:
        return cls(p for ln in lines for p in ln.parts)

    def __len__(self) -> int:
        return sum(len(p.ids) for p in self.parts)

    def __iter__(self) -> Iterator[Line]:
        for p in self.parts:
            for i in range(len(p.ids)):
                yield p.line(i)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return list(self)[i]
        if i < 0:
            i += len(self)
        for p in self.parts:
            if 0 <= i < len(p.ids):
                return p.line(i)
            i -= len(p.ids)
        raise IndexError("line index out of range")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lines) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Lines({len(self)} lines)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Lines, (self.parts,))

    def overlapping(self, start_s: float, end_s: float) -> list[Line]:
        """The lines that overlap [start_s, end_s)."""
        return [p.line(i) for p in self.parts for i, (s, e, *_) in enumerate(p.labelled)
                if s < end_s and start_s < e]

    def labelled_in(self, media: str | None, start_s: float,
                    end_s: float) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(characters, performers) named by the labels of lines of `media` that overlap
        [start_s, end_s) (a point in time when end_s <= start_s)."""
        out = []
        for p in self.parts:
            if p.media != media:
                continue
            for chars, parties, starts, ends in p.spans():
                # Lines that start before the span ends (at or before a point in time)...
                i = (bisect.bisect_right(starts, start_s) if end_s <= start_s
                     else bisect.bisect_left(starts, end_s))
                # ... and of which one ends after the span starts.
                if i and ends[i - 1] > start_s:
                    out.append((chars, parties))
        return out

    def named(self) -> tuple[set[str], set[str]]:
        """Every character and every performer some label names."""
        chars: set[str] = set()
        parties: set[str] = set()
        for p in self.parts:
            for g in set(p.ids):
                chars.update(p.groups[g][1])
                parties.update(p.groups[g][2])
        return chars, parties


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
# unchanged one is not parsed twice in one process (curation, the web studio). Bounded. Kept
# as plain tuples, which the collector stops tracking (see `Lines`): cues (start ms, end ms,
# text) and labelled lines (start s, end s, line, label names, text without the label).
Labelled = tuple[tuple[float, float, str, tuple[str, ...], str], ...]
_CUES: dict[tuple[str, str | None], tuple[tuple[int, int], tuple[Any, ...], Labelled]] = {}
_CUES_MAX = 512


# Resolved lines of a parsed file, for one name index (by content), media and set of local
# entities: a work asked again in a later session (a web page, the re-check on every
# `generate`) does not resolve its subtitles again. Same bound, same stamp check.
_LINES: dict[tuple[Any, ...], Lines] = {}


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


def _read_stamped(entry: SubtitleEntry) -> tuple[tuple[Any, ...], Labelled, Any]:
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
        return tuple(cues), labelled, None
    rows = tuple((c.start_ms, c.end_ms, c.text) for c in cues)
    _remember(_CUES, k, (stamp, rows, labelled))
    return rows, labelled, (k, stamp)


def file_lines(entry: SubtitleEntry, index: NameIndex, media: str | None,
               local: set[tuple[str, str]]) -> Lines:
    _, labelled, read_as = _read_stamped(entry)
    if read_as is None:
        return resolve_lines((), index, media, local, labelled)
    k = (read_as, index.version(), media, frozenset(local))
    hit = _LINES.get(k)
    if hit is None:
        hit = resolve_lines((), index, media, local, labelled)
        _remember(_LINES, k, hit)
    return hit


def read_cues(entry: SubtitleEntry) -> list[Any]:
    """The cues of one subtitle entry (raises `SubtitleError` when it cannot be read)."""
    from clearreel.media.subtitles import Cue

    cues = _read_stamped(entry)[0]
    return [c if isinstance(c, Cue) else Cue(*c) for c in cues]


def label_lines(cues: Iterable[Any]) -> Labelled:
    """Every line of every cue with its label forms: (start s, end s, line, label names,
    the line without its label)."""
    out = []
    for cue in cues:
        s, e = cue.start_ms / 1000.0, cue.end_ms / 1000.0
        for raw in cue.lines:
            lab = label_candidates(raw)
            out.append((s, e, raw, lab.names, lab.text))
    return tuple(out)


def resolve_lines(cues: Iterable[Any], index: NameIndex, media: str | None,
                  local: Iterable[tuple[str, str]] | None = None,
                  labelled: Labelled | None = None) -> Lines:
    """Subtitle cues as `Lines` with their labels resolved (one per line of text); `local`:
    the work's own characters and parties, which a given name or surname alone may name."""
    local = set(local) if local is not None else None
    labelled = labelled if labelled is not None else label_lines(cues)
    groups: list[Group] = [NOBODY]
    gid: dict[Group, int] = {NOBODY: 0}
    # A film repeats the same few labels thousands of times: resolve each label's names once.
    memo: dict[tuple[str, ...], int] = {(): 0}

    def who(names: tuple[str, ...]) -> int:
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
        g = (tuple(speakers), tuple(dict.fromkeys(chars)), tuple(dict.fromkeys(parties)))
        if g not in gid:
            gid[g] = len(groups)
            groups.append(g)
        return gid[g]

    ids = []
    for row in labelled:
        names = row[3]
        i = memo.get(names)
        if i is None:
            i = memo[names] = who(names)
        ids.append(i)
    return Lines((_Part(labelled, ids, groups, media),))


__all__ = ["Line", "Lines", "SubtitleEntry", "file_lines", "label_lines", "read_cues",
           "resolve_lines",
           "subtitle_entries", "subtitle_stamps"]
