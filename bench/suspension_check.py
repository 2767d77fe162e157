"""What the live suspension check costs `generate`.

`generate` re-checks a model's dataset on every request (`train.suspension.model_status`:
presence re-derived per clip, one clearance decision per distinct (work, performers)). This
times it against its peer in the same request, the prompt guard (`guard.check_prompt`),
on a synthetic registry: WORKS works, each with 3 credited performers, a scene list and an
SRT file with speaker labels, and a dataset of CLIPS clips spread over them.

    .venv/bin/python bench/suspension_check.py [--works 50] [--clips 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import yaml


def catalog(works: int, root: Path) -> dict:
    parties = [{"id": "p-studio", "name": "Studio", "kind": "company"}]
    parties += [{"id": f"p-{i}", "name": f"Performer Number{i}", "kind": "person"}
                for i in range(works * 3)]
    chars = [{"id": f"c-{i}", "name": f"Role{i}", "owner": "p-studio", "performer": f"p-{i}"}
             for i in range(works * 3)]
    ws = []
    for w in range(works):
        srt = root / f"w{w}.srt"
        srt.write_text("".join(
            f"{n + 1}\n00:00:{n * 2:02d},000 --> 00:00:{n * 2 + 1:02d},500\n"
            f"ROLE{w * 3 + n % 3}: line {n}\n\n" for n in range(25)))
        ws.append({"id": f"w-{w}", "title": f"Work {w}", "kind": "short",
                   "subtitles": [str(srt)],
                   "participations": [{"party": "p-studio", "role": "studio"}]
                   + [{"party": f"p-{w * 3 + k}", "role": "performer",
                       "character": f"c-{w * 3 + k}"} for k in range(3)],
                   "scenes": [{"start": k * 10, "end": k * 10 + 8,
                               "performers": [f"p-{w * 3 + k % 3}"]} for k in range(6)]})
    lic = {"id": "l-all", "licensor": "p-studio", "licensee": "org-bench", "works": "all",
           "uses": {"ai_generative_training": "allowed"}, "territories": ["WORLD"],
           "start": "2024-01-01"}
    ks = [{"id": f"k-{i}", "party": f"p-{i}", "kind": "training", "status": "granted",
           "signed": "2024-01-01"} for i in range(works * 3)]
    return {"organization": {"id": "org-bench", "name": "Bench", "home_territory": "US"},
            "parties": parties, "works": ws, "characters": chars, "licenses": [lic],
            "consents": ks}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=50)
    ap.add_argument("--clips", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()

    from clearreel.config import Settings
    from clearreel.dataset.models import Clip, Dataset
    from clearreel.db import init_db, open_session
    from clearreel.generate.guard import check_prompt
    from clearreel.rights.catalog import import_catalog
    from clearreel.train.models import TrainedModel
    from clearreel.train.suspension import model_status, record

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        s = Settings(home=root / "home")
        init_db(s)
        (root / "c.yaml").write_text(yaml.safe_dump(catalog(a.works, root)))
        import_catalog(s, root / "c.yaml", scan=False)
        with open_session(s) as ss:
            ds = Dataset(id="ds-bench", name="bench", config={}, on=dt.date.today(),
                         territory="US", status="ready", stage="done", manifest_sha256="0" * 64)
            ss.add(ds)
            ss.flush()
            for i in range(a.clips):
                w, start = i % a.works, (i // a.works) * 24
                ss.add(Clip(dataset_pk=ds.pk, clip_id=f"clip-{i}", work_id=f"w-{w}",
                            media_uri="/m.mp4", start_frame=start, end_frame=start + 23,
                            source_fps=24.0, fps=8.0, start_tc="", end_tc="",
                            performers=[], characters=[], status="written"))
            ss.add(TrainedModel(name="m", family="wan", base="tiny", base_sha256="0" * 64,
                                path=str(root), mode="full", dataset="bench",
                                dataset_manifest_sha256="0" * 64))
        prompt = "a slow dolly along the harbour at dusk, Role7 looks back"
        with open_session(s) as ss:  # warm up: imports, first connection
            model_status(ss, "m")
            check_prompt(ss, prompt, home=s.home)
        full, cached, grd = [], [], []
        for _ in range(a.repeat):
            with open_session(s) as ss:  # a fresh session per request, as generate opens
                row = ss.query(TrainedModel).one()
                row.status_detail = None  # forget the recorded answer: re-derive every clip
                ss.flush()
                t = time.perf_counter()
                st = model_status(ss, row)
                full.append(time.perf_counter() - t)
                record(ss, row, st, cause="bench")
            with open_session(s) as ss:
                t = time.perf_counter()
                st2 = model_status(ss, "m")  # nothing changed: the recorded answer is reused
                cached.append(time.perf_counter() - t)
                assert st2.cached
            with open_session(s) as ss:
                t = time.perf_counter()
                check_prompt(ss, prompt, home=s.home)
                grd.append(time.perf_counter() - t)
        assert not st.suspended, st.detail
        mf, mc, mg = (statistics.median(x) for x in (full, cached, grd))
        print(f"{a.clips} clips over {a.works} works, median of {a.repeat}:")
        print(f"  suspension check, re-derived:    {mf * 1000:8.1f} ms "
              f"({mf / a.clips * 1e6:.0f} us per clip)")
        print(f"  suspension check, unchanged:     {mc * 1000:8.1f} ms")
        print(f"  prompt guard (check_prompt):     {mg * 1000:8.1f} ms")
        print(f"  ratio re-derived / guard:        {mf / mg:8.2f}")
        print(f"  ratio unchanged / guard:         {mc / mg:8.2f}")


if __name__ == "__main__":
    main()
