"""Extraction: read the time-averaged luma under each geometry (as is, flipped, cropped),
decode per key, and accept a reading whose tag checks."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from clearreel.provenance.watermark._channel import _viterbi
from clearreel.provenance.watermark._layout import _dither, _layout, _n_units, _unit_sums
from clearreel.provenance.watermark._payload import (
    PAYLOAD_BITS,
    _check_key,
    bits_to_int,
    output_id_from_payload,
    payload_from_output_id,
    tag,
)
from clearreel.provenance.watermark._profiles import (
    DEFAULT,
    FULL,
    PROFILES,
    SMALL,
    Profile,
    WatermarkConfig,
    _code_of,
    _profile,
    profile_for,
)
from clearreel.provenance.watermark._signal import _canon, _cell_means, _highpass, _mean_luma


@dataclass
class Extraction:
    found: bool
    payload: int | None = None  # the id bits carried (`id_bits` of them) when found
    bits: np.ndarray | None = None  # best-guess id bits even when not found
    confidence: float = 0.0  # mean |soft value| of the chosen hypothesis, in noise std units
    geometry: dict[str, float | bool] = field(default_factory=dict)
    profile: str = FULL.name
    id_bits: int = PAYLOAD_BITS

    @property
    def id_prefix(self) -> str | None:
        """The hex digits of the output id the mark carries (all 16 for `full`)."""
        if self.payload is None:
            return None
        return f"{self.payload:0{self.id_bits // 4}x}"

    @property
    def output_id(self) -> str | None:
        """The whole output id, when the mark carries all of it (`full`)."""
        if self.payload is None or self.id_bits != PAYLOAD_BITS:
            return None
        return output_id_from_payload(self.payload)


Hypothesis = tuple[bool, float, float, float, float]


@functools.cache
def _hypotheses(search: bool) -> list[Hypothesis]:
    """(flip, x0, w, y0, h): where the received frame lies in the original's unit square."""
    if not search:
        return [(False, 0.0, 1.0, 0.0, 1.0)]
    axis = [(0.0, 1.0)]
    for keep in (0.95, 0.9, 0.85, 0.8, 0.75, 0.7):
        cut = 1.0 - keep
        axis += [(0.0, keep), (cut / 2, keep), (cut, keep)]
    return [(flip, x0, w, y0, h) for flip in (False, True) for x0, w in axis for y0, h in axis]


def _sample(mean_luma: np.ndarray, hyps: list[Hypothesis], sigma: float,
            profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """Chip readings (H, chips) under each geometry, and which chips lie inside the frame.

    Each hypothesis puts the received picture back where it was in the original frame
    (un-flipped, scaled into its crop box on a canonical canvas, the missing border
    replicated) and reads it exactly as the embedder did. Sampling one shared reading instead
    would resample the picture's own texture and cost the dither lattice its precision.
    """
    import cv2

    g = profile.grid
    readings = np.zeros((len(hyps), profile.chips))
    inside = np.zeros((len(hyps), profile.chips), dtype=bool)
    centres = (np.arange(g) + 0.5) / g
    base: np.ndarray = mean_luma.astype(np.float32)
    # Large frames: search on a copy at most 4 canonical widths wide (cells stay >= 4 pixels).
    work_width = 4 * profile.canon
    if base.shape[1] > work_width:
        scale = work_width / base.shape[1]
        base = cv2.resize(base, (work_width, max(1, round(base.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA)
    flipped = np.ascontiguousarray(base[:, ::-1])
    rh, rw = base.shape
    for i, (flip, x0, w, y0, h) in enumerate(hyps):
        src = flipped if flip else base
        # Back to the original frame's pixel grid (a translation only: the crop kept the
        # scale), then the same area resize the embedder used.
        ow, oh = max(1, round(rw / w)), max(1, round(rh / h))
        shift = np.array([[1.0, 0.0, x0 * ow], [0.0, 1.0, y0 * oh]], dtype=np.float32)
        canvas = cv2.warpAffine(src, shift, (ow, oh), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        readings[i] = _cell_means(_highpass(_canon(canvas, profile), sigma), profile).ravel()
        in_x = (centres >= x0) & (centres <= x0 + w)
        in_y = (centres >= y0) & (centres <= y0 + h)
        inside[i] = (in_y[:, None] & in_x[None, :]).ravel()
    return readings, inside


def extract(frames: np.ndarray, config: WatermarkConfig = DEFAULT) -> Extraction:
    """Find a mark made with `config.key` in frames (T, H, W, 3) uint8 of any size; found only
    when its tag checks."""
    _, found = extract_any(frames, {"": config.key}, config)
    return found


def extract_any(frames: np.ndarray, keys: Mapping[str, bytes],
                config: WatermarkConfig = DEFAULT) -> tuple[str | None, Extraction]:
    """Look for a mark under each of several secrets (name -> key) at once: the geometry
    search is shared, only the decoding is per key. (the name whose tag checked, or None;
    the extraction, or the most confident failure)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError("frames must be a non-empty (T, H, W, 3) array")
    if not keys:
        raise ValueError("no watermark key to look for a mark with")
    keys = {name: _check_key(k) for name, k in keys.items()}
    # The mark is static and every step of the reading is linear, so reading the time-averaged
    # luma equals averaging per-frame readings (and costs one pass per hypothesis).
    mean_luma = _mean_luma(frames)
    best: Extraction | None = None
    # Cheapest first: the original geometry, then flips, then every crop box; the profile
    # that fits the received size first.
    for stage in range(2 if config.search else 1):
        for prof in _profiles_to_try(config, *frames.shape[1:3]):
            hyps = _search_stages(config.search, prof)[stage]
            readings, inside = _sample(mean_luma, hyps, config.blur_sigma, prof)
            for name, key in keys.items():
                found, candidate = _decode(readings, inside, hyps, key, prof, config)
                if found:
                    return name, candidate
                if best is None or candidate.confidence > best.confidence:
                    best = candidate
    assert best is not None
    return None, best


def _profiles_to_try(config: WatermarkConfig, height: int, width: int) -> list[Profile]:
    if config.profile != "auto":
        return [_profile(config, height, width)]
    first = profile_for(height, width)
    return [first] + [p for p in PROFILES.values() if p != first]


def _search_stages(search: bool, profile: Profile) -> list[list[Hypothesis]]:
    """The original geometry first, then the rest. The small profile searches flips only: its
    16-bit tag would let 722 geometries pass about 1 % of unmarked videos."""
    full = _hypotheses(search)
    first = [h for h in full if h == (False, 0.0, 1.0, 0.0, 1.0)]
    if not search:
        return [first]
    rest = [h for h in full if h not in first]
    if profile.name == SMALL.name:
        rest = [h for h in rest if h[1:] == (0.0, 1.0, 0.0, 1.0)]
    return [first, rest]


def _decode(readings: np.ndarray, inside: np.ndarray, hyps: list[Hypothesis], key: bytes,
            prof: Profile, config: WatermarkConfig) -> tuple[bool, Extraction]:
    code = _code_of(config, prof)
    unit, scramble = _layout(key, prof, code)
    n_units = _n_units(prof, code)
    n_in = _unit_sums(inside.astype(np.float64), unit, n_units)
    if config.method == "dm":
        # Soft vote per chip: +1 on the 0-lattice, -1 on the 1-lattice, 0 half-way; chips
        # outside the frame (a crop) are erasures.
        step = prof.strength * config.step
        phase = 2 * np.pi * (readings - _dither(key, prof, step)[None]) / step
        votes = np.where(inside, np.cos(phase), 0.0)
        soft = _unit_sums(votes, unit, n_units) / np.sqrt(np.maximum(n_in, 1.0))
    else:
        chips = readings * scramble[None]  # (H, chips); positive means a 0 bit
        # Normalise by the spread of the chips inside the frame, so the soft values are in
        # units of the noise standard deviation (chips outside the frame are erasures).
        chips = np.where(inside, chips, 0.0)
        scale = np.array([np.std(c[m]) if m.any() else 1.0
                          for c, m in zip(chips, inside, strict=True)])
        soft = _unit_sums(chips / (scale[:, None] + 1e-9), unit, n_units)
        soft = soft / np.sqrt(np.maximum(n_in, 1.0))  # each unit ~ N(±signal, 1)
    if code == "conv":
        info, metric = _viterbi(soft, prof.info_bits)
    else:
        info = (soft < 0).astype(np.uint8)
        metric = np.abs(soft).sum(axis=1)
    order = np.argsort(-metric)
    nb = prof.id_bits
    for i in order:
        ids, check = info[i, :nb], info[i, nb:]
        if np.array_equal(tag(key, prof, ids), check):
            return True, Extraction(True, bits_to_int(ids), ids.copy(),
                                    float(np.abs(soft[i]).mean()), _geometry(hyps[i]),
                                    prof.name, nb)
    i = int(order[0])
    return False, Extraction(False, None, info[i, :nb].copy(), float(np.abs(soft[i]).mean()),
                             _geometry(hyps[i]), prof.name, nb)


def _geometry(h: Hypothesis) -> dict[str, float | bool]:
    flip, x0, w, y0, hh = h
    return {"flip": bool(flip), "x0": x0, "width": w, "y0": y0, "height": hh}


def carries(found: Extraction, output_id: str) -> bool:
    """Whether an extraction names this output (all its bits, or its prefix for `small`)."""
    if not found.found or found.id_prefix is None:
        return False
    return f"{payload_from_output_id(output_id):016x}".startswith(found.id_prefix)
