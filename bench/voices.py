"""How well does speaker verification tell espeak-ng voices apart, and what does it cost?

Synthetic voices only (`make test-data`, tests/data/voices): espeak-ng speaking three
sentences each in four voices: a (en-us+m1), b (en+f4), c (en-gb-scotland+m7), and twin
(en-us+m3, a variant of a's voice: the same base voice with other formants and pitch).

A, b, c are enrolled with sentence 1 (the reference, embedded whole, as catalog import does);
the probes are sentences 2 and 3, cut into the 2 s speech windows curation embeds, under three
conditions: clean, AAC at 24 kbit/s in an MP4 (what a film's audio track is like, only worse),
and white noise at 10 dB SNR. Genuine: a probe window of a, b or c against its own speaker's
reference (false reject when the similarity is under the threshold); impostor: every probe
window against the other references (false accept when at or over it), the twin's windows
against all three (reported apart: the case espeak cannot make distinct).

    PYTHONPATH=src .venv/bin/python bench/voices.py [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "voices"
ENROLLED = ("a", "b", "c")
THRESHOLDS = (0.75, 0.80, 0.85, 0.90)


def aac(wav: np.ndarray) -> np.ndarray:
    """`wav` through AAC at 24 kbit/s in an MP4 and back."""
    import av

    from clearreel.media import voices

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "a.mp4"
        with av.open(str(p), "w") as c:
            s = c.add_stream("aac", rate=voices.RATE)
            s.layout = "mono"
            s.bit_rate = 24000
            for j in range(0, len(wav), 1024):
                f = av.AudioFrame.from_ndarray(wav[None, j:j + 1024].copy(), format="flt",
                                               layout="mono")
                f.sample_rate, f.pts = voices.RATE, j
                for pk in s.encode(f):
                    c.mux(pk)
            for pk in s.encode():
                c.mux(pk)
        return voices.decode(p)


def noisy(wav: np.ndarray, snr_db: float = 10.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = float(np.mean(wav ** 2)) / 10 ** (snr_db / 10)
    return (wav + rng.normal(0, np.sqrt(power), wav.shape)).astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (DATA / "a-1.wav").is_file():
        print(f"{DATA} is missing: run `make test-data` (needs espeak-ng)", file=sys.stderr)
        return 2
    from clearreel.media import voices
    from clearreel.rights.likeness import VOICE_THRESHOLD, embed_voice

    t = time.perf_counter()
    refs = {v: embed_voice(DATA / f"{v}-1.wav")[0] for v in ENROLLED}
    t_ref = (time.perf_counter() - t) / len(refs)
    conditions = {"clean": lambda w: w, "aac_24k": aac, "noise_10db": noisy}
    sims: list[dict] = []  # {speaker, condition, sims: {ref: s}}
    n_win, t_win = 0, 0.0
    for v in (*ENROLLED, "twin"):
        for k in (2, 3):
            clean = voices.decode(DATA / f"{v}-{k}.wav")
            for cond, f in conditions.items():
                wav = f(clean)
                t = time.perf_counter()
                got = voices.segment_embeddings(wav)
                t_win += time.perf_counter() - t
                n_win += len(got)
                for seg, e in got:
                    sims.append({"speaker": v, "sentence": k, "condition": cond,
                                 "start": round(seg.start, 2),
                                 "sims": {r: float(e @ refs[r]) for r in ENROLLED}})
    rows = []
    for th in THRESHOLDS:
        row: dict = {"threshold": th}
        for cond in (*conditions, "all"):
            sel = [s for s in sims if cond in ("all", s["condition"])]
            gen = [s["sims"][s["speaker"]] for s in sel if s["speaker"] in ENROLLED]
            imp = [x for s in sel if s["speaker"] in ENROLLED
                   for r, x in s["sims"].items() if r != s["speaker"]]
            twin = [s["sims"]["a"] for s in sel if s["speaker"] == "twin"]
            row[cond] = {"false_reject": sum(g < th for g in gen), "genuine": len(gen),
                         "false_accept": sum(i >= th for i in imp), "impostor": len(imp),
                         "twin_accepted_as_a": sum(x >= th for x in twin), "twin": len(twin)}
        rows.append(row)
    gen_all = [s["sims"][s["speaker"]] for s in sims if s["speaker"] in ENROLLED]
    imp_all = [x for s in sims if s["speaker"] in ENROLLED
               for r, x in s["sims"].items() if r != s["speaker"]]
    per_cond = {c: {"genuine_min": round(min(s["sims"][s["speaker"]] for s in sims
                                             if s["condition"] == c
                                             and s["speaker"] in ENROLLED), 3),
                    "impostor_max": round(max(x for s in sims if s["condition"] == c
                                              and s["speaker"] in ENROLLED
                                              for r, x in s["sims"].items()
                                              if r != s["speaker"]), 3),
                    "twin_vs_a": [round(min(s["sims"]["a"] for s in sims if s["condition"] == c
                                            and s["speaker"] == "twin"), 3),
                                  round(max(s["sims"]["a"] for s in sims if s["condition"] == c
                                            and s["speaker"] == "twin"), 3)]}
                for c in conditions}
    out = {"threshold": VOICE_THRESHOLD, "windows": n_win, "sweep": rows,
           "genuine_min": round(min(gen_all), 3), "impostor_max": round(max(imp_all), 3),
           "per_condition": per_cond,
           "ms_per_reference": round(1000 * t_ref, 1),
           "ms_per_window": round(1000 * t_win / max(1, n_win), 1)}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    buf = io.StringIO()
    buf.write(f"{n_win} probe windows; threshold {VOICE_THRESHOLD}\n")
    for row in rows:
        a = row["all"]
        buf.write(f"  {row['threshold']:.2f}: FR {a['false_reject']}/{a['genuine']}  "
                  f"FA {a['false_accept']}/{a['impostor']}  twin as a "
                  f"{a['twin_accepted_as_a']}/{a['twin']}  | " + "  ".join(
                      f"{c}: FR {row[c]['false_reject']} FA {row[c]['false_accept']}"
                      for c in conditions) + "\n")
    buf.write(f"genuine min {out['genuine_min']}, impostor max {out['impostor_max']}\n")
    for c, v in per_cond.items():
        buf.write(f"  {c}: {v}\n")
    buf.write(f"{out['ms_per_reference']} ms per reference, {out['ms_per_window']} ms per "
              "window (VAD + embedding)\n")
    print(buf.getvalue(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
