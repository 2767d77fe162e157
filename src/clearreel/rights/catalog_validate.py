"""Validating a read catalog document, whole, before anything is written: SMPTE scene times
converted at the work's rate, local paths confined to the catalog's folder or a media root,
structure and types by the schema (`catalog_schema`), then cross-references, dates and ids,
then the presence files (a scene's media, readable subtitles). Every problem is reported as
`file:line: message` (`catalog_read`), all of them at once in one `CatalogError`.

`load_catalog` validates a file on its own; `import_catalog` (`catalog`) validates it merged
onto the registry instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clearreel.errors import CatalogError
from clearreel.rights import catalog_limits as limits
from clearreel.rights.catalog_read import (
    Loc,
    _indexed,
    _loc_text,
    _pydantic_problems,
    _read,
    _Reader,
)
from clearreel.rights.catalog_schema import Catalog, _fps
from clearreel.rights.vocab import WORLD
from clearreel.util.uri import is_remote

# --------------------------------------------------------------------------------------
# SMPTE scene times

def _smpte_scenes(doc: dict[str, Any], r: _Reader) -> None:
    """Convert SMPTE `HH:MM:SS:FF` scene times to seconds at the work's `fps`, in place (the
    merge keys scenes by time, so this happens before it)."""
    from clearreel.util.timecode import TimecodeError, is_smpte, parse_seconds

    works = doc.get("works")
    for i, w in enumerate(works if isinstance(works, list) else []):
        if not isinstance(w, dict) or not isinstance(w.get("scenes"), list):
            continue
        fps = w.get("fps")
        for j, sc in enumerate(w["scenes"]):
            for key in ("start", "end"):
                v = sc.get(key) if isinstance(sc, dict) else None
                if not is_smpte(v):
                    continue
                try:
                    sc[key] = parse_seconds(v, _fps(fps))
                except (TimecodeError, ValueError) as e:
                    r.problems.append(f"{r.file}:{r.line(('works', i, 'scenes', j, key))}: "
                                      f"works[{i}].scenes[{j}].{key}: {e}")
                    sc[key] = 0.0


# --------------------------------------------------------------------------------------
# Cross-reference and date checks


def _check_refs(c: Catalog, r: _Reader,
                known: dict[str, set[str]] | None = None) -> list[str]:
    """Cross-references and dates; `known` holds the ids already in the registry (by
    collection), which the file's entities may reference without restating them."""
    problems: list[str] = []
    known = known or {}
    f = r.file

    def at(*loc: str | int) -> str:
        return f"{f}:{r.line(loc)}"

    ids: dict[str, tuple[str, Loc]] = {}
    for coll in ("parties", "works", "characters", "licenses", "consents"):
        for i, item in enumerate(getattr(c, coll)):
            if item.id in ids:
                other, oloc = ids[item.id]
                problems.append(f"{at(coll, i, 'id')}: duplicate id {item.id!r} "
                                f"(already used by {other} at line {r.line(oloc)})")
            else:
                ids[item.id] = (coll[:-1] if coll != "parties" else "party", (coll, i, "id"))
    parties = {p.id for p in c.parties} | known.get("parties", set())
    works = {w.id for w in c.works} | known.get("works", set())
    characters = {ch.id for ch in c.characters} | known.get("characters", set())

    def need(kind: str, known: set[str], value: str | None, *loc: str | int) -> None:
        if value is not None and value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f": did you mean {close[0]!r}?" if close else f"; define it under `{kind}`"
            problems.append(f"{at(*loc)}: unknown {kind[:-1] if kind != 'parties' else 'party'} "
                            f"{value!r}{hint}")

    for i, w in enumerate(c.works):
        for j, p in enumerate(w.participations):
            need("parties", parties, p.party, "works", i, "participations", j, "party")
            need("characters", characters, p.character,
                 "works", i, "participations", j, "character")
        for j, s in enumerate(w.scenes):
            if s.end <= s.start:
                problems.append(f"{at('works', i, 'scenes', j, 'end')}: scene ends at {s.end:g}s, "
                                f"not after its start {s.start:g}s")
            for n, pid in enumerate(s.performers):
                need("parties", parties, pid, "works", i, "scenes", j, "performers", n)
            for n, cid in enumerate(s.characters):
                need("characters", characters, cid, "works", i, "scenes", j, "characters", n)
        for key in ("media", "subtitles"):
            seen: set[str] = set()
            for j, m in enumerate(x if isinstance(x, str) else x.path for x in getattr(w, key)):
                if not m:
                    problems.append(f"{at('works', i, key, j)}: empty path")
                if m in seen:
                    problems.append(f"{at('works', i, key, j)}: {m!r} is listed twice")
                seen.add(m)
    eidrs: dict[str, int] = {}
    for i, w in enumerate(c.works):
        if w.eidr is not None and eidrs.setdefault(w.eidr, i) != i:
            problems.append(f"{at('works', i, 'eidr')}: EIDR {w.eidr} is also the id of work "
                            f"{c.works[eidrs[w.eidr]].id!r}: one id names one work")
    for i, ch in enumerate(c.characters):
        need("parties", parties, ch.owner, "characters", i, "owner")
        need("parties", parties, ch.performer, "characters", i, "performer")
    for i, lic in enumerate(c.licenses):
        need("parties", parties, lic.licensor, "licenses", i, "licensor")
        if lic.licensee != c.organization.id and lic.licensee not in parties:
            problems.append(f"{at('licenses', i, 'licensee')}: unknown licensee {lic.licensee!r}: "
                            f"expected the organization {c.organization.id!r} or a party id")
        for j, wid in enumerate(lic.works or []):
            need("works", works, wid, "licenses", i, "works", j)
        if lic.end is not None and lic.end < lic.start:
            problems.append(f"{at('licenses', i, 'end')}: licence ends ({lic.end}) before it "
                            f"starts ({lic.start})")
        if WORLD in lic.exclude_territories:
            problems.append(f"{at('licenses', i, 'exclude_territories')}: excluding WORLD leaves "
                            "no territory; remove the licence or the exclusion")
    for i, k in enumerate(c.consents):
        need("parties", parties, k.party, "consents", i, "party")
        for j, wid in enumerate(k.works or []):
            need("works", works, wid, "consents", i, "works", j)
        if k.expires is not None and k.expires <= k.signed:
            problems.append(f"{at('consents', i, 'expires')}: consent expires ({k.expires}) "
                            f"on or before it was signed ({k.signed})")
        if k.status == "revoked" and k.revoked is None:
            problems.append(f"{at('consents', i, 'status')}: status is revoked but no `revoked` "
                            "date is given; add `revoked: YYYY-MM-DD` (the day it stopped)")
        if k.status != "revoked" and k.revoked is not None:
            problems.append(f"{at('consents', i, 'revoked')}: a `revoked` date on a consent "
                            f"whose status is {k.status!r}; set `status: revoked` or remove it")
        if k.revoked is not None and k.revoked < k.signed:
            problems.append(f"{at('consents', i, 'revoked')}: revoked ({k.revoked}) before it "
                            f"was signed ({k.signed})")
    return problems


# --------------------------------------------------------------------------------------
# Public: load


def _resolve(p: str, base: Path) -> str:
    """Paths relative to the catalog file (symlinks resolved); absolute paths and URLs kept."""
    if "://" in p or Path(p).is_absolute():
        return p
    return str((base / p).resolve())


def _confine(doc: dict[str, Any], r: _Reader, base: Path) -> list[str]:
    """The file's local media, subtitle, scene and reference paths must lie in the catalog's
    folder or a configured media root (`CLEARREEL_MEDIA_ROOTS`), after symlinks are resolved:
    `../`, an absolute path elsewhere on the server, or a link into another studio's media
    are refused (see catalog_limits). Checked on what the file states, before merging."""
    problems = []
    allowed = [base, *limits.media_roots()]

    def check(value: Any, *loc: str | int) -> None:
        why = limits.outside_roots(value, base, allowed) if isinstance(value, str) else None
        if why:
            problems.append(f"{r.file}:{r.line(loc)}: {_loc_text(loc)}: {why}")

    for i, w in _indexed(doc, "works"):
        for key in ("media", "subtitles"):
            for j, value in enumerate(w.get(key) or [] if isinstance(w.get(key), list) else []):
                check(value, "works", i, key, j)
        for j, sc in enumerate(w.get("scenes") or [] if isinstance(w.get("scenes"), list) else []):
            if isinstance(sc, dict) and sc.get("media"):
                check(sc["media"], "works", i, "scenes", j, "media")
    for i, p in _indexed(doc, "parties"):
        refs = p.get("references")
        for j, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, dict):
                check(ref.get("path"), "parties", i, "references", j, "path")
            else:
                check(ref, "parties", i, "references", j)
    return problems


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file; raise `CatalogError` listing every problem.

    Media, subtitle and reference paths in the result are resolved against the file's folder.
    The file is validated on its own (every reference defined in it); `import_catalog`
    validates it merged onto the registry instead.
    """
    path = Path(path)
    doc, r = _read(path)
    return _validate(doc, r, path)


def _validate(doc: Any, r: _Reader, path: Path,
              merge: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, set[str]]]]
              | None = None) -> Catalog:
    """Validate a read document; `merge(doc) -> (merged doc, known registry ids)` first
    merges it onto the registry (see `_merge`)."""
    from clearreel.rights._merge import resolve_paths

    problems = list(r.problems)
    if not isinstance(doc, dict):
        raise CatalogError([f"{r.file}:1: a catalog is a mapping with `organization`, `parties`, "
                            f"`works`, ... at the top, not a {type(doc).__name__}"])
    confined = _confine(doc, r, path.resolve().parent)
    if confined:
        raise CatalogError(problems + confined)
    resolve_paths(doc, path.resolve().parent)
    _smpte_scenes(doc, r)
    problems = list(r.problems)
    known: dict[str, set[str]] = {}
    if merge is not None:
        doc, known = merge(doc)
    try:
        cat = Catalog.model_validate(doc)
    except ValidationError as e:
        problems += _pydantic_problems(e, r, doc)
        raise CatalogError(problems) from None
    problems += _check_refs(cat, r, known)
    if problems:
        raise CatalogError(problems)
    problems += _check_presence_files(cat, r)
    if problems:
        raise CatalogError(problems)
    return cat


def _check_presence_files(c: Catalog, r: _Reader) -> list[str]:
    """A scene's or subtitle's `media` must be one of the work's media; every local subtitle
    file must be readable (an unreadable one is an import error, never a silent skip)."""
    from clearreel.media.subtitles import SubtitleError
    from clearreel.rights.presence import SubtitleEntry, read_cues

    problems: list[str] = []
    for i, w in enumerate(c.works):
        for key, items in (("scenes", w.scenes), ("subtitles", w.subtitles)):
            for j, item in enumerate(items):
                if item.media and item.media not in w.media:
                    problems.append(f"{r.file}:{r.line(('works', i, key, j, 'media'))}: "
                                    f"works[{i}].{key}[{j}].media: {item.media!r} is not one "
                                    f"of the work's media ({', '.join(w.media) or 'none'})")
        for j, sub in enumerate(w.subtitles):
            if is_remote(sub.path):
                continue  # remote: read when fetched
            try:
                read_cues(SubtitleEntry(sub.path, sub.encoding, sub.media))
            except SubtitleError as e:
                problems.append(f"{r.file}:{r.line(('works', i, 'subtitles', j))}: "
                                f"works[{i}].subtitles[{j}]: {e}")
    return problems



__all__ = ["load_catalog"]
