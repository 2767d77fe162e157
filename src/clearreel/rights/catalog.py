"""The catalog file (ARCHITECTURE.md, "Catalog file (contract)"): load, validate, import, export.

A catalog is YAML or JSON. It is validated whole before anything is written: structure and
types by the pydantic models below (unknown keys are errors), then cross-references, dates
and ids. Every problem is reported as `file:line: message`, the line taken from the YAML
node marks (JSON is read by the same composer, so JSON files get line numbers too).

A valid catalog is upserted by id in one transaction: rows that exist are updated only
where they differ, so importing the same file twice changes nothing. Nothing is deleted:
an id missing from the file is left as it is.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.config import Settings
from clearreel.errors import CatalogError, UsageError
from clearreel.rights import catalog_limits as limits
from clearreel.rights.models import (
    Character,
    Consent,
    Grant,
    License,
    MediaAsset,
    Organization,
    Participation,
    Party,
    Reservation,
    Scene,
    Work,
)
from clearreel.rights.vocab import WORLD, is_territory, territory_hint
from clearreel.util.uri import file_path

# --------------------------------------------------------------------------------------
# Field types


def _iso_date(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(v, dt.date) or v is None:
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError as e:
            raise ValueError(f"{v!r} is not a valid ISO 8601 date ({e}); "
                             "write YYYY-MM-DD") from None
    raise ValueError(f"expected an ISO 8601 date (YYYY-MM-DD), got {type(v).__name__} {v!r}")


def _territory(world: bool) -> Any:
    def check(v: str) -> str:
        if is_territory(v, world=world):
            return v
        hint = ""
        if is_territory(v.upper(), world=world):
            hint = f" (write it in upper case: {v.upper()!r})"
        elif v.upper() in ("UK",):
            hint = " (the ISO code of the United Kingdom is 'GB')"
        elif (code := territory_hint(v)) is not None:
            hint = f" (did you mean {code!r}?)"
        allowed = "an ISO 3166-1 alpha-2 code" + (" or WORLD" if world else "")
        raise ValueError(f"unknown territory {v!r}: expected {allowed}{hint}")

    return check


def _all_or_ids(v: Any) -> Any:
    if v is None or v == "all":
        return None
    if isinstance(v, list):
        return v
    raise ValueError(f"expected `all` or a list of ids, got {v!r}")


def _seconds(v: Any) -> Any:
    """A scene time: seconds (YAML reads an unquoted 00:00:04.5 as sexagesimal 4.5 seconds),
    `HH:MM:SS.mmm` / `MM:SS.mmm` / `SS.mmm`; SMPTE `HH:MM:SS:FF` is converted with the work's
    `fps` before validation (`_smpte_scenes`). One parser: `clearreel.util.timecode`."""
    from clearreel.util.timecode import parse_seconds

    return parse_seconds(v)


def _eidr(v: Any) -> Any:
    from clearreel.rights.eidr import parse

    return None if v is None else parse(str(v))


def _fps(v: Any) -> Any:
    from clearreel.util.timecode import rate

    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise ValueError(f"expected a frame rate such as 24, 23.976 or 24000/1001, got {v!r}")
    try:
        r = rate(v)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{v!r} is not a frame rate: write 24, 23.976 or 24000/1001") from None
    return str(r)


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


Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$")]
Date = Annotated[dt.date, BeforeValidator(_iso_date)]
OptDate = Annotated[dt.date | None, BeforeValidator(_iso_date)]
Territory = Annotated[str, AfterValidator(_territory(world=True))]
Country = Annotated[str, AfterValidator(_territory(world=False))]
Scope = Annotated[list[Id] | None, BeforeValidator(_all_or_ids)]
Seconds = Annotated[float, BeforeValidator(_seconds)]
Eidr = Annotated[str | None, BeforeValidator(_eidr)]
Fps = Annotated[str | None, BeforeValidator(_fps)]
Use = Literal["ai_training", "ai_generative_training", "ai_inference", "data_mining",
              "character_generation", "digital_replica", "sublicensing"]
UseValue = Literal["allowed", "notAllowed", "constrained"]

_AUDIO = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".opus")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


class OrganizationSpec(_Model):
    id: Id
    name: str = Field(min_length=1)
    # The organization's home territory: the default territory of every clearance question.
    home_territory: Country | None = None


class Reference(_Model):
    """A face photo or voice sample used to recognise a performer in footage."""

    kind: Literal["face", "voice"]
    path: str = Field(min_length=1)


def _reference(v: Any) -> Any:
    if isinstance(v, str):
        return {"kind": "voice" if v.lower().endswith(_AUDIO) else "face", "path": v}
    return v


class PartySpec(_Model):
    id: Id
    name: str = Field(min_length=1)
    kind: Literal["company", "person"]
    references: list[Annotated[Reference, BeforeValidator(_reference)]] = []
    # Other names the party goes by: speaker labels and the prompt guard match them too.
    aliases: list[str] = []


class ParticipationSpec(_Model):
    party: Id
    role: Literal["studio", "rights_holder", "director", "writer", "performer", "composer",
                  "producer"]
    character: Id | None = None
    points: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=4)


class SceneSpec(_Model):
    start: Seconds
    end: Seconds
    performers: list[Id] = []
    characters: list[Id] = []
    notes: str | None = None
    # The media file the scene applies to (one of the work's `media`); default: the first.
    media: str | None = None


class SubtitleSpec(_Model):
    """A subtitle file: a bare path, or a mapping naming its encoding and media file."""

    path: str = Field(min_length=1)
    encoding: str | None = None  # e.g. cp1251, latin-1; default: BOM, else UTF-8
    media: str | None = None  # the media file it belongs to (default: the work's first)

    def stored(self) -> str | dict[str, str]:
        """The registry's form: the path alone when nothing else is declared."""
        extra = {k: v for k, v in (("encoding", self.encoding), ("media", self.media)) if v}
        return {"path": self.path, **extra} if extra else self.path


def _subtitle(v: Any) -> Any:
    return {"path": v} if isinstance(v, str) else v


class WorkSpec(_Model):
    id: Id
    title: str = Field(min_length=1)
    kind: Literal["film", "episode", "short", "trailer", "other"]
    year: int | None = Field(default=None, ge=1870, le=2200)
    # EIDR content id (title or edit level), validated with its check character.
    eidr: Eidr = None
    # The rate SMPTE `HH:MM:SS:FF` timecodes of this work count in (24, 23.976, 24000/1001).
    fps: Fps = None
    media: list[str] = []
    subtitles: list[Annotated[SubtitleSpec, BeforeValidator(_subtitle)]] = []
    participations: list[ParticipationSpec] = []
    scenes: list[SceneSpec] = []


class CharacterSpec(_Model):
    id: Id
    name: str = Field(min_length=1)
    owner: Id
    performer: Id | None = None
    # Other names the character goes by (speaker labels in subtitles match name or alias).
    aliases: list[str] = []


class LicenseSpec(_Model):
    id: Id
    licensor: Id
    licensee: Id
    works: Scope
    uses: dict[Use, UseValue] = Field(min_length=1)
    territories: list[Territory] = Field(min_length=1)
    exclude_territories: list[Territory] = []
    start: Date
    end: OptDate = None
    # Exclusivity as a licence states it (EMA Avails `Exclusive`); None: not stated.
    exclusive: bool | None = None


class ConsentSpec(_Model):
    id: Id
    party: Id
    kind: Literal["training", "digital_replica", "likeness", "voice"]
    status: Literal["granted", "refused", "revoked"]
    # A scope list that is absent covers everything (contract rule 4).
    works: Scope = None
    projects: list[str] | None = None
    purposes: list[str] | None = None
    description: str = ""
    signed: Date
    expires: OptDate = None
    revoked: OptDate = None
    evidence: str | None = None


class Catalog(_Model):
    organization: OrganizationSpec
    parties: list[PartySpec] = []
    works: list[WorkSpec] = []
    characters: list[CharacterSpec] = []
    licenses: list[LicenseSpec] = []
    consents: list[ConsentSpec] = []


# --------------------------------------------------------------------------------------
# Reading with line numbers

Loc = tuple[str | int, ...]
# libyaml's composer (about 10x faster) keeps node marks too; pure Python when it is absent.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Reader:
    """Builds plain Python values from YAML nodes, remembering the line of every path."""

    def __init__(self, file: str, budget: int = limits.expansion_budget(0)):
        self.file = file
        self.lines: dict[Loc, int] = {}
        self.problems: list[str] = []
        self._scalar = yaml.constructor.SafeConstructor()
        self._budget = self._budget_total = budget  # values left to build (aliases expand)
        self._open: set[int] = set()  # the collections being built (an alias to one recurses)

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        self._budget -= 1
        if self._budget < 0:
            raise limits.too_large(self.file, node.start_mark.line + 1, self._budget_total)
        if isinstance(node, yaml.CollectionNode):
            if id(node) in self._open:
                raise limits.recursive(self.file, node.start_mark.line + 1)
            self._open.add(id(node))
            try:
                return self._collection(node, loc)
            finally:
                self._open.discard(id(node))
        return self._scalar_value(node)

    def _collection(self, node: yaml.CollectionNode, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            seen: dict[Any, int] = {}
            for k, v in node.value:
                key = self.value(k, (*loc, "\0key"))
                line = k.start_mark.line + 1
                if not isinstance(key, str | int) or isinstance(key, bool):
                    self.problems.append(f"{self.file}:{line}: a key must be a string, got {key!r}")
                    continue
                key = str(key)
                if key in seen:
                    self.problems.append(f"{self.file}:{line}: duplicate key {key!r} "
                                         f"(first at line {seen[key]})")
                    continue
                seen[key] = line
                self.lines[(*loc, key)] = line
                out[key] = self.value(v, (*loc, key))
                self.lines[(*loc, key)] = line
            return out
        return [self.value(v, (*loc, i)) for i, v in enumerate(node.value)]

    def _scalar_value(self, node: yaml.Node) -> Any:
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # validated (with a good message) as a date by the models
        try:
            return self._scalar.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as e:
            self.problems.append(f"{self.file}:{node.start_mark.line + 1}: {e}")
            return node.value

    def line(self, loc: Iterable[str | int]) -> int:
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return 1


def _read(path: Path) -> tuple[Any, _Reader]:
    file = str(path)
    try:
        limits.check_size(file, path.stat().st_size)
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no catalog file at {path}") from None
    except UnicodeDecodeError as e:
        raise CatalogError([f"{file}:1: not UTF-8 text ({e.reason} at byte {e.start})"]) from None
    is_json = path.suffix.lower() == ".json"
    if is_json:
        # Valid JSON has tabs only as whitespace between tokens; YAML's flow style does not
        # accept them there, and a space is the same whitespace to JSON.
        text = text.replace("\t", " ")
    # Depth first (json.loads and the composer recurse), from the parser's flat event stream.
    nodes = limits.check_structure(file, text, _LOADER)
    r = _Reader(file, limits.expansion_budget(nodes))
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise CatalogError([f"{file}:{e.lineno}: invalid JSON: {e.msg} "
                                f"(column {e.colno})"]) from None
        except RecursionError:
            raise limits.too_deep(file, 1) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise CatalogError([f"{file}:{line}: invalid YAML: {e.problem or e.context}"]) from None
    except yaml.YAMLError as e:
        raise CatalogError([f"{file}:1: invalid YAML: {e}"]) from None
    if node is None:
        raise CatalogError([f"{file}:1: the catalog is empty: it needs at least `organization`"])
    return r.value(node, ()), r


def _loc_text(loc: Loc) -> str:
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


_FIELDS: dict[str, list[str]] = {}


def _pydantic_problems(e: ValidationError, r: _Reader, doc: Any) -> list[str]:
    out = []
    for err in e.errors(include_url=False):
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(
            ("function-", "literal[", "list[", "nullable[", "[key]"))))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        typ = err["type"]
        if typ == "extra_forbidden":
            model_fields = _known_fields(err["loc"][:-1], doc)
            close = difflib.get_close_matches(str(loc[-1]), model_fields, n=1)
            msg = f"unknown field {loc[-1]!r}" + (f": did you mean {close[0]!r}?" if close else
                                                  f"; known fields: {', '.join(model_fields)}")
        elif typ == "missing":
            msg = f"missing required field {loc[-1]!r}"
        elif "[key]" in err["loc"]:
            msg = f"unknown key {err['input']!r}: {msg}"
        elif typ in ("literal_error", "enum") or ("input" in err and typ.endswith("_type")):
            msg = f"{msg} (got {err['input']!r})"
        out.append(f"{r.file}:{r.line(loc)}: {_loc_text(loc)}: {msg}")
    return out


def _known_fields(loc: tuple[Any, ...], doc: Any) -> list[str]:
    """The fields of the model at `loc` (for "did you mean" hints)."""
    model: type[BaseModel] = Catalog
    for p in loc:
        if isinstance(p, int):
            continue
        ann = model.model_fields[p].annotation if p in model.model_fields else None
        inner = getattr(ann, "__args__", (ann,))
        nxt = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nxt is None:
            return []
        model = nxt
    return list(model.model_fields)


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


def _indexed(doc: dict[str, Any], coll: str) -> list[tuple[int, dict[str, Any]]]:
    v = doc.get(coll)
    return [(i, x) for i, x in enumerate(v) if isinstance(x, dict)] if isinstance(v, list) else []


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
            if "://" in sub.path and not sub.path.startswith("file://"):
                continue  # remote: read when fetched
            try:
                read_cues(SubtitleEntry(sub.path, sub.encoding, sub.media))
            except SubtitleError as e:
                problems.append(f"{r.file}:{r.line(('works', i, 'subtitles', j))}: "
                                f"works[{i}].subtitles[{j}]: {e}")
    return problems


# --------------------------------------------------------------------------------------
# Public: import (upsert)


class _Counter:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.unchanged = 0

    def count(self, kind: str, created: bool, changed: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1
        elif changed:
            self.updated[kind] = self.updated.get(kind, 0) + 1
        else:
            self.unchanged += 1


def _assign(obj: Any, **fields: Any) -> bool:
    """Set only the fields that differ; True when something changed."""
    changed = False
    for k, v in fields.items():
        if getattr(obj, k) != v:
            setattr(obj, k, v)
            changed = True
    return changed


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def import_catalog(settings: Settings, path: str | Path, *, scan: bool = True,
                   dry_run: bool = False, document: dict[str, Any] | None = None,
                   action: str = "catalog.import") -> dict[str, Any]:
    """Validate the file merged onto the registry, then upsert it in one transaction.

    A file changes what it states and nothing else (see `_merge`): omitted fields keep their
    value, children are merged by key, nothing is removed; its entities may reference ones
    already in the registry. A catalog only writes the organization it is imported into
    (`db.orgs.import_target`): `settings.org` when set (which the catalog must declare), else
    the workspace's only organization; a new organization needs `--org` naming it once the
    workspace holds another. `scan` reads machine-readable reservations
    (IPTC, CAWG/C2PA, TDMRep) from local media files and records them. `dry_run` computes the
    same result and writes nothing. Returns a summary of what changed, with `changes`: per
    entity and field, the old and the new value.
    """
    from clearreel.db import check_schema, connect, open_session
    from clearreel.db.orgs import import_target, workspace_id
    from clearreel.rights import _merge, audit

    path = Path(path)
    # `document`: a catalog-shaped document that an importer of another format (shot lists,
    # EMA Avails) built from the file at `path`, validated and written the same way.
    doc, r = _read(path) if document is None else (document, _Reader(str(path)))
    org_doc = doc.get("organization") if isinstance(doc, dict) else None
    org_id = org_doc.get("id") if isinstance(org_doc, dict) else None
    if not isinstance(org_id, str) or not org_id:
        _validate(doc, r, path)  # raises, with the file's problems
        raise CatalogError([f"{r.file}:1: missing required field 'organization'"])
    engine = connect(settings)
    check_schema(engine)
    import_target(settings, engine, org_id)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    n = _Counter()
    warnings: list[str] = []
    with open_session(settings, org=org_id, any_org=True) as s:
        org = s.get(Organization, org_id)
        before: dict[str, dict[str, dict[str, Any]]] = {}

        def merge(d: dict[str, Any]) -> tuple[dict[str, Any], dict[str, set[str]]]:
            before.update(_registry_docs(s, _merge.stated_ids(d)))
            old_org = None if org is None else _drop_none(
                {"id": org.id, "name": org.name, "home_territory": org.home_territory})
            return _merge.merge_document(d, before, old_org), _known_ids(s)

        cat = _validate(doc, r, path, merge)
        embedded = _check_face_references(s, cat, doc, r)  # CatalogError: nothing written
        if org is None:
            org = Organization(id=org_id, name=cat.organization.name,
                               home_territory=cat.organization.home_territory,
                               workspace=workspace_id(settings))
            s.add(org)
            s.flush()
            n.count("organizations", True, False)
        else:
            n.count("organizations", False, _assign(org, name=cat.organization.name,
                                                    home_territory=cat.organization.home_territory))
        _upsert(s, cat, n)
        s.flush()
        from clearreel.rights.likeness import store_references

        references = store_references(s, embedded, [p.id for p in cat.parties])
        changes = _merge.diff(before, _registry_docs(s, _merge.stated_ids(doc)))
        reservations = 0
        if scan and not dry_run:
            reservations, warnings = scan_reservations(s, [w.id for w in cat.works])
        summary = {
            "organization": org_id, "file": str(path.resolve()), "sha256": sha,
            "dry_run": dry_run,
            "created": n.created, "updated": n.updated, "unchanged": n.unchanged,
            "counts": {"parties": len(cat.parties), "works": len(cat.works),
                       "characters": len(cat.characters), "licenses": len(cat.licenses),
                       "consents": len(cat.consents)},
            "changes": changes, "reservations": reservations, "warnings": warnings,
            "references": references,
        }
        if dry_run:
            s.rollback()
            return summary
        audit.record(s, action, str(path.resolve()), sha256=sha, created=n.created,
                     updated=n.updated, reservations=reservations,
                     changes=[{k: c[k] for k in ("entity", "id", "field")} for c in changes][:500])
        _after_import(s, changes)
    if not dry_run:
        from clearreel.provenance.keys import ensure_org_keys

        ensure_org_keys(settings, org_id, cat.organization.name)  # its own key and CA, once
    return summary


def _check_face_references(s: Session, cat: Catalog, doc: Any, r: _Reader) -> list[Any]:
    """Every face reference of the file's parties shows exactly one face (else a catalog
    error naming the photo); new or changed photos are embedded here, once
    (`clearreel.rights.likeness`)."""
    from clearreel.rights.likeness import check_references

    stated = {p.get("id"): i for i, p in _indexed(doc, "parties")}

    def where(pid: str) -> Callable[[int], str]:
        i = stated.get(pid)
        return lambda j: (f"{r.file}:{r.line(('parties', i, 'references', j))}: "
                          f"parties[{i}].references[{j}]" if i is not None
                          else f"{r.file}: party {pid} references[{j}]")

    todo = [(p.id, [x.model_dump() for x in p.references], where(p.id))
            for p in cat.parties if p.references]
    embedded, problems = check_references(s, todo)
    if problems:
        raise CatalogError(problems)
    return embedded


def _after_import(s: Session, changes: list[dict[str, Any]]) -> None:
    """A change to what clears training (a consent, a licence, a work's presence facts) may
    suspend models trained before it: record it now (see `clearreel.train.suspension`)."""
    if not any(c["entity"] in ("consent", "license", "work", "character") and c["field"]
               for c in changes):
        return
    from clearreel.train.suspension import refresh

    refresh(s, cause="catalog.import")


def _registry_docs(s: Session, ids: dict[str, list[str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The registry's state of the named entities, in catalog shape (the export's)."""
    from sqlalchemy.orm import selectinload

    models = {"parties": (Party, _party_doc), "works": (Work, _work_doc),
              "characters": (Character, _character_doc), "licenses": (License, _license_doc),
              "consents": (Consent, _consent_doc)}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for coll, (model, to_doc) in models.items():
        want = sorted(set(ids.get(coll, [])))
        out[coll] = {}
        for k in range(0, len(want), 500):
            q = select(model).where(model.id.in_(want[k:k + 500]))
            if model is Work:
                q = q.options(selectinload(Work.media), selectinload(Work.participations),
                              selectinload(Work.scenes))
            elif model is License:
                q = q.options(selectinload(License.grants))
            for o in s.scalars(q):
                out[coll][o.id] = to_doc(o)
    return out


def _known_ids(s: Session) -> dict[str, set[str]]:
    return {"parties": set(s.scalars(select(Party.id))),
            "works": set(s.scalars(select(Work.id))),
            "characters": set(s.scalars(select(Character.id)))}


def _by_id(s: Session, model: Any) -> dict[str, Any]:
    from sqlalchemy.orm import selectinload

    q = select(model)
    if model is Work:  # compared child by child: load them in 3 queries, not 3 per work
        q = q.options(selectinload(Work.media), selectinload(Work.participations),
                      selectinload(Work.scenes))
    elif model is License:
        q = q.options(selectinload(License.grants))
    return {o.id: o for o in s.scalars(q)}


def _upsert(s: Session, cat: Catalog, n: _Counter) -> None:
    parties = _by_id(s, Party)
    for p in cat.parties:
        refs = [r.model_dump() for r in p.references]
        obj = parties.get(p.id)
        if obj is None:
            s.add(Party(id=p.id, name=p.name, kind=p.kind, references=refs,
                        aliases=list(p.aliases)))
            n.count("parties", True, False)
        else:
            n.count("parties", False, _assign(obj, name=p.name, kind=p.kind, references=refs,
                                              aliases=list(p.aliases)))

    works = _by_id(s, Work)
    for w in cat.works:
        obj = works.get(w.id)
        created = obj is None
        if obj is None:
            obj = Work(id=w.id, title=w.title, kind=w.kind, year=w.year,
                       subtitles=[x.stored() for x in w.subtitles], eidr=w.eidr,
                       fps=w.fps)
            s.add(obj)
            changed = False
        else:
            changed = _assign(obj, title=w.title, kind=w.kind, year=w.year,
                              subtitles=[x.stored() for x in w.subtitles], eidr=w.eidr,
                              fps=w.fps)
        changed |= _sync_work_children(obj, w)
        n.count("works", created, changed)

    chars = _by_id(s, Character)
    fields: dict[str, Any]
    for ch in cat.characters:
        fields = {"name": ch.name, "owner_id": ch.owner, "performer_id": ch.performer,
                  "aliases": list(ch.aliases)}
        obj = chars.get(ch.id)
        if obj is None:
            s.add(Character(id=ch.id, **fields))
            n.count("characters", True, False)
        else:
            n.count("characters", False, _assign(obj, **fields))

    lics = _by_id(s, License)
    for lic in cat.licenses:
        fields = {"licensor_id": lic.licensor, "licensee": lic.licensee, "works": lic.works,
                  "territories": list(lic.territories),
                  "exclude_territories": list(lic.exclude_territories),
                  "start": lic.start, "end": lic.end, "exclusive": lic.exclusive}
        obj = lics.get(lic.id)
        uses = dict(lic.uses)
        if obj is None:
            s.add(License(id=lic.id, **fields,
                          grants=[Grant(use=u, value=v) for u, v in sorted(uses.items())]))
            n.count("licenses", True, False)
            continue
        changed = _assign(obj, **fields)
        have = {g.use: g for g in obj.grants}
        for u, g in list(have.items()):
            if u not in uses:
                obj.grants.remove(g)
                changed = True
        for u, v in uses.items():
            if u not in have:
                obj.grants.append(Grant(use=u, value=v))
                changed = True
            elif have[u].value != v:
                have[u].value = v
                changed = True
        n.count("licenses", False, changed)

    consents = _by_id(s, Consent)
    for k in cat.consents:
        fields = {"party_id": k.party, "kind": k.kind, "status": k.status, "works": k.works,
                  "projects": k.projects, "purposes": k.purposes, "description": k.description,
                  "signed": k.signed, "expires": k.expires, "revoked": k.revoked,
                  "evidence": k.evidence}
        obj = consents.get(k.id)
        if obj is None:
            s.add(Consent(id=k.id, **fields))
            n.count("consents", True, False)
        else:
            n.count("consents", False, _assign(obj, **fields))


def _sync_work_children(obj: Work, w: WorkSpec) -> bool:
    changed = False
    # Media rows carry what curation learnt (probe, sha256, quarantine): keep them by URI.
    have = {m.uri: m for m in obj.media}
    for uri, m in list(have.items()):
        if uri not in w.media:
            obj.media.remove(m)
            changed = True
    for uri in w.media:
        if uri not in have:
            obj.media.append(MediaAsset(uri=uri))
            changed = True

    want_p = [(p.party, p.role, p.character, p.points) for p in w.participations]
    have_p = [(p.party_id, p.role, p.character_id, Decimal(p.points)) for p in obj.participations]
    if want_p != have_p:
        obj.participations = [Participation(party_id=a, role=b, character_id=c, points=d)
                              for a, b, c, d in want_p]
        changed = True

    want_s = sorted((_ms(sc.start), _ms(sc.end), list(sc.performers), list(sc.characters),
                      sc.notes or "", sc.media or "") for sc in w.scenes)
    have_s = sorted((sc.start_ms, sc.end_ms, list(sc.performers), list(sc.characters),
                      sc.notes or "", sc.media or "") for sc in obj.scenes)
    if want_s != have_s:
        obj.scenes = [Scene(start_ms=a, end_ms=b, performers=c, characters=d, notes=e or None,
                            media=f or None)
                      for a, b, c, d, e, f in want_s]
        changed = True
    return changed


def scan_reservations(s: Session, works: Iterable[str] | None = None) -> tuple[int, list[str]]:
    """Read reservations from the local media of `works` (all when None) and sync the
    `Reservation` rows of each file: rows that are still found are kept as they are.

    Returns (reservations now recorded for those media, warnings)."""
    from clearreel.rights.reservations import read_reservations, sync_reservations

    q = select(Work)
    if works is not None:
        q = q.where(Work.id.in_(list(works)))
    total = 0
    warnings: list[str] = []
    for work in s.scalars(q):
        for m in work.media:
            p = file_path(m.uri)
            if p is None:
                continue  # remote media: scanned by curation when fetched
            if not p.exists():
                warnings.append(f"{work.id}: media file {m.uri} does not exist (yet)")
                continue
            try:
                found = read_reservations(p)
            except OSError as e:
                warnings.append(f"{work.id}: cannot read {m.uri} for reservations: {e}")
                continue
            total += sync_reservations(s, work.pk, m.pk, found)
    s.flush()
    return total, warnings


# --------------------------------------------------------------------------------------
# Public: export


def _time(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{sec:02d}.{milli:03d}"


def _points(d: Decimal) -> int | str:
    d = Decimal(d)
    return int(d) if d == d.to_integral_value() else format(d.normalize(), "f")


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _party_doc(p: Party) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "kind": p.kind,
            **({"references": list(p.references)} if p.references else {}),
            **({"aliases": list(p.aliases)} if p.aliases else {})}


def _work_doc(w: Work) -> dict[str, Any]:
    return _drop_none({
        "id": w.id, "title": w.title, "kind": w.kind, "year": w.year,
        "eidr": w.eidr, "fps": w.fps,
        "media": [m.uri for m in w.media], "subtitles": list(w.subtitles),
        "participations": [_drop_none({"party": p.party_id, "role": p.role,
                                       "character": p.character_id,
                                       "points": _points(p.points)})
                           for p in w.participations],
        "scenes": [_drop_none({"start": _time(sc.start_ms), "end": _time(sc.end_ms),
                               "performers": list(sc.performers),
                               "characters": list(sc.characters), "notes": sc.notes,
                               "media": sc.media})
                   for sc in w.scenes],
    })


def _character_doc(c: Character) -> dict[str, Any]:
    return _drop_none({"id": c.id, "name": c.name, "owner": c.owner_id,
                       "performer": c.performer_id,
                       **({"aliases": list(c.aliases)} if c.aliases else {})})


def _license_doc(lic: License) -> dict[str, Any]:
    return _drop_none({"id": lic.id, "licensor": lic.licensor_id, "licensee": lic.licensee,
                       "works": "all" if lic.works is None else list(lic.works),
                       "uses": {g.use: g.value for g in lic.grants},
                       "territories": list(lic.territories),
                       "exclude_territories": list(lic.exclude_territories),
                       "start": lic.start, "end": lic.end, "exclusive": lic.exclusive})


def _consent_doc(k: Consent) -> dict[str, Any]:
    return _drop_none({"id": k.id, "party": k.party_id, "kind": k.kind, "status": k.status,
                       "works": "all" if k.works is None else list(k.works),
                       "projects": k.projects, "purposes": k.purposes,
                       "description": k.description, "signed": k.signed, "expires": k.expires,
                       "revoked": k.revoked, "evidence": k.evidence})


def export_catalog(session: Session) -> dict[str, Any]:
    """The registry of the session's organization as a catalog document (contract shape).

    Importing the result into an empty registry gives the same registry; media paths are
    written as stored (absolute paths or URLs)."""
    from clearreel.db import current_org

    org = session.get(Organization, current_org(session))
    if org is None:
        raise UsageError("the registry has no such organization: import a catalog first")
    return {
        "organization": _drop_none({"id": org.id, "name": org.name,
                                    "home_territory": org.home_territory}),
        "parties": [_party_doc(p) for p in session.scalars(select(Party).order_by(Party.id))],
        "works": [_work_doc(w) for w in session.scalars(select(Work).order_by(Work.id))],
        "characters": [_character_doc(c)
                       for c in session.scalars(select(Character).order_by(Character.id))],
        "licenses": [_license_doc(lic)
                     for lic in session.scalars(select(License).order_by(License.id))],
        "consents": [_consent_doc(k)
                     for k in session.scalars(select(Consent).order_by(Consent.id))],
    }


def show_entry(session: Session, id_: str) -> dict[str, Any]:
    """One entry by id (any kind), in catalog shape, with what relates to it."""
    from clearreel.errors import NotFound

    def one(model: Any) -> Any:
        return session.scalars(select(model).where(model.id == id_)).first()

    if (w := one(Work)) is not None:
        doc = {"type": "work", **_work_doc(w)}
        doc["media_status"] = [_drop_none({"uri": m.uri, "status": m.status, "sha256": m.sha256,
                                           "quarantine_reason": m.quarantine_reason})
                               for m in w.media]
        doc["reservations"] = [{"use": r.use, "value": r.value, "source": r.source, "raw": r.raw}
                               for r in session.scalars(select(Reservation)
                                                        .where(Reservation.work_pk == w.pk)
                                                        .order_by(Reservation.pk))]
        doc["licenses"] = [lic.id for lic in session.scalars(select(License).order_by(License.id))
                           if lic.works is None or w.id in lic.works]
        return doc
    if (p := one(Party)) is not None:
        doc = {"type": "party", **_party_doc(p)}
        doc["participations"] = [
            _drop_none({"work": w.id, "role": pa.role, "character": pa.character_id})
            for w in session.scalars(select(Work).order_by(Work.id))
            for pa in w.participations if pa.party_id == p.id]
        doc["licenses"] = list(session.scalars(select(License.id).where(
            (License.licensor_id == p.id) | (License.licensee == p.id)).order_by(License.id)))
        doc["consents"] = list(session.scalars(select(Consent.id).where(Consent.party_id == p.id)
                                               .order_by(Consent.id)))
        doc["characters"] = list(session.scalars(select(Character.id).where(
            (Character.owner_id == p.id) | (Character.performer_id == p.id))
            .order_by(Character.id)))
        return doc
    if (c := one(Character)) is not None:
        doc = {"type": "character", **_character_doc(c)}
        doc["works"] = [w.id for w in session.scalars(select(Work).order_by(Work.id))
                        if any(pa.character_id == c.id for pa in w.participations)
                        or any(c.id in sc.characters for sc in w.scenes)]
        return doc
    if (lic := one(License)) is not None:
        return {"type": "license", **_license_doc(lic)}
    if (k := one(Consent)) is not None:
        return {"type": "consent", **_consent_doc(k)}
    raise NotFound(f"no work, party, character, licence or consent with id {id_!r}: "
                   "see `clearreel catalog list`")


def dump_catalog(doc: dict[str, Any], fmt: Literal["yaml", "json"] = "yaml") -> str:
    """Serialize a catalog document (dates as ISO 8601)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False, default=lambda o: o.isoformat()) + "\n"
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


__all__ = [
    "Catalog", "CharacterSpec", "ConsentSpec", "LicenseSpec", "OrganizationSpec",
    "ParticipationSpec", "PartySpec", "SceneSpec", "SubtitleSpec", "WorkSpec", "dump_catalog",
    "export_catalog", "import_catalog", "load_catalog", "scan_reservations", "show_entry",
]
