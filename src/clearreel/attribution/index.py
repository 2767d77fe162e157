"""The fingerprint index of a dataset: FAISS over clip vectors, plus frame sequences.

Stored with the dataset, in ``datasets/NAME/attribution/``:

* ``meta.json``: format, dataset name and manifest sha256 (an index built for another
  manifest is stale and refused), the embedder's full config, the FAISS index kind, counts;
* ``index.faiss``: inner product over L2-normalised clip vectors (cosine similarity);
  ``flat`` (exact, the default up to 250 000 clips), ``hnsw`` or ``ivf`` for larger sets;
* ``clips.parquet``: one row per clip (id, work, frame range, fps, where its frames are);
* ``frames.npy``: every clip's frame descriptors (float16), for re-ranking and localisation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.dataset.clip import ManifestClip
from clearreel.errors import UsageError

from ._video import decode
from .embedders import Embedder, Fingerprint, embedder_from_config
from .matching import align

FORMAT = 1
# Above this many clips "auto" builds an HNSW graph instead of the exact flat index. Measured
# (bench/copy_detection.py, 1 thread): a flat search of 10^5 clips takes ~3 ms, less than the
# re-ranking that follows it (~40 ms), so exact search is the right default well past 10^5.
FLAT_MAX = 250_000
# A progress wrapper: (clips, label, total) -> the same clips, reporting as they are used.
Progress = Callable[[Iterable[ManifestClip], str, int], Iterable[ManifestClip]]


@dataclass
class Match:
    """A training clip matched by a query, with where the match lies in both videos."""

    clip: str
    work: str
    start_frame: int          # the clip's range in its work (inclusive), as in the dataset
    end_frame: int
    score: float              # mean cosine of aligned frame descriptors, in [-1, 1]
    query_start: int          # first and last query frame of the matching segment
    query_end: int
    clip_offset: int          # frames into the clip file where the matching segment starts
    query_fps: float
    clip_fps: float
    source_fps: float         # the work's frame rate
    speed: float = 1.0        # clip seconds per query second in the best alignment
    mirrored: bool = False    # the query matched as a horizontal mirror image
    dataset: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "clip": self.clip, "work": self.work, "start_frame": self.start_frame,
            "end_frame": self.end_frame, "score": round(self.score, 4),
            "query_start": self.query_start, "query_end": self.query_end,
            "query_start_s": round(self.query_start / self.query_fps, 3),
            "query_end_s": round((self.query_end + 1) / self.query_fps, 3),
            "clip_offset": self.clip_offset,
            "clip_offset_s": round(self.clip_offset / self.clip_fps, 3),
            # the work's frame where the matching segment starts
            "work_frame": self.start_frame + round(self.clip_offset / self.clip_fps
                                                       * self.source_fps),
            "speed": self.speed, "mirrored": self.mirrored, "dataset": self.dataset,
        }


@dataclass
class Query:
    """A fingerprinted query: the video and its mirror image."""

    fp: Fingerprint
    mirrored: Fingerprint
    fps: float
    frames: int


def fingerprint_query(embedder: Embedder, path_or_frames: str | Path | np.ndarray,
                      fps: float | None = None) -> Query:
    """Fingerprint a file (decoded at the embedder's size) or ``(T, H, W, 3)`` uint8 frames."""
    if isinstance(path_or_frames, np.ndarray):
        frames, rate = path_or_frames, float(fps or 24.0)
    else:
        frames, rate = decode(path_or_frames, *embedder.decode_size)
    fp = embedder.embed(frames, rate)
    return Query(fp, embedder.mirrored(fp, frames, rate), rate, len(frames))


@dataclass
class FingerprintIndex:
    embedder: Embedder
    clips: list[ManifestClip]
    vectors: np.ndarray                 # (N, D) float32
    frames: np.ndarray                  # (F, d) float16, all clips' sequences concatenated
    starts: np.ndarray                  # (N,) first row of each clip in `frames`
    lengths: np.ndarray                 # (N,)
    kind: str = "flat"
    meta: dict[str, Any] = field(default_factory=dict)
    _faiss: Any = None

    # -- building -----------------------------------------------------------------------------
    @classmethod
    def build(cls, clips: Sequence[ManifestClip], embedder: Embedder, kind: str = "auto",
              progress: Progress | None = None,
              ) -> FingerprintIndex:
        """Fingerprint every clip (one low-resolution decode each) and index the vectors."""
        if not clips:
            raise UsageError("the dataset has no clips to index")
        kind = resolve_kind(kind, len(clips))  # refuse a bad kind before any decoding
        it: Iterable[ManifestClip] = (
            progress(clips, "fingerprinting", len(clips)) if progress else clips)
        vecs, seqs = [], []
        for c in it:
            frames, fps = decode(c.path, *embedder.decode_size)
            fp = embedder.embed(frames, c.fps or fps)
            vecs.append(fp.vector)
            seqs.append(fp.frames)
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        idx = cls(embedder, list(clips), np.stack(vecs).astype(np.float32),
                  np.concatenate(seqs).astype(np.float16), starts, lengths,
                  kind=kind)
        idx._faiss = make_faiss(idx.vectors, idx.kind)
        return idx

    # -- storage ------------------------------------------------------------------------------
    def save(self, directory: Path, *, dataset: str, manifest_sha256: str,
             dataset_id: str | None = None) -> Path:
        import faiss
        import pyarrow as pa
        import pyarrow.parquet as pq

        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index(), str(directory / "index.faiss"))
        np.save(directory / "frames.npy", self.frames)
        pq.write_table(pa.table({
            "id": [c.id for c in self.clips], "work": [c.work for c in self.clips],
            "start_frame": [c.start_frame for c in self.clips],
            "end_frame": [c.end_frame for c in self.clips],
            "fps": [float(c.fps) for c in self.clips],
            "path": [str(c.path) for c in self.clips],
            "source_fps": [float(c.source_fps or c.fps) for c in self.clips],
            "seq_start": self.starts, "seq_len": self.lengths,
        }), directory / "clips.parquet")
        self.meta = {
            "format": FORMAT, "dataset": dataset, "dataset_id": dataset_id,
            "manifest_sha256": manifest_sha256, "embedder": self.embedder.config(),
            "index": self.kind, "clips": len(self.clips), "frames": len(self.frames),
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        # meta.json last: its presence marks a complete index.
        (directory / "meta.json").write_text(json.dumps(self.meta, indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: Path) -> FingerprintIndex:
        import faiss
        import pyarrow.parquet as pq

        meta_path = directory / "meta.json"
        if not meta_path.is_file():
            raise UsageError(f"no attribution index in {directory}: build it with "
                             f"`clearreel attribution index --dataset NAME`")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT:
            raise UsageError(f"{directory}: index format {meta.get('format')} is not {FORMAT}; "
                             f"rebuild it with `clearreel attribution index --dataset "
                             f"{meta.get('dataset', 'NAME')}`")
        t = pq.read_table(directory / "clips.parquet").to_pydict()
        clips = [ManifestClip(id=t["id"][i], work=t["work"][i],
                              start_frame=int(t["start_frame"][i]),
                              end_frame=int(t["end_frame"][i]), fps=float(t["fps"][i]),
                              path=Path(t["path"][i]), source_fps=float(t["source_fps"][i]))
                 for i in range(len(t["id"]))]
        fi = faiss.read_index(str(directory / "index.faiss"))
        vectors = fi.reconstruct_n(0, fi.ntotal) if meta["index"] == "flat" else np.empty((0, 0))
        idx = cls(embedder_from_config(meta["embedder"]), clips, np.asarray(vectors, np.float32),
                  np.load(directory / "frames.npy"), np.asarray(t["seq_start"], np.int64),
                  np.asarray(t["seq_len"], np.int64), kind=meta["index"], meta=meta)
        idx._faiss = fi
        return idx

    # -- search -------------------------------------------------------------------------------
    def _index(self) -> Any:
        if self._faiss is None:
            self._faiss = make_faiss(self.vectors, self.kind)
        return self._faiss

    def sequence(self, i: int) -> np.ndarray:
        s, n = int(self.starts[i]), int(self.lengths[i])
        return self.frames[s:s + n].astype(np.float32)

    def search(self, q: Query, top: int = 5, candidates: int = 64) -> list[Match]:
        """Nearest clips by vector (the query and its mirror), re-ranked by temporal alignment."""
        k = min(max(candidates, top), len(self.clips))
        _, ids = self._index().search(np.stack([q.fp.vector, q.mirrored.vector]), k)
        scored: list[Match] = []
        for i in sorted({int(i) for i in ids.ravel() if i >= 0}):
            ref = self.sequence(i)
            a, b = align(q.fp.frames, ref), align(q.mirrored.frames, ref)
            best, mirrored = (b, True) if b.score > a.score else (a, False)
            scored.append(self._match(i, best, mirrored, q))
        scored.sort(key=lambda m: (-m.score, m.clip))
        return scored[:top]

    def _match(self, i: int, a: Any, mirrored: bool, q: Query) -> Match:
        c = self.clips[i]
        sfps = self.embedder.sample_fps
        q0 = round(a.q_start / sfps * q.fps)
        q1 = min(q.frames - 1, max(q0, round((a.q_end + 1) / sfps * q.fps) - 1))
        off = round(a.r_start / sfps * c.fps)
        return Match(c.id, c.work, c.start_frame, c.end_frame, a.score, q0, q1, off, q.fps, c.fps,
                     c.source_fps or c.fps,
                     speed=a.speed, mirrored=mirrored, dataset=str(self.meta.get("dataset", "")))


def resolve_kind(kind: str, n: int) -> str:
    if kind == "auto":
        return "flat" if n <= FLAT_MAX else "hnsw"
    if kind not in ("flat", "hnsw", "ivf"):
        raise UsageError(f"unknown index kind {kind!r}: choose auto, flat, hnsw or ivf")
    return kind


def make_faiss(vectors: np.ndarray, kind: str) -> Any:
    """A FAISS inner-product index over unit vectors (inner product = cosine similarity)."""
    import faiss

    n, d = vectors.shape
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 256
    elif kind == "ivf":
        nlist = max(1, min(int(4 * np.sqrt(n)), n // 39 or 1))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(x)
        index.nprobe = min(nlist, 16)
    else:
        raise UsageError(f"unknown index kind {kind!r}")
    index.add(x)
    return index


__all__ = ["FingerprintIndex", "Match", "Progress", "Query", "fingerprint_query"]
