"""Clearance throughput: curation asks `check_use` once per clip.

Builds a synthetic registry (WORKS works, each with 3 performers and a licence per 10 works,
every performer with a training consent), imports it, then times per-clip decisions:

- clearreel: `check_use` on one session (the registry is loaded once and cached);
- peer: a fresh `Clearance` per decision (what a naive engine does: load, then decide).

It prints the per-decision latency of both, with and without the audit record, and their
ratio; and the time to import the catalog and to re-import it unchanged (idempotent upsert).

    .venv/bin/python bench/clearance_throughput.py [--works 500] [--checks 2000] [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import yaml


def catalog(works: int) -> dict:
    parties = [{"id": "p-studio", "name": "Studio", "kind": "company"}]
    parties += [{"id": f"p-{i}", "name": f"Performer {i}", "kind": "person"}
                for i in range(works * 3)]
    ws = [{"id": f"w-{w}", "title": f"Work {w}", "kind": "short",
           "participations": [{"party": "p-studio", "role": "studio"}]
           + [{"party": f"p-{w * 3 + k}", "role": "performer"} for k in range(3)]}
          for w in range(works)]
    lics = [{"id": f"l-{i}", "licensor": "p-studio", "licensee": "org-bench",
             "works": [f"w-{w}" for w in range(i * 10, min(works, i * 10 + 10))],
             "uses": {"ai_training": "allowed", "data_mining": "allowed"},
             "territories": ["WORLD"], "exclude_territories": ["CN"], "start": "2024-01-01"}
            for i in range((works + 9) // 10)]
    ks = [{"id": f"k-{i}", "party": f"p-{i}", "kind": "training", "status": "granted",
           "signed": "2024-01-01"} for i in range(works * 3)]
    return {"organization": {"id": "org-bench", "name": "Bench", "home_territory": "US"},
            "parties": parties, "works": ws, "licenses": lics, "consents": ks}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=500)
    ap.add_argument("--checks", type=int, default=2000)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: SQLite in a temp dir)")
    a = ap.parse_args()

    from clearreel.config import Settings
    from clearreel.db import init_db, open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.clearance import Clearance, check_use

    tmp = Path(tempfile.mkdtemp(prefix="clearreel-bench-"))
    settings = Settings(home=tmp / "home", database_url=a.db)
    init_db(settings)
    path = tmp / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog(a.works)))
    t = time.perf_counter()
    import_catalog(settings, path, scan=False)
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    again = import_catalog(settings, path, scan=False)
    t_reimport = time.perf_counter() - t
    assert again["created"] == {} and again["updated"] == {}
    print(f"catalog: {a.works} works, {a.works * 3} performers; import {t_import:.2f} s, "
          f"unchanged re-import {t_reimport:.2f} s")

    on = dt.date(2026, 6, 1)
    for audit in (False, True):
        n = a.checks
        with open_session(settings) as s:
            t = time.perf_counter()
            for i in range(n):
                w = i % a.works
                d = check_use(s, f"w-{w}", "ai_training", on=on, audit=audit,
                              performers=[f"p-{w * 3 + (i % 3)}"])
                assert d.allowed
            ours = (time.perf_counter() - t) / n
        m = max(20, n // 20)
        with open_session(settings) as s:
            t = time.perf_counter()
            for i in range(m):
                w = i % a.works
                Clearance(s).check_use(f"w-{w}", "ai_training", on=on, audit=audit,
                                       performers=[f"p-{w * 3 + (i % 3)}"])
            peer = (time.perf_counter() - t) / m
        print(f"audit={audit!s:<5}: cached engine {ours * 1e3:.2f} ms/decision "
              f"({1 / ours:,.0f}/s); fresh engine per decision {peer * 1e3:.2f} ms; "
              f"ratio {peer / ours:.1f}x")


if __name__ == "__main__":
    main()
