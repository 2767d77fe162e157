"""MovieLabs EMA Avails (Excel v1.9 and XML v2.5) as licences.

Where the names come from (MovieLabs/mddf at e7f032b): the XML element names are those of
`avails-v2.5.xsd` (namespace `http://www.movielabs.com/schema/avails/v2.5/avails`, with
`md` = `.../md/v2.8/md`): `AvailList/Avail` holds `ALID`, `Disposition/EntryType`,
`Licensor/md:DisplayName`, `Asset` (`Metadata/TitleEIDR-URN`, `EditEIDR-URN`) and one or
more `Transaction` (`Licensee`, `LicenseType`, `Territory/md:country`,
`TerritoryExcluded/md:country`, `Start` | `StartCondition`, `End` | `EndCondition`,
`Term[@termName="Exclusive"]/Boolean`, attribute `TransactionID`). The Excel v1.9 template
(`Movies_v1.9.xlsx`, sheet `Template-Movies`) has the group in row 1 and the column in
row 2 (`AvailTrans/LicenseType`, `AvailAsset/TitleID`, `Avail/ALID`, ...), the template
version and `//REQ` notes in row 3, data from row 4; `RowToXmlHelperV1_7_2` maps
`AvailTrans/Exclusive` to the `Exclusive` term and `AvailTrans/TerritoryExclusion`
(comma-separated) to `TerritoryExcluded`.

Mapping a row (an Excel row or an XML Transaction) to a licence:

- title: an EIDR id (`TitleID`/`EditID`, `TitleEIDR-URN`/`EditEIDR-URN`, or an ALID or
  ContentID that embeds one, `md:alid:eidr-s:...`) names the work whose `eidr` it is; else
  the ALID must be a work id;
- territory: ISO 3166-1 alpha-2 codes (or WORLD); a region (`md:countryRegion`) is refused;
- window: `Start` to `End` (dates; an XML `End` at exactly midnight is exclusive, so the last
  day is the one before); `End` "Open" (or an `EndCondition` of it) is open-ended; a
  `StartCondition` has no date and is refused;
- licence type -> uses: EMA's types (EST, VOD, SVOD, ...) are distribution windows and
  grant no AI use: such rows are skipped and reported. A type the studio uses for AI rights
  is mapped explicitly (`--map TYPE=ai_training,ai_generative_training`, or `use:notAllowed`);
  any other type is an error (deny by default: nothing is guessed);
- `Exclusive` -> the licence's `exclusive`;
- id: `avails-` and the `TransactionID` / `AvailID`, else a digest of (title, type,
  territories, licensee), so re-importing an updated window updates the same licence.

Errors are `file:row: message` (row: the spreadsheet row, or the XML line of the
Transaction), exit 2, and nothing is written unless every row is valid. Licences are written
through the catalog importer (validated, merged by id, audited as `catalog.avails.import`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import CatalogError, UsageError

# EMA LicenseType vocabulary (vocab_avail_v2.5.json) and the other VOD windows in use:
# distribution rights, none of them an AI use.
DISTRIBUTION_TYPES = frozenset({"EST", "VOD", "SVOD", "AVOD", "FVOD", "TVOD", "POEST",
                                "PRE-RELEASE", "LIBRARY"})
_USES = ("ai_training", "ai_generative_training", "ai_inference", "data_mining",
         "character_generation", "digital_replica", "sublicensing")
_VALUES = ("allowed", "notAllowed", "constrained")
NS = {"avails": "http://www.movielabs.com/schema/avails/v2.5/avails",
      "md": "http://www.movielabs.com/schema/md/v2.8/md"}


@dataclass
class Row:
    """One avail: what the file says, before it is matched to the registry."""

    where: int  # spreadsheet row or XML line
    alid: str = ""
    title_ids: list[str] = field(default_factory=list)  # EIDR candidates (any spelling)
    licensor: str = ""
    licensee: str = ""
    license_type: str = ""
    territories: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    start: str = ""
    end: str = ""
    exclusive: str = ""
    entry_type: str = ""
    txn_id: str = ""
    end_is_xml: bool = False


def parse_map(items: list[str]) -> dict[str, dict[str, str]]:
    """`--map TYPE=use[:value],...` options as {TYPE: {use: value}}."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        typ, sep, rest = item.partition("=")
        if not sep or not typ.strip() or not rest.strip():
            raise UsageError(f"--map {item!r}: write LicenseType=use[,use...], e.g. "
                             "--map AI-Training=ai_training,ai_generative_training")
        uses: dict[str, str] = {}
        for part in rest.split(","):
            use, _, value = part.strip().partition(":")
            value = value or "allowed"
            if use not in _USES:
                close = difflib.get_close_matches(use, _USES, n=1)
                raise UsageError(f"--map {item!r}: unknown use {use!r}"
                                 + (f": did you mean {close[0]!r}?" if close else
                                    f"; uses: {', '.join(_USES)}"))
            if value not in _VALUES:
                raise UsageError(f"--map {item!r}: {value!r} is not one of {', '.join(_VALUES)}")
            uses[use] = value
        out[typ.strip().upper()] = uses
    return out


# --- reading: Excel v1.9 ----------------------------------------------------------------


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v).strip()


def read_excel(path: Path) -> list[Row]:
    try:
        import openpyxl
    except ImportError:
        from clearreel.errors import MissingDependency

        raise MissingDependency(
            "reading Excel avails needs openpyxl: pip install openpyxl"
        ) from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UsageError(f"no avails file at {path}") from None
    except Exception as e:  # zipfile / openpyxl errors: at the boundary
        raise CatalogError([f"{path}:1: not an Excel workbook: {e}"]) from None
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if len(rows) < 2 or "LicenseType" not in [_cell(c) for c in rows[1]]:
            continue
        keys = [f"{_cell(g)}/{_cell(n)}" for g, n in zip(rows[0], rows[1], strict=False)]
        out = []
        for i, values in enumerate(rows[2:], start=3):
            cells = [_cell(v) for v in values]
            if not any(cells) or any(c.startswith("//") for c in cells) or (
                    i == 3 and re.fullmatch(r"\d+(\.\d+)*", cells[0] or "")):
                continue  # the version and //REQ row, blank rows
            d = dict(zip(keys, cells, strict=False))

            def g(key: str, d: dict[str, str] = d) -> str:
                return d.get(key, "")

            out.append(Row(
                where=i, alid=g("Avail/ALID"),
                title_ids=[x for x in (g("AvailAsset/TitleID"), g("AvailAsset/EditID"),
                                       g("AvailAsset/ContentID"), g("Avail/ALID")) if x],
                licensor=g("Avail/DisplayName"), licensee=g("Avail/Licensee"),
                license_type=g("AvailTrans/LicenseType"),
                territories=[t.strip() for t in g("AvailTrans/Territory").split(",")
                             if t.strip()],
                excluded=[t.strip() for t in g("AvailTrans/TerritoryExclusion").split(",")
                          if t.strip()],
                start=g("AvailTrans/Start"), end=g("AvailTrans/End"),
                exclusive=g("AvailTrans/Exclusive"), entry_type=g("Disposition/EntryType"),
                txn_id=g("Avail/AvailID")))
        return out
    raise CatalogError([f"{path}:2: no sheet with EMA Avails columns (row 2 names the columns: "
                        "LicenseType, Territory, Start, ...): is this an Avails v1.9 workbook?"])


# --- reading: XML v2.5 ------------------------------------------------------------------


def read_xml(path: Path) -> list[Row]:
    import xml.etree.ElementTree as ET
    from xml.parsers import expat

    lines: dict[int, int] = {}  # id(element) -> line, for `file:line:` messages
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no avails file at {path}") from None
    p = expat.ParserCreate(namespace_separator="}")
    builder = ET.TreeBuilder()

    def name(n: str) -> str:
        return "{" + n if "}" in n else n

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
        lines[id(el)] = p.CurrentLineNumber

    def refuse(*_: Any) -> None:
        raise expat.ExpatError("DOCTYPE and entity declarations are not accepted")

    p.StartElementHandler = start
    p.EndElementHandler = lambda tag: builder.end(name(tag))
    p.CharacterDataHandler = builder.data
    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    try:
        p.Parse(data, True)
        root = builder.close()
    except expat.ExpatError as e:
        raise CatalogError([f"{path}:{p.CurrentLineNumber}: not well-formed XML: {e}"]) from None
    a, md = "{" + NS["avails"] + "}", "{" + NS["md"] + "}"
    if root.tag != f"{a}AvailList":
        raise CatalogError([f"{path}:1: the root is {root.tag}, not avails:AvailList in "
                            f"{NS['avails']} (Avails XML v2.5)"])

    def text(el: ET.Element | None, tag: str) -> str:
        found = el.find(tag) if el is not None else None
        return (found.text or "").strip() if found is not None else ""

    out = []
    for avail in root.findall(f"{a}Avail"):
        alid = text(avail, f"{a}ALID")
        ids = [alid]
        for asset in avail.findall(f"{a}Asset"):
            ids.append(asset.get("contentID", ""))
            meta = asset.find(f"{a}Metadata")
            ids += [text(meta, f"{a}TitleEIDR-URN"), text(meta, f"{a}EditEIDR-URN")]
        licensor = text(avail.find(f"{a}Licensor"), f"{md}DisplayName")
        entry = text(avail.find(f"{a}Disposition"), f"{a}EntryType")
        for t in avail.findall(f"{a}Transaction"):
            terr, excl = [], []
            for kind, dest in (("Territory", terr), ("TerritoryExcluded", excl)):
                for region in t.findall(f"{a}{kind}"):
                    c = text(region, f"{md}country")
                    dest.append(c if c else "region:" + text(region, f"{md}countryRegion"))
            start = text(t, f"{a}Start") or ("condition:" + text(t, f"{a}StartCondition")
                                             if t.find(f"{a}StartCondition") is not None else "")
            end = text(t, f"{a}End") or (text(t, f"{a}EndCondition") or "Open"
                                         if t.find(f"{a}EndCondition") is not None else "")
            exclusive = ""
            for term in t.findall(f"{a}Term"):
                if term.get("termName") == "Exclusive":
                    exclusive = text(term, f"{a}Boolean")
            out.append(Row(
                where=lines.get(id(t), 1), alid=alid, title_ids=[i for i in ids if i],
                licensor=licensor, licensee=text(t.find(f"{a}Licensee"), f"{md}DisplayName")
                or text(t, f"{a}Licensee"),
                license_type=text(t, f"{a}LicenseType"), territories=terr, excluded=excl,
                start=start, end=end, exclusive=exclusive, entry_type=entry,
                txn_id=t.get("TransactionID", ""), end_is_xml=True))
    return out


def read_avails(path: Path) -> list[Row]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_excel(path)
    if suffix == ".xml":
        return read_xml(path)
    raise UsageError(f"{path}: an avails file is .xlsx (Excel v1.9) or .xml (XML v2.5)")


# --- rows to licences -------------------------------------------------------------------


def _date(value: str, *, end: bool, xml: bool) -> dt.date | None:
    v = value.strip()
    if end and v.lower() in ("open", ""):
        return None
    if v.startswith("condition:"):
        raise ValueError(f"StartCondition {v[10:]!r} has no date: give a Start date")
    try:
        if "T" in v:
            t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            d = t.date()
            if end and xml and t.time() == dt.time(0):
                d -= dt.timedelta(days=1)  # an instant at midnight ends the previous day
            return d
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)") from None


def _bool(value: str) -> bool | None:
    v = value.strip().lstrip("=").rstrip("()").upper()
    if v in ("", "NONE"):
        return None
    if v in ("TRUE", "YES", "Y", "1"):
        return True
    if v in ("FALSE", "NO", "N", "0"):
        return False
    raise ValueError(f"Exclusive {value!r} is not Yes/No or true/false")


def _key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", text).strip("-")[:100]


def import_avails(settings: Settings, path: str | Path, *,
                  mapping: dict[str, dict[str, str]] | None = None, licensor: str | None = None,
                  dry_run: bool = False,
                  on_clearance_change: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Import an avails file as licences (see the module docstring); returns a summary.
    `on_clearance_change` as for `import_catalog`."""
    from sqlalchemy import select

    from clearreel.db import current_org, open_session
    from clearreel.rights import eidr
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.models import Organization, Party, Work
    from clearreel.rights.vocab import WORLD, is_territory

    path = Path(path)
    mapping = mapping or {}
    rows = read_avails(path)
    with open_session(settings) as s:
        org = current_org(s)
        org_row = s.get(Organization, org)
        org_names = {org.lower(), (org_row.name if org_row else org).lower()}
        works = list(s.scalars(select(Work)))
        by_eidr = {w.eidr: w.id for w in works if w.eidr}
        work_ids = {w.id for w in works}
        parties = {p.id: p for p in s.scalars(select(Party))}
    by_name: dict[str, list[str]] = {}
    for p in parties.values():
        by_name.setdefault(p.name.casefold(), []).append(p.id)
    problems: list[str] = []
    skipped: list[dict[str, Any]] = []
    licences: dict[str, dict[str, Any]] = {}
    for row in rows:
        at = f"{path}:{row.where}"
        typ = row.license_type.strip()
        if row.entry_type.strip().lower() in ("full delete", "delete"):
            problems.append(f"{at}: EntryType {row.entry_type!r} withdraws an avail; clearreel "
                            "never deletes a licence on import: end it (an End date) instead")
            continue
        if not typ:
            problems.append(f"{at}: no LicenseType")
            continue
        uses = mapping.get(typ.upper())
        if uses is None:
            if typ.upper() in DISTRIBUTION_TYPES:
                skipped.append({"where": f"{'line' if row.end_is_xml else 'row'} {row.where}",
                                "reason": f"LicenseType {typ} is "
                                "a distribution window and grants no AI use (map it with "
                                f"--map {typ}=USES if it does)"})
            else:
                problems.append(f"{at}: LicenseType {typ!r} has no mapping to uses: pass --map "
                                f"{typ}=ai_training,... (what it grants) or leave the row out")
            continue
        work = None
        for candidate in row.title_ids:
            e = eidr.find(candidate)
            if e is not None and e in by_eidr:
                work = by_eidr[e]
                break
        if work is None and row.alid in work_ids:
            work = row.alid
        if work is None:
            why = ""
            for c in row.title_ids:
                if c.startswith(("10.5240", "urn:eidr")) and eidr.find(c) is None:
                    try:
                        eidr.parse(c)
                    except eidr.EidrError as e:
                        why = f" ({e})"
                    break
            problems.append(f"{at}: no work with EIDR or id {' / '.join(row.title_ids) or '-'}"
                            f"{why}: set `eidr:` on the work in the catalog")
            continue
        lic_by = licensor
        if lic_by is None:
            name = row.licensor.strip()
            ids = [name] if name in parties else by_name.get(name.casefold(), [])
            if len(ids) != 1:
                problems.append(f"{at}: licensor {name or '-'!r} is " + (
                    "ambiguous" if ids else "not a party") + ": pass --licensor PARTY_ID")
                continue
            lic_by = ids[0]
        elif lic_by not in parties:
            raise UsageError(f"--licensor {lic_by!r} is not a party in the registry")
        licensee = row.licensee.strip()
        if not licensee or licensee.lower() in org_names:
            licensee = org
        elif licensee not in parties:
            problems.append(f"{at}: licensee {licensee!r} is neither this organization nor a "
                            "party id")
            continue
        for code in row.territories + row.excluded:
            if code.startswith("region:"):
                problems.append(f"{at}: territory region {code[7:]!r} is not supported: "
                                "clearreel licenses whole countries (ISO 3166-1 alpha-2)")
            elif not is_territory(code.upper()):
                problems.append(f"{at}: unknown territory {code!r}: expected an ISO 3166-1 "
                                f"alpha-2 code or {WORLD}")
        terr = [c.upper() for c in row.territories]
        if not terr:
            problems.append(f"{at}: no Territory")
        try:
            start = _date(row.start, end=False, xml=row.end_is_xml)
            end = _date(row.end, end=True, xml=row.end_is_xml)
            exclusive = _bool(row.exclusive)
        except ValueError as e:
            problems.append(f"{at}: {e}")
            continue
        if start is None:
            problems.append(f"{at}: no Start date")
            continue
        if end is not None and end < start:
            problems.append(f"{at}: the window ends ({end}) before it starts ({start})")
            continue
        key = row.txn_id or row.alid
        if row.txn_id:
            lid = "avails-" + _key(row.txn_id)
        else:
            digest = hashlib.sha256(repr((work, typ.upper(), sorted(terr),
                                          sorted(c.upper() for c in row.excluded), licensee,
                                          key)).encode()).hexdigest()[:16]
            lid = f"avails-{digest}"
        if lid in licences:
            problems.append(f"{at}: the same avail as {licences[lid]['_row']} (same id {lid})")
            continue
        licences[lid] = {
            "_row": f"row {row.where}", "id": lid, "licensor": lic_by, "licensee": licensee,
            "works": [work], "uses": dict(uses), "territories": terr,
            "exclude_territories": [c.upper() for c in row.excluded],
            "start": start.isoformat(), **({"end": end.isoformat()} if end else {}),
            **({"exclusive": exclusive} if exclusive is not None else {}),
        }
    if problems:
        raise CatalogError(problems)
    docs = [{k: v for k, v in d.items() if k != "_row"} for d in licences.values()]
    summary: dict[str, Any] = {"file": str(path.resolve()), "licenses": len(docs),
                               "skipped": skipped, "dry_run": dry_run,
                               "ids": [d["id"] for d in docs]}
    if not docs:
        return summary
    result = import_catalog(settings, path, scan=False, dry_run=dry_run,
                            document={"organization": {"id": org}, "licenses": docs},
                            action="catalog.avails.import",
                            on_clearance_change=on_clearance_change)
    summary.update({k: result.get(k) for k in ("created", "updated", "changes")})
    return summary


__all__ = ["DISTRIBUTION_TYPES", "Row", "import_avails", "parse_map", "read_avails"]
