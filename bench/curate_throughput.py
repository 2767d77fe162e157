"""Curation throughput: clearreel's full curation vs decode-only vs PySceneDetect alone.

On the same media files, in one run, with the same number of worker processes:

1. decode-only: PyAV decodes every frame of every file (no conversion, no scaling): the
   limit any pipeline that reads the video must stay under;
2. PySceneDetect alone: `scenedetect.detect(path, AdaptiveDetector())`, the shot-detection
   step Open-Sora's data pipeline runs on its own;
3. clearreel: `clearreel.curate.pipeline.curate` end to end (probe, one low-resolution
   decode, shots (TransNetV2, or AdaptiveDetector plus clearreel's
   gradual-transition pass), clip planning, scores, fingerprints, presence, captions, the
   clearance gate, dedup, cutting the admitted clips at training size, shards, index,
   signed manifest), with the time of each stage.

Prints frames per second for each and the ratios: full curation / decode-only (goal >= 0.5)
and full curation / PySceneDetect alone (goal > 1: faster while doing more), for each of
clearreel's shot detectors (`--detector both`, the default: transnetv2 and pyscenedetect).

The machine's load average is printed at the start and before every measurement: on shared
machines other work slows each measurement differently, so every configuration is measured
`--repeat` times (default 3), round-robin, and the best (fastest) time of each is reported.

    .venv/bin/python bench/curate_throughput.py              # 3 films x 60 s at 1280x720
    .venv/bin/python bench/curate_throughput.py --quick      # 2 films x 20 s at 640x360
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any


def decode_only(path: str) -> int:
    import av

    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        return sum(1 for _ in c.decode(s))


def pyscenedetect_alone(path: str) -> int:
    from scenedetect import AdaptiveDetector, detect

    return len(detect(path, AdaptiveDetector()))


def _load() -> str:
    """The 1, 5 and 15-minute load averages, as `uptime` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def studio_options(doc: str | None) -> argparse.ArgumentParser:
    """The options of the sample studio a curation benchmark renders, and its workers
    (shared with bench/curate_overlap.py)."""
    ap = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--films", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each film")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--studio", type=Path, help="reuse (or create) the sample studio here")
    return ap


def _pool_map(fn: Any, items: list[str], workers: int) -> tuple[float, list[Any]]:
    import multiprocessing as mp

    t = time.perf_counter()
    if workers == 1:
        out = [fn(x) for x in items]
    else:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            out = list(pool.map(fn, items))
    return time.perf_counter() - t, out


def accuracy(studio: Path, truth: dict[str, Any], detectors: list[str]) -> dict[str, Any]:
    """Per detector: the share of frames TransNetV2 read, and cuts and dissolves found against
    truth.json (scored as bench/shot_accuracy.py does), on the analysis decode curation uses."""
    import av

    sys.path.insert(0, str(Path(__file__).parent))
    from shot_accuracy import score

    from clearreel.curate.analyse import analysis_size
    from clearreel.curate.config import CurateConfig
    from clearreel.curate.shots import _transnet_input, cascade_spans, detect_shots, frames_read
    from clearreel.media import decode

    out: dict[str, Any] = {}
    for det in detectors:
        cfg = CurateConfig(detector=det)
        tot: dict[str, int] = {"frames": 0, "read": 0}
        for w in truth["works"].values():
            with av.open(str(studio / w["media"])) as c:
                s = c.streams.video[0]
                size = analysis_size(s.width, s.height, cfg.analysis_width)
            d = decode(studio / w["media"], *size)
            tot["frames"] += d.count
            if det == "transnetv2":
                tot["read"] += d.count
            elif det == "transnetv2-cascade":
                spans = cascade_spans(_transnet_input(d.frames), d.fps_float, cfg)
                tot["read"] += frames_read(spans, d.count)
            for k, v in score(detect_shots(det, d, cfg), w).items():
                tot[k] = tot.get(k, 0) + v
        out[det] = {
            "transnet_share": round(tot["read"] / max(1, tot["frames"]), 3),
            "cuts_found": f"{tot['tp']}/{tot['hard']} ({tot['fp']} false)",
            "dissolves_found": f"{tot['dissolves_found']}/{tot['dissolves']}",
        }
    return out


def main() -> None:
    ap = studio_options(__doc__)
    ap.add_argument(
        "--detector",
        default="all",
        choices=["all", "transnetv2", "transnetv2-cascade", "pyscenedetect"],
        help="clearreel's shot detector (all: one run each)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="take the best of N runs of each")
    ap.add_argument("--quick", action="store_true", help="2 films x 20 s at 640x360")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    if args.quick:
        args.films, args.seconds, args.width, args.height = 2, 20.0, 640, 360

    from clearreel.config import Settings
    from clearreel.curate import curate
    from clearreel.curate.config import CurateConfig
    from clearreel.db import init_db
    from clearreel.provenance import ensure_studio_keys
    from clearreel.rights.catalog import import_catalog
    from clearreel.sample import REFERENCE_DATE, load_truth, make_sample_studio

    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-"))
    studio = args.studio or tmp / "studio"
    if not (studio / "truth.json").exists():
        t = time.perf_counter()
        make_sample_studio(
            studio,
            films=args.films,
            width=args.width,
            height=args.height,
            fps=args.fps,
            seconds=args.seconds,
            bbb=False,
        )
        print(
            f"sample studio rendered in {time.perf_counter() - t:.1f} s: {studio}", file=sys.stderr
        )
    truth = load_truth(studio)
    files = [str(studio / w["media"]) for w in truth["works"].values()]
    frames = sum(int(w["frames"]) for w in truth["works"].values())
    size = f"{truth['width']}x{truth['height']}"
    print(
        f"{len(files)} files, {frames} frames at {size}, {truth['fps']} fps; "
        f"{args.workers} worker(s)",
        file=sys.stderr,
    )

    detectors = (
        ["transnetv2", "transnetv2-cascade", "pyscenedetect"]
        if args.detector == "all"
        else [args.detector]
    )
    print(f"load average at start: {_load()}", file=sys.stderr)

    def run_curate(detector: str, i: int) -> tuple[float, dict[str, float], dict[str, Any]]:
        # A fresh home per run: curate resumes what a previous run of a dataset recorded.
        settings = Settings(home=tmp / f"home-{detector}-{i}")
        init_db(settings)
        ensure_studio_keys(settings)
        import_catalog(settings, studio / "catalog.yaml")
        marks: dict[str, float] = {}
        t0 = time.perf_counter()

        def on_event(event: str, data: dict[str, Any]) -> None:
            if event == "stage":
                marks[data["stage"]] = time.perf_counter() - t0

        summary = curate(
            settings,
            "bench",
            on=REFERENCE_DATE,
            config=CurateConfig(detector=detector),
            workers=args.workers,
            progress=False,
            on_event=on_event,
        )
        t_full = time.perf_counter() - t0
        stages = {
            "analyse": marks.get("plan", 0.0),
            "plan": marks.get("cut", 0.0) - marks.get("plan", 0.0),
            "cut": marks.get("pack", 0.0) - marks.get("cut", 0.0),
            "pack": t_full - marks.get("pack", 0.0),
        }
        return t_full, stages, summary

    best: dict[str, float] = {}
    loads: dict[str, list[str]] = {}
    detail: dict[str, tuple[dict[str, float], dict[str, Any]]] = {}

    def keep(name: str, seconds: float) -> bool:
        print(f"  {name}: {seconds:.2f} s", file=sys.stderr)
        if seconds < best.get(name, float("inf")):
            best[name] = seconds
            return True
        return False

    for i in range(args.repeat):
        for name in ["decode_only", "pyscenedetect", *(f"clearreel_{d}" for d in detectors)]:
            loads.setdefault(name, []).append(_load())
            print(f"run {i + 1}/{args.repeat} {name} (load {loads[name][-1]})", file=sys.stderr)
            if name == "decode_only":
                t, counts = _pool_map(decode_only, files, args.workers)
                assert sum(counts) == frames, (sum(counts), frames)
                keep(name, t)
            elif name == "pyscenedetect":
                keep(name, _pool_map(pyscenedetect_alone, files, args.workers)[0])
            else:
                det = name.removeprefix("clearreel_")
                t, stages, summary = run_curate(det, i)
                if keep(name, t):
                    detail[det] = (stages, summary)

    t_dec, t_psd = best["decode_only"], best["pyscenedetect"]
    fig: dict[str, Any] = {
        "files": len(files),
        "frames": frames,
        "size": size,
        "fps": truth["fps"],
        "workers": args.workers,
        "repeat": args.repeat,
        "load_average_before_each_run": loads,
        "decode_only": {"seconds": round(t_dec, 2), "frames_per_second": round(frames / t_dec, 1)},
        "pyscenedetect": {
            "seconds": round(t_psd, 2),
            "frames_per_second": round(frames / t_psd, 1),
        },
        "clearreel": {},
    }
    for det in detectors:
        t_full = best[f"clearreel_{det}"]
        stages, summary = detail[det]
        fig["clearreel"][det] = {
            "seconds": round(t_full, 2),
            "stages_seconds": {k: round(v, 2) for k, v in stages.items()},
            "frames_per_second": round(frames / t_full, 1),
            "analyse_frames_per_second": round(frames / stages["analyse"], 1),
            "clips_out": summary["clips"],
            "excluded": summary["excluded"],
            "vs_decode_only": round(t_dec / t_full, 3),
            "vs_pyscenedetect": round(t_psd / t_full, 3),
            "analyse_vs_decode_only": round(t_dec / stages["analyse"], 3),
        }
    for det, acc in accuracy(studio, truth, detectors).items():
        fig["clearreel"][det].update(acc)
    if args.json:
        print(json.dumps(fig, indent=2))
        return
    print(
        f"{len(files)} files, {frames} frames at {size}; {args.workers} worker(s); "
        f"best of {args.repeat}; load average before each run: {loads}"
    )
    print(f"decode-only        {frames / t_dec:>9.1f} frames/s  ({t_dec:.1f} s)")
    print(f"PySceneDetect      {frames / t_psd:>9.1f} frames/s  ({t_psd:.1f} s)")
    for det, r in fig["clearreel"].items():
        print(
            f"clearreel [{det}] {r['frames_per_second']:>9.1f} frames/s  ({r['seconds']:.1f} s: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in r["stages_seconds"].items())
            + f"; {r['clips_out']} clips out)"
        )
        print(
            f"  TransNetV2 read {r['transnet_share']:.1%} of frames; hard cuts "
            f"{r['cuts_found']}, dissolves {r['dissolves_found']} (truth.json)"
        )
        print(f"  full curation / decode-only   = {r['vs_decode_only']:.2f}  (goal >= 0.5)")
        print(f"  full curation / PySceneDetect = {r['vs_pyscenedetect']:.2f}  (goal > 1)")
        print(f"  analysis stage / decode-only  = {r['analyse_vs_decode_only']:.2f}")


if __name__ == "__main__":
    main()
