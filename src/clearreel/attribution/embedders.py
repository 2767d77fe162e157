"""Embedders by name: a video becomes a clip vector (for the FAISS index) and a frame sequence.

``EMBEDDERS`` maps a name to a factory. ``clearreel-vd`` is the default: a compact,
hand-designed video descriptor that needs no download (its design and measured robustness are
in docs/attribution.md). ``clip`` and ``dinov2`` wrap learned image encoders from
transformers, loaded from a local directory (``from_pretrained(dir, local_files_only=True)``)
when a studio has the weights; frames are embedded one by one and averaged.

Every embedder returns a :class:`Fingerprint`: ``vector`` (D,) L2-normalised, used for the
nearest-neighbour search, and ``frames`` (N, d) with L2-normalised rows sampled at
``sample_fps``, used to re-rank candidates by temporal alignment and to locate the match.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from clearreel.errors import MissingDependency, UsageError

from ._video import resize_frames, sample_indices


@dataclass
class Fingerprint:
    vector: np.ndarray       # (D,) float32, unit L2 norm
    frames: np.ndarray       # (N, d) float32, unit L2 rows, one per 1/sample_fps seconds
    sample_fps: float


def _unit(x: np.ndarray, axis: int = -1) -> np.ndarray:
    n = np.linalg.norm(x, axis=axis, keepdims=True)
    return (x / np.maximum(n, 1e-8)).astype(np.float32)


def _zscore(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = x.mean(axis=axis, keepdims=True)
    s = x.std(axis=axis, keepdims=True)
    return (x - m) / np.maximum(s, 1e-6)


class Embedder:
    """Base class: subclasses implement ``_frame_features`` on sampled frames."""

    name: ClassVar[str] = ""
    decode_size: tuple[int, int] = (64, 64)  # (width, height) frames are decoded at
    sample_fps: float = 8.0
    dim: int = 0          # clip vector dimension (= frame dimension for every built-in)

    def config(self) -> dict[str, Any]:
        """Everything that changes the vectors; saved with the index, compared on load."""
        return {"name": self.name, "sample_fps": self.sample_fps, "dim": self.dim,
                "decode_size": list(self.decode_size)}

    def embed(self, frames: np.ndarray, fps: float) -> Fingerprint:
        """Fingerprint ``(T, H, W, 3)`` uint8 RGB frames played at ``fps``."""
        if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
            raise UsageError(f"frames must be a non-empty (T, H, W, 3) uint8 array, "
                             f"got {frames.shape}")
        idx = sample_indices(len(frames), fps, self.sample_fps)
        sampled = resize_frames(np.ascontiguousarray(frames[idx]), *self.decode_size)
        seq = _unit(self._frame_features(sampled))
        return Fingerprint(vector=_unit(seq.mean(axis=0)), frames=seq, sample_fps=self.sample_fps)

    def mirrored(self, fp: Fingerprint, frames: np.ndarray, fps: float) -> Fingerprint:
        """The fingerprint of the horizontally flipped video (default: embed it again)."""
        return self.embed(frames[:, :, ::-1], fps)

    def _frame_features(self, frames: np.ndarray) -> np.ndarray:  # (N, h, w, 3) -> (N, d)
        raise NotImplementedError


@dataclass(frozen=True)
class VDConfig:
    """The clearreel-vd descriptor's parameters (saved with every index built with it)."""

    sample_fps: float = 8.0     # samples per second of content
    grid: int = 32              # luma is reduced to grid x grid before the DCT (pHash uses 32)
    dct: int = 8                # keep the dct x dct lowest frequencies, minus DC (pHash: 8)
    cells: int = 4              # colour and motion are pooled on a cells x cells layout
    w_dct: float = 0.74         # block weights; each block is unit-normalised first (chosen on
                                # bench/copy_detection.py --seed 0, see docs/attribution.md)
    w_colour: float = 0.60
    w_motion: float = 0.30
    dct_gain: float = 0.0       # coefficient (u, v) is scaled by (1 + u + v) ** dct_gain
    colour: str = "ab"          # "ab": a*, b* layout; "chroma": |(a*, b*)| layout (hue-free)


class VideoDescriptor(Embedder):
    """clearreel-vd: per sampled frame, three blocks, each invariant to what copies change.

    * structure: the pHash construction (Zauner 2010): luma at 32x32, zero mean and unit
      variance (removes brightness and contrast changes), 2-D DCT-II, the 8x8 lowest
      frequencies without DC (63 values). Low frequencies survive re-encoding, rescaling,
      overlays and small crops. A horizontal flip only negates the coefficients of odd
      horizontal frequency (DCT-II basis cos(pi*(2x+1)u/2N) is odd under x -> N-1-x for odd
      u), so the mirrored descriptor is computed exactly, with no second decode.
    * colour layout: CIE Lab a*/b* means on a 4x4 grid, z-scored per channel across cells, so
      a global colour cast, saturation or white-balance change (a shift and scale of a*, b*)
      cancels, and what remains is where the colours are.
    * motion layout: mean absolute luma change to the previous sample on the 4x4 grid,
      z-scored, so playback speed (which scales the magnitude) matters less than where things
      move.
    """

    name = "clearreel-vd"

    def __init__(self, config: VDConfig | None = None, **options: Any) -> None:
        try:
            self.cfg = config or VDConfig(**options)
        except TypeError as e:
            raise UsageError(f"clearreel-vd: {e}; options are "
                             f"{[f.name for f in dataclasses.fields(VDConfig)]}") from None
        self.sample_fps = self.cfg.sample_fps
        self.decode_size = (2 * self.cfg.grid, 2 * self.cfg.grid)
        c = self.cfg
        self._n_dct = c.dct * c.dct - 1
        self._n_cells = c.cells * c.cells
        self._n_colour = (2 if c.colour == "ab" else 1) * self._n_cells
        self.dim = self._n_dct + self._n_colour + self._n_cells
        uu, vv = np.meshgrid(np.arange(c.dct), np.arange(c.dct))
        self._dct_w = ((1.0 + uu + vv).ravel()[1:] ** c.dct_gain).astype(np.float32)
        # Sign pattern that mirrors the DCT block: (-1)^u for horizontal frequency u.
        u = np.tile(np.arange(c.dct), c.dct)[1:]
        self._dct_mirror = np.where(u % 2 == 1, -1.0, 1.0).astype(np.float32)
        # Column permutation that mirrors a cells x cells grid (row-major).
        g = np.arange(self._n_cells).reshape(c.cells, c.cells)[:, ::-1].ravel()
        self._grid_mirror = g

    def config(self) -> dict[str, Any]:
        return {**super().config(), **dataclasses.asdict(self.cfg)}

    def _frame_features(self, frames: np.ndarray) -> np.ndarray:
        import cv2

        c = self.cfg
        n = len(frames)
        luma = np.stack([cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (c.grid, c.grid),
                                    interpolation=cv2.INTER_AREA) for f in frames])
        luma = luma.astype(np.float32)
        luma = _zscore(luma.reshape(n, -1)).reshape(n, c.grid, c.grid).astype(np.float32)
        dct = np.stack([cv2.dct(x)[: c.dct, : c.dct].ravel()[1:] for x in luma]) * self._dct_w

        lab = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2LAB) for f in frames]).astype(np.float32)
        ab = lab[..., 1:] - 128.0  # (N, h, w, 2), signed a*, b*
        if c.colour == "chroma":
            ab = np.linalg.norm(ab, axis=-1, keepdims=True)
        colour = _pool(ab, c.cells)  # (N, cells*cells, channels)
        colour = _zscore(colour, axis=1).transpose(0, 2, 1).reshape(n, -1)  # (N, 2*cells^2)

        if n > 1:  # change to the previous sample; the first sample takes the next change
            diff = np.abs(np.diff(luma, axis=0))
            diff = np.concatenate([diff[:1], diff])
        else:
            diff = np.zeros_like(luma)
        motion = _zscore(_pool(diff[..., None], c.cells)[..., 0], axis=1)  # (N, cells^2)

        return np.concatenate([c.w_dct * _unit(dct), c.w_colour * _unit(colour),
                               c.w_motion * _unit(motion)], axis=1)

    def mirror_rows(self, seq: np.ndarray) -> np.ndarray:
        """Mirror frame descriptors exactly (see the class docstring)."""
        n_d, n_c = self._n_dct, self._n_cells
        out = seq.copy()
        out[:, :n_d] *= self._dct_mirror
        for k in range((self._n_colour + n_c) // n_c):  # colour and motion grids
            lo = n_d + k * n_c
            out[:, lo:lo + n_c] = seq[:, lo:lo + n_c][:, self._grid_mirror]
        return out

    def mirrored(self, fp: Fingerprint, frames: np.ndarray, fps: float) -> Fingerprint:
        seq = self.mirror_rows(fp.frames)
        return Fingerprint(vector=_unit(seq.mean(axis=0)), frames=seq, sample_fps=fp.sample_fps)


def _pool(x: np.ndarray, cells: int) -> np.ndarray:
    """Mean over a cells x cells grid: (N, H, W, C) -> (N, cells*cells, C)."""
    n, h, w, ch = x.shape
    hs = np.linspace(0, h, cells + 1).astype(int)
    ws = np.linspace(0, w, cells + 1).astype(int)
    out = np.empty((n, cells * cells, ch), dtype=np.float32)
    for i in range(cells):
        for j in range(cells):
            out[:, i * cells + j] = x[:, hs[i]:hs[i + 1], ws[j]:ws[j + 1]].mean(axis=(1, 2))
    return out


class _HFImageEmbedder(Embedder):
    """A transformers image encoder loaded from a local directory; per-frame vectors, averaged."""

    sample_fps = 2.0
    model: Any
    processor: Any

    def __init__(self, model_dir: str | Path | None = None, device: str = "cpu",
                 sample_fps: float | None = None, batch: int = 16) -> None:
        if model_dir is None:
            raise UsageError(f"the {self.name} embedder needs the model's local directory: "
                             f"--model-dir DIR (a from_pretrained folder with config.json and "
                             f"weights)")
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise UsageError(f"{self.model_dir}: not a model directory (no config.json); save one "
                             f"with model.save_pretrained(DIR) and processor.save_pretrained(DIR)")
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError as e:
            raise MissingDependency(f"the {self.name} embedder needs transformers and torch: "
                                    f"pip install transformers torch ({e})") from None
        self.device = device
        self.batch = batch
        if sample_fps:
            self.sample_fps = sample_fps
        self._load()

    def _load(self) -> None:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {**super().config(), "model_dir": str(self.model_dir)}

    def _frame_features(self, frames: np.ndarray) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(frames), self.batch):
                inputs = self.processor(images=list(frames[i:i + self.batch]), return_tensors="pt")
                pix = inputs["pixel_values"].to(self.device)
                out.append(self._forward(pix).float().cpu().numpy())
        return np.concatenate(out)

    def _forward(self, pixel_values: Any) -> Any:
        raise NotImplementedError


def _side(size: Any, default: int = 224) -> int:
    """The square input side of an image processor's ``crop_size`` (dict, SizeDict or int)."""
    for key in ("height", "shortest_edge"):
        v = size.get(key) if isinstance(size, dict) else getattr(size, key, None)
        if v:
            return max(int(v), 32)
    return max(int(size), 32) if isinstance(size, int) else default


class ClipEmbedder(_HFImageEmbedder):
    """CLIP image embeddings (transformers ``CLIPVisionModelWithProjection``), e.g. ViT-B/32."""

    name = "clip"

    def _load(self) -> None:
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        model = CLIPVisionModelWithProjection.from_pretrained(self.model_dir,
                                                              local_files_only=True)
        self.model = model.to(self.device).eval()  # type: ignore[arg-type]
        self.processor = CLIPImageProcessor.from_pretrained(self.model_dir, local_files_only=True)
        self.dim = int(self.model.config.projection_dim)
        side = _side(getattr(self.processor, "crop_size", None))
        self.decode_size = (side, side)

    def _forward(self, pixel_values: Any) -> Any:
        return self.model(pixel_values=pixel_values).image_embeds


class Dinov2Embedder(_HFImageEmbedder):
    """DINOv2 CLS embeddings (transformers ``Dinov2Model``, pooled output), e.g. dinov2-small."""

    name = "dinov2"

    def _load(self) -> None:
        from transformers import AutoImageProcessor, Dinov2Model

        model = Dinov2Model.from_pretrained(self.model_dir, local_files_only=True)
        self.model = model.to(self.device).eval()  # type: ignore[arg-type]
        self.processor = AutoImageProcessor.from_pretrained(self.model_dir, local_files_only=True)
        self.dim = int(self.model.config.hidden_size)
        side = _side(getattr(self.processor, "crop_size", None))
        self.decode_size = (side, side)

    def _forward(self, pixel_values: Any) -> Any:
        return self.model(pixel_values=pixel_values).pooler_output


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "clearreel-vd": VideoDescriptor,
    "clip": ClipEmbedder,
    "dinov2": Dinov2Embedder,
}
DEFAULT_EMBEDDER = "clearreel-vd"


def get_embedder(name: str = DEFAULT_EMBEDDER, **options: Any) -> Embedder:
    """An embedder by registry name; options go to its constructor (``model_dir``...)."""
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        raise UsageError(f"unknown embedder {name!r}: choose one of {sorted(EMBEDDERS)}") from None
    return factory(**{k: v for k, v in options.items() if v is not None})


def embedder_from_config(config: dict[str, Any]) -> Embedder:
    """Rebuild the embedder an index was made with, from the config saved beside it."""
    cfg = dict(config)
    name = cfg.pop("name")
    if name == VideoDescriptor.name:
        fields = {f.name for f in dataclasses.fields(VDConfig)}
        return VideoDescriptor(VDConfig(**{k: v for k, v in cfg.items() if k in fields}))
    return get_embedder(name, model_dir=cfg.get("model_dir"), sample_fps=cfg.get("sample_fps"))
