"""Attribution: fingerprints of training clips, nearest-clip search, shares per work, copy guard.

``index_dataset`` fingerprints a dataset's clips into a FAISS index stored with the dataset;
``query`` finds the nearest training clips of a video and where the match lies in time;
``attribute`` turns them into a share per work (Decimals that sum to exactly 1), recorded with
each generated output; ``copy_guard`` names the training clip an output copies, so generation
can refuse to deliver it. Design and measurements: docs/attribution.md.
"""

from __future__ import annotations

from .embedders import DEFAULT_EMBEDDER, EMBEDDERS, Embedder, Fingerprint, get_embedder
from .index import FingerprintIndex, Match
from .service import (
    ATTRIBUTION_FLOOR,
    COPY_THRESHOLD,
    Assessment,
    ClipSet,
    assess,
    attribute,
    build_index,
    copy_guard,
    index_dataset,
    load_clipset,
    query,
    shares_from_scores,
)

__all__ = [
    "ATTRIBUTION_FLOOR",
    "COPY_THRESHOLD",
    "DEFAULT_EMBEDDER",
    "EMBEDDERS",
    "Assessment",
    "ClipSet",
    "Embedder",
    "Fingerprint",
    "FingerprintIndex",
    "Match",
    "assess",
    "attribute",
    "build_index",
    "copy_guard",
    "get_embedder",
    "index_dataset",
    "load_clipset",
    "query",
    "shares_from_scores",
]
