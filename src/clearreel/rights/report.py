"""`clearreel rights report`: what may be done with a work, or with a performer's works.

A matrix of uses x works: every cell is one clearance decision (the same engine as
`rights check`, deny by default) with its reasons. `--work W` reports one work;
`--performer P` every work P is credited in or placed in by a scene. For `digital_replica`
the cell is rule 4 for the performer (or, for a work report, for the work's credited
performers) scoped to that work; every other use is rules 1-3 for the work as a whole.

`on` answers "what would have been decided then" (a report makes nothing). The report is
written to the audit log as one entry holding every cell's verdict and reason codes.
CSV cells are neutralised against formula injection (OWASP "CSV Injection"): a cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearreel.errors import NotFound, UsageError
from clearreel.rights.models import Party, Work
from clearreel.rights.vocab import USES


def _works_of(session: Session, performer: str) -> list[str]:
    works = []
    for w in session.scalars(select(Work).order_by(Work.id)):
        if any(p.party_id == performer for p in w.participations) or any(
                performer in (sc.performers or []) for sc in w.scenes):
            works.append(w.id)
    return works


def report(session: Session, *, work: str | None = None, performer: str | None = None,
           on: dt.date | None = None, territory: str | None = None,
           audit: bool = True) -> dict[str, Any]:
    """`{"subject", "on", "territory", "uses", "works", "cells": [{"use", "work", "allowed",
    "codes", "reasons"}]}`; exactly one of `work` and `performer`."""
    from clearreel.rights.clearance import engine

    if (work is None) == (performer is None):
        raise UsageError("give exactly one of --work W and --performer P")
    eng = engine(session)
    if performer is not None:
        if session.scalars(select(Party.id).where(Party.id == performer)).first() is None:
            raise NotFound(f"unknown performer {performer!r}: --performer takes a party id "
                           "(see `clearreel catalog list`)")
        works = _works_of(session, performer)
    else:
        assert work is not None
        eng.work(work)  # NotFound for an unknown work
        works = [work]
    day = on or dt.date.today()
    cells = []
    for w in works:
        for use in USES:
            if use == "digital_replica":
                who = [performer] if performer else eng.credited_performers(w)
                d = eng.check_generation(performers=who, works=[w], on=day, territory=territory,
                                         audit=False)
            else:
                d = eng.check_use(w, use, on=day, territory=territory, audit=False)
            shown = d.denials if not d.allowed else [r for r in d.reasons if r.effect == "allow"]
            cells.append({"use": use, "work": w, "allowed": d.allowed,
                          "codes": [r.code for r in shown],
                          "reasons": [r.to_json() for r in shown]})
    doc = {"subject": {"work": work} if work else {"performer": performer},
           "on": day.isoformat(), "territory": territory, "uses": list(USES), "works": works,
           "cells": cells}
    if audit:
        from clearreel.rights import audit as audit_log

        audit_log.record(session, "rights.report", work or performer, on=day.isoformat(),
                         territory=territory,
                         cells=[{k: c[k] for k in ("use", "work", "allowed", "codes")}
                                for c in cells])
    return doc


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(doc: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["work", "use", "allowed", "codes", "detail"])
    for c in doc["cells"]:
        detail = "; ".join(str(r.get("detail") or r.get("code")) for r in c["reasons"])
        w.writerow([safe_cell(x) for x in (c["work"], c["use"],
                                           "allowed" if c["allowed"] else "denied",
                                           " ".join(c["codes"]), detail)])
    return buf.getvalue()


__all__ = ["report", "safe_cell", "to_csv"]
