"""The attribution stage's public functions: index a dataset, query, attribute, guard copies."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.config import Settings
from clearreel.dataset.clip import ManifestClip
from clearreel.errors import UsageError
from clearreel.util.alloc import by_key, largest_remainder

from .embedders import DEFAULT_EMBEDDER, get_embedder
from .index import FingerprintIndex, Match, Progress, fingerprint_query

# The copy guard's threshold on the alignment score (best 1.5 s mean cosine of aligned
# clearreel-vd frame descriptors). Measured by bench/copy_detection.py on held-out media
# (--seed 1, full run): the smallest 0.01 step above 99 % of 74 unrelated distractors' top-1
# scores (max 0.701, p99 0.688); at it the guard blocks 97.8 % of 510 transformed copies
# (crop 90 %, overlay 92 %, colour 96 %, the other seven transforms 100 %) and none of the
# distractors. Distributions and how to re-measure: docs/attribution.md.
COPY_THRESHOLD = 0.71

# Attribution: shares from a softmax over the alignment scores of the nearest clips; at 0.05 a
# clip 0.1 less similar weighs e^-2 (0.14) as much. Shares are rounded to this many places.
SHARE_TEMPERATURE = 0.05
SHARE_PLACES = 6

# The attribution floor: an output whose nearest training clips score below it resembles no
# training clip, and its revenue goes to the studio's unattributed pool instead of to works
# (before the floor, a best score of 0.29 still gave one work a 100 % share). Measured by
# bench/copy_detection.py --quick (seed 1): unrelated distractors' best scores have median
# 0.450, p99 0.546, max 0.600; true copies min 0.650. The floor sits above the median of
# unrelated footage and below every copy; clips under it do not take a share either.
ATTRIBUTION_FLOOR = 0.50


@dataclass
class ClipSet:
    """A dataset as the attribution stage sees it."""

    name: str
    manifest_sha256: str
    root: Path
    clips: list[ManifestClip]
    id: str | None = None


def load_clipset(settings: Settings, name: str) -> ClipSet:
    """The clips of dataset ``name`` (``clearreel.dataset.load``)."""
    from clearreel.dataset import load

    ds = load(settings, name)
    return ClipSet(ds.name, ds.manifest_sha256, Path(ds.root), list(ds.clips), id=str(ds.id))


def index_dir(clipset: ClipSet) -> Path:
    return clipset.root / "attribution"


def build_index(clipset: ClipSet, *, embedder: str = DEFAULT_EMBEDDER,
                model_dir: str | Path | None = None, kind: str = "auto",
                progress: Progress | None = None,
                ) -> dict[str, Any]:
    """Fingerprint every clip of ``clipset`` and store the index beside the dataset."""
    emb = get_embedder(embedder, model_dir=model_dir)
    idx = FingerprintIndex.build(clipset.clips, emb, kind=kind, progress=progress)
    out = idx.save(index_dir(clipset), dataset=clipset.name,
                   manifest_sha256=clipset.manifest_sha256, dataset_id=clipset.id)
    _CACHE.pop(str(out), None)
    return {"dataset": clipset.name, "clips": len(clipset.clips), "frames": len(idx.frames),
            "embedder": emb.name, "dim": emb.dim, "index": idx.kind, "path": str(out),
            "manifest_sha256": clipset.manifest_sha256}


def index_dataset(settings: Settings, name: str, **options: Any) -> dict[str, Any]:
    """``clearreel attribution index --dataset NAME``: returns a summary of what was built."""
    return build_index(load_clipset(settings, name), **options)


_CACHE: dict[str, tuple[float, FingerprintIndex]] = {}


def open_index(clipset: ClipSet) -> FingerprintIndex:
    """The dataset's index; refused when missing or built for another manifest (stale)."""
    d = index_dir(clipset)
    meta = d / "meta.json"
    if not meta.is_file():
        raise UsageError(f"dataset {clipset.name!r} has no attribution index: run "
                         f"`clearreel attribution index --dataset {clipset.name}`")
    mtime = meta.stat().st_mtime
    hit = _CACHE.get(str(d))
    idx = hit[1] if hit and hit[0] == mtime else FingerprintIndex.load(d)
    _CACHE[str(d)] = (mtime, idx)
    built_for = idx.meta.get("manifest_sha256")
    if built_for != clipset.manifest_sha256:
        raise UsageError(f"the attribution index of dataset {clipset.name!r} is stale: built for "
                         f"manifest {str(built_for)[:12]}…, the dataset is now "
                         f"{clipset.manifest_sha256[:12]}…; rebuild it with "
                         f"`clearreel attribution index --dataset {clipset.name}`")
    return idx


def indexed_datasets(settings: Settings) -> list[str]:
    from clearreel.db import resolve_org

    root = settings.org_dir("datasets", resolve_org(settings))
    return sorted(p.parent.parent.name for p in root.glob("*/attribution/meta.json"))


def query(settings: Settings, path_or_frames: str | Path | np.ndarray,
          dataset: str | Sequence[str] | None = None, top: int = 5,
          fps: float | None = None) -> list[Match]:
    """The ``top`` training clips nearest to a video, best first, across one or more datasets.

    Without ``dataset``, every dataset of the workspace that has an index is searched.
    ``path_or_frames`` is a file, or ``(T, H, W, 3)`` uint8 frames played at ``fps``.
    """
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    _check_query(path_or_frames)
    names = [dataset] if isinstance(dataset, str) else list(dataset or indexed_datasets(settings))
    if not names:
        raise UsageError("no dataset has an attribution index yet: run "
                         "`clearreel attribution index --dataset NAME` first")
    matches: list[Match] = []
    queries: dict[str, Any] = {}
    for name in names:
        idx = open_index(load_clipset(settings, name))
        key = repr(sorted(idx.embedder.config().items()))
        if key not in queries:  # one fingerprint per embedder configuration
            queries[key] = fingerprint_query(idx.embedder, path_or_frames, fps)
        matches.extend(idx.search(queries[key], top=top))
    matches.sort(key=lambda m: (-m.score, m.dataset, m.clip))
    return matches[:top]


def _check_query(path_or_frames: str | Path | np.ndarray) -> None:
    if isinstance(path_or_frames, np.ndarray):
        return
    p = Path(path_or_frames)
    if not p.is_file():
        raise UsageError(f"{p}: no such file; give the path of a video file")


def shares_from_scores(scores: Sequence[tuple[str, float]], temperature: float = SHARE_TEMPERATURE,
                       places: int = SHARE_PLACES) -> list[dict[str, Any]]:
    """Shares per work from (work, similarity) pairs: a softmax over the pairs, summed per work,
    rounded to ``places`` decimals by the largest-remainder method so they sum to exactly 1."""
    if not scores:
        return []
    top = max(s for _, s in scores)
    weights: dict[str, Fraction] = {}
    for work, s in scores:  # each softmax weight taken exactly, summed exactly per work
        weights[work] = weights.get(work, Fraction(0)) + Fraction(math.exp((s - top) / temperature))
    unit = Decimal(1).scaleb(-places)                   # 0.000001
    units = 10 ** places                                # shares in units of 10^-places
    # Largest remainder first; ties by work id, so the result is deterministic.
    counts = largest_remainder(units, weights, tie=by_key)
    out = sorted(((w, (Decimal(n) * unit).quantize(unit)) for w, n in counts.items() if n),
                 key=lambda r: (-r[1], r[0]))
    return [{"work": w, "share": share} for w, share in out]


def attributed_shares(matches: Sequence[Match], floor: float = ATTRIBUTION_FLOOR,
                      temperature: float = SHARE_TEMPERATURE) -> list[dict[str, Any]]:
    """Shares from the matches at or above the attribution floor; [] when none reaches it
    (the output resembles no training clip: unattributed)."""
    return shares_from_scores([(m.work, m.score) for m in matches if m.score >= floor],
                              temperature)


def attribute(settings: Settings, path_or_frames: str | Path | np.ndarray, dataset: str,
              top: int = 10, fps: float | None = None,
              temperature: float = SHARE_TEMPERATURE,
              floor: float = ATTRIBUTION_FLOOR) -> list[dict[str, Any]]:
    """A share per work (``Decimal``, summing to exactly 1) from the ``top`` nearest clips at or
    above ``floor``; [] when the output resembles no training clip."""
    matches = query(settings, path_or_frames, dataset, top=top, fps=fps)
    return attributed_shares(matches, floor, temperature)


def copy_guard(settings: Settings, path_or_frames: str | Path | np.ndarray, dataset: str,
               threshold: float | None = None, fps: float | None = None,
               audit: bool = True, subject: str | None = None) -> Match | None:
    """The training clip an output copies (its best match scores at least ``threshold``), or None.

    A returned match means: block the output before delivery, naming that clip. The decision
    is written to the audit log (``attribution.copy_guard``) when ``audit`` is set.
    """
    matches = query(settings, path_or_frames, dataset, top=1, fps=fps)
    return _guard(settings, matches, dataset, threshold, audit, subject)


def _guard(settings: Settings, matches: list[Match], dataset: str, threshold: float | None,
           audit: bool, subject: str | None) -> Match | None:
    limit = COPY_THRESHOLD if threshold is None else float(threshold)
    hit = matches[0] if matches and matches[0].score >= limit else None
    if audit:
        from clearreel.db import open_session
        from clearreel.rights.audit import record

        best = matches[0].to_json() if matches else None
        with open_session(settings) as s:
            record(s, "attribution.copy_guard", subject or dataset, dataset=dataset,
                   threshold=limit, blocked=hit is not None, best=best)
    return hit


@dataclass
class Assessment:
    """What generation needs of an output before delivery, from one fingerprint."""

    attribution: list[dict[str, Any]]   # [{"work", "share": Decimal}], sums to exactly 1
    copy: Match | None                  # the training clip it copies: block delivery
    matches: list[Match]                # the nearest clips, best first
    floor: float = ATTRIBUTION_FLOOR

    @property
    def blocked(self) -> bool:
        return self.copy is not None

    @property
    def unattributed(self) -> dict[str, Any] | None:
        """Why the output has no attribution (its best match is under the floor), or None."""
        if self.attribution:
            return None
        best = self.matches[0].score if self.matches else None
        return {"floor": self.floor, "best": None if best is None else round(float(best), 4),
                "reason": "the output resembles no training clip: its best match scores "
                          + ("nothing" if best is None else f"{best:.3f}")
                          + f", under the attribution floor {self.floor:.2f}"}

    def to_json(self) -> dict[str, Any]:
        return {"attribution": [{"work": a["work"], "share": str(a["share"])}
                                for a in self.attribution],
                "unattributed": self.unattributed,
                "blocked": self.blocked, "copy": self.copy.to_json() if self.copy else None}


def assess(settings: Settings, path_or_frames: str | Path | np.ndarray, dataset: str, *,
           fps: float | None = None, top: int = 10, threshold: float | None = None,
           audit: bool = True, subject: str | None = None) -> Assessment:
    """``attribute`` and ``copy_guard`` of one output in one pass (one decode, one search)."""
    matches = query(settings, path_or_frames, dataset, top=top, fps=fps)
    return Assessment(attributed_shares(matches),
                      _guard(settings, matches, dataset, threshold, audit, subject), matches)
