"""Web studio under load: p50/p95 of the main pages and API calls with 20 concurrent clients.

Seeds a registry of 1,000 works, 300 performers with consents (training and digital replica)
and a dataset of 10,000 clips (bulk inserts through the ORM models), runs `clearreel serve` on
127.0.0.1, then 20 concurrent httpx clients (bounded: REQUESTS per client and SECONDS in all)
ask each route in turn. The peer measured in the same run is the static health route
(`/healthz`): the ratio says how much of a route's latency is the route, not the server, the
machine or the load around it. Target (issue 11): p95 under 300 ms on 2 cores.

    python bench/web_load.py                      # SQLite
    python bench/web_load.py --pg URL             # PostgreSQL (a fresh schema, dropped after)
    CLEARREEL_TEST_PG_URL=... python bench/web_load.py --both
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

WORKS, PERFORMERS, CLIPS = 1000, 300, 10_000
CLIENTS, REQUESTS, SECONDS = 20, 30, 120.0
ORG, PASSWORD = "org-bench", "bench password 1234"


def seed(home: Path, url: str | None) -> Any:
    """The registry and the dataset, in a few bulk inserts."""
    from sqlalchemy import insert

    from clearreel.config import Settings
    from clearreel.dataset.models import Clip, Dataset, Exclusion
    from clearreel.db import init_db, open_session
    from clearreel.rights.models import (
        Consent,
        Grant,
        License,
        Organization,
        Participation,
        Party,
        Work,
    )
    from clearreel.train.registry import ModelRecord, register_model
    from clearreel.web.accounts import add_user, issue_token

    settings = Settings(home=home, database_url=url, org=ORG)
    init_db(settings)
    with open_session(settings, any_org=True) as s:
        s.add(Organization(id=ORG, name="Bench Pictures", home_territory="US"))
    with open_session(settings) as s:
        s.execute(insert(Party), [{"org_id": ORG, "id": "p-studio", "name": "Bench Pictures",
                                   "kind": "company", "references": []}]
                  + [{"org_id": ORG, "id": f"p-{i:04d}", "name": f"Performer {i}",
                      "kind": "person", "references": []} for i in range(PERFORMERS)])
        s.execute(insert(Work), [{"org_id": ORG, "id": f"w-{i:04d}", "title": f"Work {i}",
                                  "kind": "film", "year": 2000 + i % 25, "subtitles": []}
                                 for i in range(WORKS)])
        pks = dict(s.execute(Work.__table__.select().with_only_columns(Work.id, Work.pk)).all())
        parts = [{"org_id": ORG, "work_pk": pks[f"w-{i:04d}"], "party_id": "p-studio",
                  "role": "studio", "points": 60} for i in range(WORKS)]
        parts += [{"org_id": ORG, "work_pk": pks[f"w-{i:04d}"],
                   "party_id": f"p-{(i * 3 + j) % PERFORMERS:04d}", "role": "performer",
                   "points": 5} for i in range(WORKS) for j in range(3)]
        s.execute(insert(Participation), parts)
        s.add(License(id="l-all", licensor_id="p-studio", licensee=ORG, works=None,
                      territories=["WORLD"], exclude_territories=[],
                      start=dt.date(2024, 1, 1), end=None))
        s.flush()
        lic = s.query(License).one()
        s.execute(insert(Grant), [{"org_id": ORG, "license_pk": lic.pk, "use": u,
                                   "value": "allowed"}
                                  for u in ("ai_training", "ai_generative_training",
                                            "ai_inference", "data_mining")])
        consents = []
        for i in range(PERFORMERS):
            for kind in ("training", "digital_replica"):
                status = "revoked" if i % 50 == 7 and kind == "training" else "granted"
                consents.append({"org_id": ORG, "id": f"k-{i:04d}-{kind}",
                                 "party_id": f"p-{i:04d}", "kind": kind, "status": status,
                                 "works": None, "projects": None,
                                 "purposes": ["previz"] if kind != "training" else None,
                                 "description": "", "signed": dt.date(2024, 1, 15),
                                 "expires": None,
                                 "revoked": dt.date(2025, 6, 1) if status == "revoked" else None,
                                 "evidence": None})
        s.execute(insert(Consent), consents)
        ds = Dataset(id="ds-bench", name="bench", config={}, on=dt.date.today(), territory="US",
                     engine="local", status="ready", stage="done", manifest_sha256="0" * 64,
                     merkle_root="0" * 64,
                     summary={"clips": CLIPS, "excluded": 500})  # as `curate` writes it
        s.add(ds)
        s.flush()
        s.execute(insert(Clip), [{
            "org_id": ORG, "dataset_pk": ds.pk, "clip_id": f"w-{i % WORKS:04d}_m0_{i:07d}",
            "work_id": f"w-{i % WORKS:04d}", "media_uri": "/m/x.mp4", "start_frame": i * 10,
            "end_frame": i * 10 + 32, "source_fps": 24.0, "fps": 16.0,
            "start_tc": "00:00:01:00", "end_tc": "00:00:02:08", "path": None, "sha256": None,
            "caption": f"shot {i}", "performers": [f"p-{i % PERFORMERS:04d}"],
            "characters": [], "scores": {"motion": 0.2}, "licenses": ["l-all"],
            "consents": [f"k-{i % PERFORMERS:04d}-training"], "status": "written"}
            for i in range(CLIPS)])
        s.execute(insert(Exclusion), [{
            "org_id": ORG, "dataset_pk": ds.pk, "clip_id": f"x-{i}", "work_id": f"w-{i:04d}",
            "media_uri": "/m/x.mp4", "start_frame": 0, "end_frame": 32, "stage": "clearance",
            "reasons": [{"code": "consent.missing", "party": f"p-{i % PERFORMERS:04d}"}]}
            for i in range(500)])
        register_model(s, ModelRecord(name="bench-model", family="wan", path=home / "m",
                                      base="tiny", base_sha256="0" * 64, mode="full",
                                      dataset="bench", dataset_manifest_sha256="0" * 64))
    if url:  # PostgreSQL plans from statistics: a bulk-seeded table has none until
        # autovacuum's analyze runs (a minute or so later), and the plans made without
        # them nest-loop over every participation (400 ms for one performer's credits)
        from sqlalchemy import text

        from clearreel.db import connect

        # VACUUM too: it sets the visibility map that index-only scans (the clip counts) need.
        with connect(settings).execution_options(isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text("VACUUM ANALYZE"))
    add_user(settings, "bench-rights", "rights", org=ORG, password=PASSWORD)
    token = issue_token(settings, "bench-rights")[1]
    return settings, token


ROUTES = [  # (label, path, kind): kind "page" uses the session cookie, "api" the token
    ("health (peer)", "/healthz", "none"),
    ("works matrix page", "/works?page=7", "page"),
    ("performer page", "/performers/p-0042", "page"),
    ("dataset page (10k clips)", "/datasets/bench?page=40", "page"),
    ("API rights check", "/api/v1/rights/check?work=w-0123&use=ai_training", "api"),
    ("API matrix", "/api/v1/rights/matrix?page=3", "api"),
    ("API performer", "/api/v1/performers/p-0042", "api"),
    ("API datasets", "/api/v1/datasets", "api"),
    ("API models", "/api/v1/models", "api"),
]


async def _client(base: str, cookie: str, token: str, lat: dict[str, list[float]],
                  errors: dict[str, int], stop_at: float, offset: int) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 cookies={"cr_session": cookie}) as c:
        for n in range(REQUESTS):
            for k in range(len(ROUTES)):
                label, path, kind = ROUTES[(k + offset + n) % len(ROUTES)]
                if time.monotonic() > stop_at:
                    return
                headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
                t = time.perf_counter()
                r = await c.get(path, headers=headers)
                dt_ms = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    errors[label] = errors.get(label, 0) + 1
                else:
                    lat[label].append(dt_ms)


def _sign_in(base: str) -> str:
    import httpx

    with httpx.Client(base_url=base, timeout=30) as c:
        page = c.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore
        r = c.post("/signin", data={"name": "bench-rights", "password": PASSWORD,
                                    "csrf": csrf, "next": "/"})
        assert r.status_code == 303, r.text
        return str(c.cookies["cr_session"])


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def run(label: str, url: str | None, workers: int) -> dict[str, Any]:
    from web.browser import serve

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t = time.perf_counter()
        _settings, token = seed(home, url)
        seeded = time.perf_counter() - t
        proc, base = serve(home, url, workers)
        try:
            cookie = _sign_in(base)
            lat: dict[str, list[float]] = {r[0]: [] for r in ROUTES}
            errors: dict[str, int] = {}
            load_before = os.getloadavg()
            t0 = time.monotonic()

            async def main() -> None:
                stop = time.monotonic() + SECONDS
                await asyncio.gather(*[_client(base, cookie, token, lat, errors, stop, i)
                                       for i in range(CLIENTS)])

            asyncio.run(main())
            wall = time.monotonic() - t0
            load_after = os.getloadavg()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    peer = pct(lat[ROUTES[0][0]], 0.95)
    rows = [{"route": k, "n": len(v), "p50_ms": round(pct(v, 0.5), 1),
             "p95_ms": round(pct(v, 0.95), 1),
             "p95_vs_peer": round(pct(v, 0.95) / peer, 1) if peer else None,
             "errors": errors.get(k, 0)} for k, v in lat.items()]
    return {"database": label, "seed_s": round(seeded, 1), "wall_s": round(wall, 1),
            "requests": sum(len(v) for v in lat.values()), "clients": CLIENTS,
            "workers": workers,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after], "cpus": os.cpu_count(),
            "routes": rows}


def _pg_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:10]}"
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{name}"'))
    eng.dispose()
    sep = "&" if "?" in url else "?"
    return name, f"{url}{sep}options=-csearch_path%3D{name}"


def _drop(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    eng.dispose()


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['database']}, {r['workers']} server process(es): {r['requests']} requests "
          f"from {r['clients']} clients in "
          f"{r['wall_s']} s (seeded in {r['seed_s']} s); load average before "
          f"{r['load_before']}, after {r['load_after']} on {r['cpus']} CPUs")
    print(f"{'route':<28}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p95/peer':>10}{'errors':>8}")
    for row in r["routes"]:
        print(f"{row['route']:<28}{row['n']:>6}{row['p50_ms']:>10}{row['p95_ms']:>10}"
              f"{row['p95_vs_peer'] or '':>10}{row['errors']:>8}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", help="PostgreSQL URL (default: SQLite only)")
    ap.add_argument("--both", action="store_true", help="SQLite, then CLEARREEL_TEST_PG_URL")
    ap.add_argument("--workers", type=int, default=0,
                    help="server processes (default: `clearreel serve`'s, one per CPU up to 4)")
    ap.add_argument("--json", action="store_true", help="Print one JSON document.")
    args = ap.parse_args()
    runs = []
    if args.pg is None or args.both:
        runs.append(("SQLite", None))
    pg = args.pg or (os.environ.get("CLEARREEL_TEST_PG_URL") if args.both else None)
    from clearreel.cli.serve import default_workers

    workers = args.workers or default_workers()
    results = []
    for label, url in runs:
        results.append(run(label, url, workers))
    if pg:
        schema, url = _pg_schema(pg)
        try:
            results.append(run("PostgreSQL", url, workers))
        finally:
            _drop(pg, schema)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            report(r)


if __name__ == "__main__":
    main()

_ = dataclasses
