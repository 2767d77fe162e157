"""Shot lists in the editors' and PySceneDetect's formats, as a work's `scenes`.

Formats (chosen by `fmt` or the file's suffix):

- `edl` (`.edl`): CMX 3600 edit decision lists, read and written by OpenTimelineIO's
  `cmx_3600` adapter (package `otio-cmx3600-adapter`) at the work's rate;
- `otio` (`.otio`): OpenTimelineIO JSON (`otio_json`);
- `csv` (`.csv`): PySceneDetect's `list-scenes` CSV (`scenedetect.output.write_scene_list`:
  an optional cut-list row, then `Scene Number, Start Frame, ...`; `Start Frame` counts from
  1, `End Frame` is the last frame, so a scene is frames [Start Frame - 1, End Frame)).

Times are the **source** side of each event: where the shot lies in the work's media file
(an EDL's record side is a position in the edit, and OTIO's reader re-bases it to the first
event). `offset` (the media's own start timecode, e.g. 01:00:00:00 on a tape-style master) is
subtracted. A frame count becomes seconds at the work's rate: `fps` given, or the work's
`fps`, or the probed rate of its first media file.

Who is on screen: an EDL comment `* PERFORMERS: p-ava, p-jonah` / `* CHARACTERS: c-mara`;
an OTIO clip's `metadata["clearreel"]` `{"performers": [...], "characters": [...]}` (or the
same EDL comments carried in `metadata["cmx_3600"]["comments"]`); CSV columns `Performers`
and `Characters` (ids separated by `;`). `PERFORMERS: -` (or an empty list) says nobody is.
A shot that says nothing about its cast is **not** imported as "nobody": unknown presence
counts every credited performer present, so it is skipped (and reported) unless the import
gives a cast for such shots (`performers` / `characters`) or states `nobody=True`.

Imports go through the catalog importer (`import_catalog(document=...)`): merged by
(start, end) onto the work's scenes, validated whole, audited, nothing written on error.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import CatalogError, MissingDependency, NotFound, UsageError
from clearreel.util.timecode import format_ms, parse_seconds, rate

FORMATS = {".edl": "edl", ".otio": "otio", ".csv": "csv"}
_CAST = re.compile(r"^\s*(PERFORMERS|CHARACTERS)\s*:\s*(.*)$", re.I)


@dataclass
class Shot:
    """One shot: frames [start, end) of the media at `fps`; cast None when unstated."""

    start: int
    end: int
    where: str  # "event 3", "row 5": for messages
    performers: list[str] | None = None
    characters: list[str] | None = None
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _ids(text: str) -> list[str]:
    text = text.strip()
    if text in ("", "-"):
        return []
    return [t for t in re.split(r"[;,\s]+", text) if t]


def _otio() -> Any:
    try:
        import opentimelineio as otio
    except ImportError:
        raise MissingDependency("OpenTimelineIO is not installed: pip install opentimelineio "
                                "otio-cmx3600-adapter") from None
    return otio


def detect(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS.values():
            raise UsageError(f"unknown shot list format {fmt!r}: choose edl, otio or csv")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise UsageError(f"{path}: cannot tell the format from {path.suffix!r}: name the file "
                         ".edl, .otio or .csv, or pass --format edl|otio|csv") from None


# --- reading ----------------------------------------------------------------------------


def _cast_from_comments(comments: list[str], shot: Shot) -> None:
    for c in comments:
        if m := _CAST.match(c.lstrip("*").strip()):
            ids = _ids(m.group(2))
            if m.group(1).upper() == "PERFORMERS":
                shot.performers = ids
            else:
                shot.characters = ids


def _read_timeline(path: Path, fmt: str, fps: Fraction) -> list[Shot]:
    otio = _otio()
    try:
        if fmt == "edl":
            if "cmx_3600" not in otio.adapters.available_adapter_names():
                raise MissingDependency("reading EDLs needs OpenTimelineIO's CMX 3600 adapter: "
                                        "pip install otio-cmx3600-adapter")
            tl = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600",
                                              rate=float(fps))
        else:
            tl = otio.adapters.read_from_file(str(path), adapter_name="otio_json")
    except MissingDependency:
        raise
    except FileNotFoundError:
        raise UsageError(f"no shot list at {path}") from None
    except Exception as e:  # the adapters raise their own parse errors: at the boundary
        raise CatalogError([f"{path}:1: not a readable {fmt.upper()} file: {e}"]) from None
    tracks = list(tl.video_tracks()) if isinstance(tl, otio.schema.Timeline) else []
    if not tracks:
        raise CatalogError([f"{path}:1: no video track"])
    shots = []
    clips = [item for item in tracks[0] if isinstance(item, otio.schema.Clip)]
    for n, item in enumerate(clips, start=1):  # EDL events are numbered by clip, gaps aside
        sr = item.source_range or item.available_range()
        start = round(Fraction(sr.start_time.to_seconds()) * fps)
        end = start + round(Fraction(sr.duration.to_seconds()) * fps)
        where = f"event {n}" if fmt == "edl" else f"clip {n} ({item.name})"
        shot = Shot(start=start, end=end, where=where, name=item.name or "")
        meta = dict(item.metadata)
        _cast_from_comments(list(meta.get("cmx_3600", {}).get("comments", []) or []), shot)
        ours = meta.get("clearreel") or {}
        if "performers" in ours:
            shot.performers = [str(x) for x in ours["performers"]]
        if "characters" in ours:
            shot.characters = [str(x) for x in ours["characters"]]
        shots.append(shot)
    return shots


def _read_csv(path: Path, fps: Fraction) -> list[Shot]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no shot list at {path}") from None
    rows = list(csv.reader(io.StringIO(text)))
    # scenedetect writes the cut list first (with or without a "Timecode List:" label).
    head = next((i for i, r in enumerate(rows[:3]) if r and r[0].strip() == "Scene Number"), None)
    if head is None:
        raise CatalogError([f"{path}:1: not a PySceneDetect scene list: no `Scene Number, "
                            "Start Frame, ...` header in the first rows"])
    cols = {name.strip(): i for i, name in enumerate(rows[head])}
    problems, shots = [], []
    for line, row in enumerate(rows[head + 1:], start=head + 2):
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str | None:
            i = cols.get(name)
            return row[i].strip() if i is not None and i < len(row) and row[i].strip() else None

        try:
            if cell("Start Frame") is not None and cell("End Frame") is not None:
                start, end = int(cell("Start Frame") or 0) - 1, int(cell("End Frame") or 0)
            else:
                s = cell("Start Timecode") or cell("Start Time (seconds)")
                e = cell("End Timecode") or cell("End Time (seconds)")
                if s is None or e is None:
                    raise ValueError("no Start/End Frame or Timecode")
                start = round(Fraction(parse_seconds(s)) * fps)
                end = round(Fraction(parse_seconds(e)) * fps)
        except ValueError as e:
            problems.append(f"{path}:{line}: {e}")
            continue
        shot = Shot(start=start, end=end, where=f"row {line}", name=cell("Scene Number") or "")
        if "Performers" in cols:
            shot.performers = _ids(cell("Performers") or "")
        if "Characters" in cols:
            shot.characters = _ids(cell("Characters") or "")
        shots.append(shot)
    if problems:
        raise CatalogError(problems)
    return shots


def read_shots(path: Path, fps: Fraction, fmt: str | None = None) -> list[Shot]:
    """The shots of a shot list file, frames at `fps`."""
    fmt = detect(path, fmt)
    return _read_csv(path, fps) if fmt == "csv" else _read_timeline(path, fmt, fps)


# --- writing ----------------------------------------------------------------------------


def write_shots(shots: list[Shot], path: Path, fps: Fraction, fmt: str | None = None,
                title: str = "clearreel") -> None:
    """Write shots (frames at `fps`, sorted, not overlapping) to an EDL, OTIO or CSV file."""
    fmt = detect(path, fmt)
    if fmt == "csv":
        path.write_text(_csv_text(shots, fps), encoding="utf-8", newline="")
        return
    otio = _otio()
    from opentimelineio import opentime

    f = float(fps)
    track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    pos = 0
    # Gaps keep the record side equal to the source side, so the EDL reads as the media's
    # own timeline.
    for s in sorted(shots, key=lambda s: s.start):
        if s.start < pos:
            raise UsageError(f"shots overlap at frame {s.start}: export one media file's shots")
        if s.start > pos:
            track.append(otio.schema.Gap(source_range=opentime.TimeRange(
                opentime.RationalTime(0, f), opentime.RationalTime(s.start - pos, f))))
        clip = otio.schema.Clip(name=s.name, source_range=opentime.TimeRange(
            opentime.RationalTime(s.start, f), opentime.RationalTime(s.end - s.start, f)))
        clip.metadata["clearreel"] = {"performers": s.performers or [],
                                      "characters": s.characters or [], **s.extra}
        clip.metadata["cmx_3600"] = {"comments": [
            f"PERFORMERS: {', '.join(s.performers or []) or '-'}",
            f"CHARACTERS: {', '.join(s.characters or []) or '-'}"]}
        track.append(clip)
        pos = s.end
    tl = otio.schema.Timeline(name=title, tracks=[track])
    if fmt == "edl":
        otio.adapters.write_to_file(tl, str(path), adapter_name="cmx_3600", rate=f)
    else:
        otio.adapters.write_to_file(tl, str(path), adapter_name="otio_json")


def _csv_text(shots: list[Shot], fps: Fraction) -> str:
    """scenedetect's own `write_scene_list` output, with `Performers` and `Characters`
    appended to each row (its `load-scenes` reads only the column it is told to)."""
    from scenedetect import FrameTimecode
    from scenedetect.output import write_scene_list

    shots = sorted(shots, key=lambda s: s.start)
    buf = io.StringIO()
    write_scene_list(buf, [(FrameTimecode(s.start, fps=fps), FrameTimecode(s.end, fps=fps))
                           for s in shots], include_cut_list=False)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*rows[0], "Performers", "Characters"])
    for row, s in zip(rows[1:], shots, strict=True):
        w.writerow([*row, ";".join(s.performers or []) or "-", ";".join(s.characters or []) or "-"])
    return out.getvalue()


# --- import into the registry -----------------------------------------------------------


def _work_rate(session: Any, work: Any, fps: Any) -> Fraction:
    if fps is not None:
        return rate(fps)
    if work.fps:
        return rate(work.fps)
    for m in work.media:
        if (m.probe or {}).get("fps"):
            return rate(str(m.probe["fps"]))
    raise UsageError(f"the frame rate of work {work.id!r} is unknown: pass --fps (e.g. 24 or "
                     "23.976), or set `fps:` on the work in the catalog")


def import_scenes(settings: Settings, work_id: str, path: str | Path, *, fmt: str | None = None,
                  fps: Any = None, offset: str | None = None,
                  performers: list[str] | None = None, characters: list[str] | None = None,
                  nobody: bool = False, dry_run: bool = False,
                  on_clearance_change: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Add the shots of a shot list file to a work's scenes (see the module docstring);
    `on_clearance_change` as for `import_catalog`."""
    from sqlalchemy import select

    from clearreel.db import current_org, open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.models import Character, Party, Work

    path = Path(path)
    if nobody and (performers or characters):
        raise UsageError("--nobody says no one is on screen: drop --performers/--characters")
    with open_session(settings) as s:
        work = s.scalars(select(Work).where(Work.id == work_id)).first()
        if work is None:
            known = sorted(s.scalars(select(Work.id)))
            close = difflib.get_close_matches(work_id, known, n=1)
            raise NotFound(f"unknown work {work_id!r}" + (f": did you mean {close[0]!r}?"
                                                         if close else ""))
        r = _work_rate(s, work, fps)
        org = current_org(s)
        parties = set(s.scalars(select(Party.id)))
        chars = set(s.scalars(select(Character.id)))
    shots = read_shots(path, r, fmt)
    base = round(Fraction(parse_seconds(offset, r)) * r) if offset else 0
    problems: list[str] = []
    scenes, skipped = [], []
    for sh in shots:
        start, end = sh.start - base, sh.end - base
        at = f"{path}:{sh.where}"
        if start < 0:
            problems.append(f"{at}: starts before the media does (frame {start}): give the "
                            "media's start timecode with --offset, e.g. 01:00:00:00")
            continue
        if end <= start:
            problems.append(f"{at}: the shot is empty (ends at or before its start)")
            continue
        who, what = sh.performers, sh.characters
        if who is None and what is None:
            if nobody:
                who, what = [], []
            elif performers is not None or characters is not None:
                who, what = list(performers or []), list(characters or [])
            else:
                skipped.append({"where": sh.where, "start": format_ms(float(start / r)),
                                "end": format_ms(float(end / r)),
                                "reason": "no cast stated (unknown presence counts every "
                                          "credited performer): not imported"})
                continue
        for kind, ids, known in (("performer", who or [], parties),
                                 ("character", what or [], chars)):
            for i in ids:
                if i not in known:
                    close = difflib.get_close_matches(i, sorted(known), n=1)
                    problems.append(f"{at}: unknown {kind} {i!r}"
                                    + (f": did you mean {close[0]!r}?" if close else ""))
        scenes.append({"start": format_ms(float(start / r)), "end": format_ms(float(end / r)),
                       "performers": list(who or []), "characters": list(what or []),
                       "notes": f"{detect(path, fmt)} {sh.where}" + (f": {sh.name}"
                                                                      if sh.name else "")})
    if problems:
        raise CatalogError(problems)
    if not scenes:
        summary: dict[str, Any] = {"work": work_id, "scenes": 0, "skipped": skipped,
                                   "dry_run": dry_run}
        return summary
    doc = {"organization": {"id": org}, "works": [{"id": work_id, "scenes": scenes}]}
    result = import_catalog(settings, path, scan=False, dry_run=dry_run, document=doc,
                            action="catalog.scenes.import",
                            on_clearance_change=on_clearance_change)
    return {"work": work_id, "fps": str(r), "scenes": len(scenes), "skipped": skipped,
            "dry_run": dry_run, "changes": result.get("changes", []),
            "updated": result.get("updated", {}), "created": result.get("created", {})}


__all__ = ["FORMATS", "Shot", "detect", "import_scenes", "read_shots", "write_shots"]
