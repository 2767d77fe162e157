"""The documents behind the pages and the API: each one a call of the package functions the CLI
uses (clearance, catalog, dataset, train registry, generate, ledger), never a second rule.

Every function takes settings scoped to the caller's organization (`Ctx.settings`).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clearreel.config import Settings
from clearreel.db import open_session
from clearreel.errors import NotFound, UsageError

MATRIX_USES = ("ai_training", "ai_generative_training", "ai_inference", "data_mining",
               "character_generation", "sublicensing")
PER_PAGE = 20


def _uses() -> tuple[str, ...]:
    from clearreel.rights.vocab import USES

    return tuple(u for u in MATRIX_USES if u in USES)


def parse_on(value: str | None, field: str = "on") -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{field}: {value!r} is not a date; use YYYY-MM-DD") from None


def _cell(d: Any) -> dict[str, Any]:
    return {"allowed": d.allowed, "reasons": [r.to_json() for r in d.reasons]}


# Pages of the matrix, keyed by the registry version (`rights.models.registry_version`,
# which every committed registry write changes, in any process) and the question. A page is a
# report computed by the clearance engine; the cache only avoids asking it again when nothing
# it reads has changed: the key also holds the stamps of the page's subtitle files, which the
# engine reads live. Embedded reservations count once `catalog import` or `rights scan`
# records them (the engine reads them from the registry too).
_MATRIX: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_MATRIX_LOCK = threading.Lock()
MATRIX_CACHE_SIZE = 256


def works_matrix(settings: Settings, *, on: dt.date | None = None, territory: str | None = None,
                 page: int = 1, per_page: int = PER_PAGE, query: str = "") -> dict[str, Any]:
    """Uses x works on a date in a territory, each cell the clearance engine's decision.

    A report, not a decision that makes something: the cells are not written to the audit log
    one by one (as `rights check` does), so that looking does not write. The document is
    shared by the callers that ask the same question of the same registry version: read it,
    never change it.
    """
    from clearreel.rights.models import Work, registry_version
    from clearreel.rights.subtitle_lines import subtitle_stamps

    day = on or dt.date.today()
    if territory:
        territory = territory.strip().upper()
    with open_session(settings) as s:
        version = registry_version(s)  # before anything it versions is read
        q = select(Work).order_by(Work.id)
        if query:
            like = f"%{query}%"
            q = q.where(Work.id.ilike(like) | Work.title.ilike(like))
        works = list(s.scalars(q.offset((page - 1) * per_page).limit(per_page + 1)))
        # The engine reads subtitle files as they are now (speaker labels are presence), so a
        # file rewritten on disk is a new question even with no registry write.
        files = tuple(subtitle_stamps(w.subtitles) for w in works)
        key = (str(settings.home), settings.database_url, settings.org, settings.consent_mode,
               version, day, territory, page, per_page, query, files)
        with _MATRIX_LOCK:
            hit = _MATRIX.get(key)
            if hit is not None:
                _MATRIX.move_to_end(key)
                return hit
        doc = _works_matrix(s, works, day, territory, page, per_page, query)
    with _MATRIX_LOCK:
        _MATRIX[key] = doc
        while len(_MATRIX) > MATRIX_CACHE_SIZE:
            _MATRIX.popitem(last=False)
    return doc


def _works_matrix(s: Any, works: list[Any], on: dt.date, territory: str | None, page: int,
                  per_page: int, query: str) -> dict[str, Any]:
    from clearreel.rights.clearance import check_use, engine
    from clearreel.rights.listing import organization

    uses = _uses()
    more = len(works) > per_page
    works = works[:per_page]
    rows = []
    engine(s).preload([w.id for w in works])
    for w in works:
        cells = {u: _cell(check_use(s, w.id, u, on=on, territory=territory, audit=False))
                 for u in uses}
        rows.append({"id": w.id, "title": w.title, "kind": w.kind, "year": w.year,
                     "cells": cells})
    org = organization(s)
    return {"organization": org, "on": on.isoformat(),
            "territory": territory or (org or {}).get("home_territory") or "WORLD",
            "uses": list(uses), "works": rows, "page": page, "more": more, "query": query}


def work_detail(settings: Settings, work_id: str, *, on: dt.date | None = None,
                territory: str | None = None) -> dict[str, Any]:
    """The work's record and `rights report --work W` (every use, digital replica included)."""
    from clearreel.rights.catalog import show_entry
    from clearreel.rights.report import report

    with open_session(settings) as s:
        entry = show_entry(s, work_id)
        if entry.get("type") != "work":
            raise NotFound(f"no work {work_id!r}")
        r = report(s, work=work_id, on=on, territory=territory, audit=False)
    cells = {c["use"]: {"allowed": c["allowed"], "reasons": c["reasons"]} for c in r["cells"]}
    return {"work": entry, "cells": cells, "on": r["on"], "territory": territory}


def performers(settings: Settings) -> dict[str, Any]:
    from clearreel.rights.listing import consent_row
    from clearreel.rights.models import Consent, Party

    with open_session(settings) as s:
        consents: dict[str, list[dict[str, Any]]] = {}
        for k in s.scalars(select(Consent).order_by(Consent.id)):
            consents.setdefault(k.party_id, []).append(consent_row(k))
        return {"performers": [{"id": p.id, "name": p.name, "consents": consents.get(p.id, [])}
                               for p in s.scalars(select(Party).where(Party.kind == "person")
                                                  .order_by(Party.name, Party.id))]}


def performer(settings: Settings, party_id: str) -> dict[str, Any]:
    """A person with every consent (scope, status, evidence) and where they are credited."""
    from clearreel.rights.consents import consent_doc
    from clearreel.rights.models import Character, Consent, Participation, Party, Work

    with open_session(settings) as s:
        p = s.scalars(select(Party).where(Party.id == party_id)).first()
        if p is None:
            raise NotFound(f"no performer {party_id!r}")
        consents = [consent_doc(k) for k in s.scalars(
            select(Consent).where(Consent.party_id == party_id)
            .order_by(Consent.kind, Consent.signed, Consent.id))]
        credits = [{"work": wid, "title": title, "role": role, "character": ch}
                   for wid, title, role, ch in s.execute(
                       select(Work.id, Work.title, Participation.role, Participation.character_id)
                       .join(Participation, Participation.work_pk == Work.pk)
                       .where(Participation.party_id == party_id).order_by(Work.id))]
        chars = [{"id": c.id, "name": c.name} for c in s.scalars(
            select(Character).where(Character.performer_id == party_id).order_by(Character.id))]
        return {"id": p.id, "name": p.name, "kind": p.kind, "consents": consents,
                "credits": credits, "characters": chars}


def audit_page(settings: Settings, page: int = 1, per_page: int = 50,
               action: str | None = None) -> dict[str, Any]:
    from clearreel.rights import audit
    from clearreel.rights.listing import audit_rows

    with open_session(settings) as s:
        problems = audit.verify(s)
        rows = audit_rows(s, action or None, per_page + 1, (page - 1) * per_page)
    return {"valid": not problems, "problems": problems, "entries": rows[:per_page],
            "page": page, "more": len(rows) > per_page}


def dataset_page(settings: Settings, name: str, page: int = 1,
                 per_page: int = 60) -> dict[str, Any]:
    """`dataset show` plus scores, timecodes and presence evidence of one page of clips, and the
    exclusions grouped by reason code."""
    from clearreel.dataset import show

    page = max(page, 1)
    d = show(settings, name, clips_offset=(page - 1) * per_page, clips_limit=per_page)
    pages = max(1, math.ceil(d["clips_total"] / per_page))
    if page > pages:
        page = pages
        d = show(settings, name, clips_offset=(page - 1) * per_page, clips_limit=per_page)
    shown = d["clips"]
    for c in shown:  # `dataset show` gives each clip's timecodes and scores
        c["presence"] = (c.get("scores") or {}).get("presence")
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in d["excluded"]:
        codes = sorted({str(r.get("code")) for r in e["reasons"]}) or ["unknown"]
        for code in codes:
            groups.setdefault(code, []).append(e)
    return {**d, "clips": shown, "page": page, "pages": pages, "shown": EXCLUSIONS_SHOWN,
            "excluded_by_reason": dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))}


def models(settings: Settings) -> list[dict[str, Any]]:
    """Every registered model with its dataset and the status `clearreel.train.suspension`
    recorded (after every revocation, catalog import and generation; `refresh_models` checks
    again now). Generation always re-checks live, whatever this page shows."""
    from clearreel.train.models import TrainedModel
    from clearreel.train.registry import ModelRecord

    with open_session(settings) as s:
        out = []
        for row in s.scalars(select(TrainedModel).order_by(TrainedModel.created,
                                                           TrainedModel.name)):
            detail = row.status_detail or {}
            reasons = [{"code": detail.get("code") or "model.dataset_uncleared",
                        "effect": "deny", "detail": (
                            f"{len(detail.get('clips') or [])} clip(s) of {row.dataset} no "
                            "longer clear"
                            + (f"; consents {', '.join(detail['consents'])}"
                               if detail.get("consents") else "")
                            + f"; checked {', '.join(detail.get('checked') or [])}")}
                       ] if row.status == "suspended" else []
            out.append({**ModelRecord.from_row(row).to_json(), "status": row.status or "active",
                        "status_changed": row.status_changed, "reasons": reasons})
        return out


def refresh_models(settings: Settings) -> None:
    """Re-check every model's dataset against today's registry and record the statuses."""
    from clearreel.train.suspension import refresh

    with open_session(settings) as s:
        refresh(s, cause="web.refresh")


def outputs(settings: Settings, limit: int = 60) -> list[dict[str, Any]]:
    from clearreel.generate.models import Output

    with open_session(settings) as s:
        return [output_doc(o) for o in s.scalars(
            select(Output).order_by(Output.created.desc()).limit(limit))]


def output_doc(o: Any) -> dict[str, Any]:
    return {"output": o.id, "model": o.model, "dataset": o.dataset, "prompt": o.prompt,
            "project": o.project, "purpose": o.purpose, "blocked": o.blocked,
            "reasons": list(o.reasons or []), "attribution": list(o.attribution or []),
            "sha256": o.sha256, "watermark": o.watermark, "has_file": bool(o.path),
            "created": o.created.isoformat(timespec="seconds")}


def output(settings: Settings, output_id: str) -> tuple[dict[str, Any], str | None]:
    from clearreel.generate.outputs import get_output

    with open_session(settings) as s:
        o = get_output(s, output_id)
        return output_doc(o), o.path


def _dataset_root(settings: Settings, name: str) -> tuple[int, Path]:
    from clearreel.dataset import get_dataset_row
    from clearreel.dataset.writer import dataset_dir

    with open_session(settings) as s:
        pk = get_dataset_row(s, name).pk  # NotFound for another organization's dataset
    return pk, dataset_dir(settings, name).resolve()


def bom_file(settings: Settings, name: str) -> Path:
    from clearreel.dataset.manifest import MANIFEST

    _pk, root = _dataset_root(settings, name)
    if not (root / MANIFEST).is_file():
        raise NotFound(f"dataset {name} has no {MANIFEST} yet (still being built?)")
    return root / MANIFEST


def clip_file(settings: Settings, name: str, clip_id: str) -> Path:
    """The mp4 of one clip of the organization's dataset, confined to the dataset folder."""
    from clearreel.dataset.models import Clip

    pk, root = _dataset_root(settings, name)
    with open_session(settings) as s:
        rel = s.scalars(select(Clip.path).where(Clip.dataset_pk == pk,
                                                Clip.clip_id == clip_id)).first()
    if rel:
        f = (root / rel).resolve()
        if f.is_relative_to(root) and f.is_file():
            return f
    raise NotFound(f"no clip file {clip_id!r} in dataset {name}")


def work_titles(settings: Settings, ids: Iterable[str] | None = None) -> dict[str, str]:
    """Work id -> title: of the works `ids` names (a page's), or of every work."""
    from clearreel.rights.models import Work

    q = select(Work.id, Work.title)
    if ids is not None:
        q = q.where(Work.id.in_(sorted(set(ids))))
    with open_session(settings) as s:
        return dict(s.execute(q).all())


# Exclusions a dataset page lists per reason code (every one is in the BOM it links to).
EXCLUSIONS_SHOWN = 50


def dataset_page_works(d: dict[str, Any]) -> set[str]:
    """The works a dataset page names: its clips' and the exclusions it lists."""
    works = {c["work"] for c in d["clips"]}
    for rows in d["excluded_by_reason"].values():
        works |= {e["work"] for e in rows[:EXCLUSIONS_SHOWN]}
    return works


__all__ = [
    "audit_page",
    "bom_file",
    "clip_file",
    "dataset_page",
    "dataset_page_works",
    "models",
    "output",
    "outputs",
    "parse_on",
    "performer",
    "performers",
    "refresh_models",
    "work_detail",
    "work_titles",
    "works_matrix",
]
