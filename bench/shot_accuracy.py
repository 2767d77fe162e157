"""Shot detection accuracy on the sample studio, every detector against its truth.json.

Runs each registered detector (and stock PySceneDetect AdaptiveDetector alone, without
clearreel's gradual-transition pass, as the peer) over the same analysis decode of every film:
hard-cut recall and precision within ±2 frames, dissolves with a boundary inside, blended
dissolve frames left inside shots (frames that would reach training clips), and speed.

    .venv/bin/python bench/shot_accuracy.py --films 4 --seconds 45 --size 320x180
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

TOL = 2


def score(shots: list[Any], t: dict[str, Any]) -> dict[str, int]:
    dissolves = [tuple(x) for x in t["dissolves"]]
    hard = [c for c in t["cuts"] if not any(a <= c <= b + 1 for a, b in dissolves)]
    found = [(a.end_frame + 1 + b.start_frame) / 2 for a, b in itertools.pairwise(shots)]
    near = [(a - TOL, b + TOL) for a, b in dissolves]
    inside = [f for f in found if any(a <= f <= b for a, b in near)]
    rest = [f for f in found if f not in inside]
    return {
        "tp": sum(any(abs(f - c) <= TOL for f in rest) for c in hard),
        "hard": len(hard),
        "fp": sum(not any(abs(f - c) <= TOL for c in hard) for f in rest)
        + max(0, len(inside) - len(dissolves)),
        "dissolves": len(dissolves),
        "dissolves_found": sum(any(a <= f <= b for f in found) for a, b in near),
        "blended_in_shots": sum(
            1
            for s in shots
            for a, b in dissolves
            for i in range(a, b + 1)
            if s.start_frame <= i <= s.end_frame
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=45.0)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", type=Path, default=None, help="reuse or keep the studio here")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))

    from clearreel.curate.analyse import analysis_size
    from clearreel.curate.config import CurateConfig
    from clearreel.curate.shots import DETECTORS, detect_shots
    from clearreel.media import decode
    from clearreel.sample import make_sample_studio

    root = args.dir or Path(tempfile.mkdtemp(prefix="shots-"))
    if not (root / "truth.json").exists():
        make_sample_studio(
            root,
            seed=args.seed,
            films=args.films,
            width=w,
            height=h,
            seconds=args.seconds,
            bbb=False,
        )
    truth = json.loads((root / "truth.json").read_text())
    runs = {name: CurateConfig(detector=name) for name in DETECTORS}
    runs["AdaptiveDetector alone (peer)"] = CurateConfig(
        detector="pyscenedetect", gradual_transitions=False
    )
    totals = {k: {"seconds": 0.0, "frames": 0} for k in runs}
    for t in truth["works"].values():
        d = decode(root / t["media"], *analysis_size(w, h, 160))
        for key, cfg in runs.items():
            t0 = time.perf_counter()
            shots = detect_shots(cfg.detector, d, cfg)
            totals[key]["seconds"] += time.perf_counter() - t0
            totals[key]["frames"] += d.count
            for k, v in score(shots, t).items():
                totals[key][k] = totals[key].get(k, 0) + v
    print(f"sample studio: {args.films} films x {args.seconds:g} s at {w}x{h}, analysis at 160 px")
    print(
        "| detector | hard cuts found | recall | precision | dissolves "
        "| blended frames in shots | frames/s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for key, r in totals.items():
        recall = r["tp"] / max(1, r["hard"])
        precision = r["tp"] / max(1, r["tp"] + r["fp"])
        fps = r["frames"] / max(r["seconds"], 1e-9)
        print(
            f"| {key} | {r['tp']}/{r['hard']} | {recall:.3f} | {precision:.3f} | "
            f"{r['dissolves_found']}/{r['dissolves']} | {r['blended_in_shots']} | {fps:.0f} |"
        )


if __name__ == "__main__":
    main()
