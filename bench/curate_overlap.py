"""Overlap of the curation stages: full curation with and without speculative cuts.

The plan dedups across the whole batch, so without speculation no clip is cut before every
file is analysed, and the workers that finish their last file idle while the last long file
is analysed (and while the plan is made). With speculation (`curate.cut.Speculation`, the
default with more than one worker) the clips of each analysed file that pass the filters and
a clearance preview are cut on those idle workers, and adopted where the plan admits them.

On the same sample studio, in one run, alternating the two (`--repeat` each, best time kept):
prints the wall time of each, the stage times, the share of core time busy (from /proc/stat,
all processes: run it on quiet cores), the ratio (speculative / sequential, < 1 is a
gain), how many clips were cut ahead, how many of those the dataset adopted, and that both
datasets have the same Merkle root. The load average is printed before every measurement.

    .venv/bin/python bench/curate_overlap.py                 # 3 films x 60 s at 1280x720
    .venv/bin/python bench/curate_overlap.py --quick         # 3 films x 20 s at 640x360
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of all cores since boot (/proc/stat; Linux)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + v[4], sum(v[:8])  # idle + iowait; user..steal


def main() -> None:
    # Run as a script, bench/ is on sys.path.
    from curate_throughput import _load, studio_options

    ap = studio_options(__doc__)
    ap.add_argument("--detector", default="pyscenedetect",
                    choices=["transnetv2", "transnetv2-cascade", "pyscenedetect"])
    ap.add_argument("--repeat", type=int, default=3, help="take the best of N runs of each")
    ap.add_argument("--quick", action="store_true", help="3 films x 20 s at 640x360")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.width, args.height = 20.0, 640, 360

    from clearreel.config import Settings
    from clearreel.curate import curate
    from clearreel.curate.config import CurateConfig
    from clearreel.dataset import load
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys
    from clearreel.rights.catalog import import_catalog
    from clearreel.sample import REFERENCE_DATE, make_sample_studio

    tmp = Path(tempfile.mkdtemp(prefix="curate-overlap-"))
    studio = args.studio or tmp / "studio"
    if not (studio / "truth.json").exists():
        make_sample_studio(studio, films=args.films, width=args.width, height=args.height,
                           fps=args.fps, seconds=args.seconds, bbb=False)
    print(f"{args.films} films x {args.seconds:g} s at {args.width}x{args.height}; "
          f"{args.workers} workers; detector {args.detector}", file=sys.stderr)

    def run(speculate: bool, i: int) -> dict[str, Any]:
        settings = Settings(home=tmp / f"home-{speculate}-{i}")
        init_db(settings)
        ensure_studio_keys(settings)
        import_catalog(settings, studio / "catalog.yaml")
        marks: dict[str, float] = {}
        staged: set[str] = set()
        adopted: set[str] = set()
        cpu0 = _cpu_times()
        t0 = time.perf_counter()

        def on_event(event: str, data: dict[str, Any]) -> None:
            if event == "stage":
                marks[data["stage"]] = time.perf_counter() - t0
            elif event == "staged":
                staged.update(data["ids"])
            elif event == "clip" and data.get("adopted"):
                adopted.add(data["id"])

        summary = curate(settings, "bench", on=REFERENCE_DATE,
                         config=CurateConfig(detector=args.detector), workers=args.workers,
                         progress=False, on_event=on_event, speculate=speculate)
        wall = time.perf_counter() - t0
        cpu1 = _cpu_times()
        idle, total = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        return {
            # Share of the machine's core time busy during the run (all processes: measure on
            # quiet cores); 1.0 means no core idled.
            "busy": round(1 - idle / total, 3) if total else None,
            "wall_s": round(wall, 2),
            "analyse_s": round(marks.get("plan", 0.0), 2),
            "plan_s": round(marks.get("cut", 0.0) - marks.get("plan", 0.0), 2),
            "cut_s": round(marks.get("pack", 0.0) - marks.get("cut", 0.0), 2),
            "pack_s": round(wall - marks.get("pack", 0.0), 2),
            "clips": summary["clips"],
            "staged": len(staged),
            "adopted": len(adopted),
            "root": load(settings, "bench").merkle_root,
        }

    best: dict[bool, dict[str, Any]] = {}
    for i in range(args.repeat):
        for speculate in (False, True):
            print(f"load {_load()}: speculate={speculate} run {i + 1}", file=sys.stderr)
            got = run(speculate, i)
            print(f"  {got['wall_s']:.2f} s", file=sys.stderr)
            if speculate not in best or got["wall_s"] < best[speculate]["wall_s"]:
                best[speculate] = got
    off, on = best[False], best[True]
    result = {
        "sequential": off,
        "speculative": on,
        "ratio": round(on["wall_s"] / off["wall_s"], 3),
        "same_dataset": off["root"] == on["root"],
        "load_end": _load(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for name, r in (("sequential", off), ("speculative", on)):
        print(f"{name:12s} {r['wall_s']:7.2f} s  analyse/plan/cut/pack "
              f"{r['analyse_s']}/{r['plan_s']}/{r['cut_s']}/{r['pack_s']} s  "
              f"cores busy {r['busy']:.0%}  "
              f"clips {r['clips']}, cut ahead {r['staged']}, adopted {r['adopted']}")
    print(f"speculative / sequential: {result['ratio']:.3f}; same dataset: "
          f"{result['same_dataset']}; load at end {result['load_end']}")


if __name__ == "__main__":
    main()
