"""The demo's metric: did the model learn the characters? A colour statistic, cheap enough.

For each character, the model is prompted with the character's name alone; the generated
frames' colour histogram (8 bins per channel, joint RGB, 512 bins, L1-normalised) is compared
with the histogram of every character's training clips. Distance: half the L1 distance
(total variation, 0 = identical, 1 = disjoint). The model "recognises" a character when its
name's output is closer to that character's clips than to any other character's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from clearreel.config import Settings


def colour_histogram(frames: np.ndarray, bins: int = 8) -> np.ndarray:
    """(T, H, W, 3) uint8 -> normalised joint RGB histogram (bins**3,)."""
    q = (frames.reshape(-1, 3).astype(np.int64) * bins) // 256
    idx = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    h = np.bincount(idx, minlength=bins**3).astype(np.float64)
    return h / max(1.0, h.sum())


def tv_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(0.5 * np.abs(a - b).sum())


def character_resemblance(
    settings: Settings,
    model: str,
    clips: Sequence[Any],
    names: dict[str, str],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    steps: int | None = None,
    characters: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Per character: how close its name's output is to its own shots and to the others.

    Own shots: the training clips where the character appears; other shots: the rest.
    `recognised` when the nearest clip (histogram distance) is one of its own, and the mean
    colour is nearer its own shots' mean colour than the other shots'.
    """
    from clearreel.generate.video import generate_frames
    from clearreel.train.data import decode_clip
    from clearreel.train.registry import get_model

    rec = get_model(settings, model)
    _f, h, w = (rec.metrics.get("buckets") or [[9, 32, 48]])[0]
    decoded = {c.id: decode_clip(c.path, int(w), int(h))[0] for c in clips}
    hists = {cid: colour_histogram(fr) for cid, fr in decoded.items()}
    means = {cid: fr.reshape(-1, 3).mean(0) for cid, fr in decoded.items()}
    present = sorted({ch for c in clips for ch in (c.characters or [])})
    rows = []
    for ch in characters or present:
        own = [c.id for c in clips if ch in (c.characters or [])]
        other = [c.id for c in clips if ch not in (c.characters or [])]
        if not own or not other:
            continue
        gen = np.concatenate(
            [
                generate_frames(settings, model, names.get(ch, ch), seed=s, steps=steps)[0]
                for s in seeds
            ]
        )
        hist, mean = colour_histogram(gen), gen.reshape(-1, 3).mean(0)
        dist = {cid: tv_distance(hist, hists[cid]) for cid in decoded}
        own_mean = np.mean([means[c] for c in own], axis=0)
        other_mean = np.mean([means[c] for c in other], axis=0)
        h_own, h_other = min(dist[c] for c in own), min(dist[c] for c in other)
        m_own = float(np.linalg.norm(mean - own_mean))
        m_other = float(np.linalg.norm(mean - other_mean))
        row = {
            "character": ch,
            "prompt": names.get(ch, ch),
            "own_shots": len(own),
            "other_shots": len(other),
            "histogram_distance_own": round(h_own, 4),
            "histogram_distance_other": round(h_other, 4),
            "mean_colour_distance_own": round(m_own, 2),
            "mean_colour_distance_other": round(m_other, 2),
            "recognised": bool(h_own < h_other and m_own < m_other),
        }
        rows.append(row)
    hits = sum(bool(r["recognised"]) for r in rows)
    return {"model": model, "characters": rows, "recognised": hits, "total": len(rows)}


__all__ = ["character_resemblance", "colour_histogram", "tv_distance"]


def train_and_evaluate(
    settings: Settings,
    dataset: str,
    *,
    name: str = "studio-tiny",
    base: str = "tiny",
    config: dict[str, Any] | None = None,
    replace: bool = False,
    log: Callable[[str], None] | None = None,
    show_progress: bool = True,
) -> dict[str, Any]:
    """The demo's training stage: train the tiny base on `dataset` (TINY_DEMO_CONFIG), then
    prompt it with each character's name and measure the colour statistic
    (`character_resemblance` above). Returns {"model": record JSON, "seconds", "resemblance"}."""
    import time

    from clearreel.dataset import load
    from clearreel.train import TINY_DEMO_CONFIG, character_names, train_model

    t = time.perf_counter()
    rec = train_model(settings, dataset, base, name, {**TINY_DEMO_CONFIG, **(config or {})},
                      replace=replace, log=log, show_progress=show_progress)
    seconds = time.perf_counter() - t
    report = character_resemblance(settings, name, load(settings, dataset).clips,
                                   character_names(settings))
    return {"model": rec.to_json(), "seconds": round(seconds, 1), "resemblance": report}
