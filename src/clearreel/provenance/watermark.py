"""The invisible watermark: a 64-bit output id hidden in the luma of every frame.

Scheme (``clearreel-dm1``): keyed dither modulation on a grid of 32 x 32 chips laid over the
frame in *relative* coordinates, so that it scales with the picture.

Payload: the 64-bit id + CRC-24 (OpenPGP polynomial, RFC 4880 §6.1) = 88 bits; each bit is
spread over ~11.6 chips scattered across the frame by a keyed permutation (a crop removes a
share of every bit's chips rather than whole bits).

A chip's *reading* is the mean, over its cell, of the luma resized to 128 x 128 and
high-passed (minus a Gaussian blur of sigma 6: brightness and slow colour shifts vanish),
averaged over time. Embedding moves every reading onto the quantiser lattice of its bit
(dither modulation, Chen & Wornell 2001: host-interference-free, which blind spread spectrum
is not at this strength: see the `ss` peer in bench/watermark_robustness.py). The offsets are
solved on the 32 x 32 grid, upsampled bilinearly to the frame (smooth blobs, which H.264
keeps), the same in every frame (static: cheap for the encoder) and added to R, G and B
equally, clipped to a few grey levels (more where the picture is textured).

Extraction reads the time-averaged luma under a set of geometries (as is, horizontal flip,
crop boxes keeping 70-100 % of each axis), votes each bit over its chips, and accepts a
geometry whose CRC-24 matches. With up to 722 geometries the chance that an unmarked video
passes is about 722 / 2^24 ≈ 4e-5; `verify` further requires the id to name a registered
output. Measured robustness: docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

SCHEME = "clearreel-dm1"
GRID = 32  # chips per axis, relative to the frame
CANON = 128  # detection resolution per axis (4 canonical pixels per chip)
PAYLOAD_BITS = 64
CRC_BITS = 24
INFO_BITS = PAYLOAD_BITS + CRC_BITS  # 88
CHIPS = GRID * GRID  # 1024
WORK_WIDTH = 4 * CANON  # the geometry search runs at most this wide
_K = 5  # constraint length
_GENERATORS = (0o25, 0o33, 0o37)
_DEFAULT_KEY = b"clearreel watermark v1"

Code = Literal["conv", "rep"]
Method = Literal["dm", "ss"]


@dataclass(frozen=True)
class WatermarkConfig:
    """How the mark is embedded and searched for (saved with each output's params)."""

    alpha: float = 2.5  # ss: target reading offset in grey levels (0-255 luma)
    lam: float = 0.5  # ss: share of the margin embedded blindly before informed steps
    max_delta: float = 4.0  # clip of any one chip's offset, grey levels
    iterations: int = 12  # fixed-point / informed-embedding steps
    masking: float = 0.3  # extra offset allowed per grey level of local texture
    key: bytes = _DEFAULT_KEY  # a studio may use its own key; the detector needs the same
    method: Method = "dm"  # "dm" (dither modulation, informed) or "ss" (spread spectrum, the peer)
    step: float = 6.0  # dm: quantiser step of a chip's reading, grey levels
    code: Code = "rep"  # ss: "conv" (convolutional, soft Viterbi) or "rep" (repetition)
    search: bool = True  # search flips and crops; False = assume the original geometry
    blur_sigma: float = 6.0  # high-pass Gaussian, canonical pixels


DEFAULT = WatermarkConfig()


@dataclass
class Extraction:
    found: bool
    payload: int | None = None  # the 64-bit id when found
    bits: np.ndarray | None = None  # best-guess 64 payload bits even when not found
    confidence: float = 0.0  # mean |soft value| of the chosen hypothesis, in noise std units
    geometry: dict[str, float | bool] = field(default_factory=dict)

    @property
    def output_id(self) -> str | None:
        return output_id_from_payload(self.payload) if self.payload is not None else None


# --- payload <-> output id -------------------------------------------------------------------

def payload_from_output_id(output_id: str) -> int:
    """`out-<16 hex>` carries its own 64 bits; any other id maps through SHA-256."""
    tail = output_id.removeprefix("out-")
    if len(tail) == 16:
        try:
            return int(tail, 16)
        except ValueError:
            pass
    return int.from_bytes(hashlib.sha256(output_id.encode()).digest()[:8], "big")


def output_id_from_payload(payload: int) -> str:
    return f"out-{payload:016x}"


def int_to_bits(value: int, n: int = PAYLOAD_BITS) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: np.ndarray) -> int:
    v = 0
    for b in bits:
        v = (v << 1) | int(b)
    return v


# --- CRC-24 (RFC 4880 §6.1) ------------------------------------------------------------------

def crc24(bits: np.ndarray) -> np.ndarray:
    reg = 0xB704CE
    for b in bits:
        top = ((reg >> 23) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFFFF
        if top:
            reg ^= 0x864CFB
    return int_to_bits(reg, CRC_BITS)


# --- channel code ----------------------------------------------------------------------------

@functools.cache
def _trellis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(next_state[s, b], outputs[s, b, 3], predecessors[ns, 2] as (state, input))."""
    n = 1 << (_K - 1)
    nxt = np.zeros((n, 2), dtype=np.int64)
    outs = np.zeros((n, 2, len(_GENERATORS)), dtype=np.uint8)
    for s in range(n):
        for b in (0, 1):
            reg = (b << (_K - 1)) | s
            nxt[s, b] = reg >> 1
            outs[s, b] = [bin(reg & g).count("1") & 1 for g in _GENERATORS]
    pred = np.zeros((n, 2, 2), dtype=np.int64)
    fill = np.zeros(n, dtype=np.int64)
    for s in range(n):
        for b in (0, 1):
            ns = nxt[s, b]
            pred[ns, fill[ns]] = (s, b)
            fill[ns] += 1
    return nxt, outs, pred


def _conv_encode(bits: np.ndarray) -> np.ndarray:
    nxt, outs, _ = _trellis()
    s = 0
    coded = []
    for b in np.concatenate([bits, np.zeros(_K - 1, dtype=np.uint8)]):
        coded.extend(outs[s, int(b)])
        s = nxt[s, int(b)]
    return np.array(coded, dtype=np.uint8)


def _viterbi(soft: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Soft-decision Viterbi over many hypotheses at once.

    soft: (H, 276) soft values, positive meaning bit 0.
    Returns (bits (H, 88), path metric (H,)).
    """
    _, outs, pred = _trellis()
    n_states = outs.shape[0]
    steps = INFO_BITS + _K - 1
    h = soft.shape[0]
    soft = soft.reshape(h, steps, len(_GENERATORS))
    sign = 1.0 - 2.0 * outs.astype(np.float64)  # (S, 2, 3): +1 for a 0 bit
    metric = np.full((h, n_states), -np.inf)
    metric[:, 0] = 0.0
    back = np.zeros((steps, h, n_states), dtype=np.int8)  # which predecessor won
    ps, pb = pred[..., 0], pred[..., 1]  # (S, 2)
    for t in range(steps):
        branch = np.einsum("hc,spc->hsp", soft[:, t], sign[ps, pb])  # (H, S, 2)
        cand = metric[:, ps] + branch
        choice = np.argmax(cand, axis=2)
        metric = np.take_along_axis(cand, choice[..., None], axis=2)[..., 0]
        back[t] = choice
    # Zero-tailed: the path ends in state 0.
    state = np.zeros(h, dtype=np.int64)
    bits = np.zeros((h, steps), dtype=np.uint8)
    for t in range(steps - 1, -1, -1):
        c = back[t, np.arange(h), state]
        bits[:, t] = pb[state, c]
        state = ps[state, c]
    return bits[:, :INFO_BITS], metric[:, 0]


# --- keyed layout ----------------------------------------------------------------------------

def _n_units(code: Code) -> int:
    return (INFO_BITS + _K - 1) * len(_GENERATORS) if code == "conv" else INFO_BITS


@functools.cache
def _layout(key: bytes, code: Code) -> tuple[np.ndarray, np.ndarray]:
    """(unit of each chip, scrambling sign ±1 of each chip), derived from the key.

    Each coded bit ("unit") is spread over CHIPS / units chips scattered across the frame by a
    keyed permutation, so a crop removes a share of every unit's chips instead of whole units.
    """
    seed = int.from_bytes(hashlib.sha256(b"layout:" + key).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    unit = np.resize(np.arange(_n_units(code)), CHIPS)[rng.permutation(CHIPS)]
    return unit, rng.choice(np.array([-1.0, 1.0]), CHIPS)


def _coded(payload_bits: np.ndarray, code: Code) -> np.ndarray:
    info = np.concatenate([payload_bits.astype(np.uint8), crc24(payload_bits)])
    return _conv_encode(info) if code == "conv" else info


def _unit_sums(values: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Sum chip values (..., CHIPS) into their units (..., n_units)."""
    flat = values.reshape(-1, CHIPS)
    out = np.zeros((flat.shape[0], n_units))
    np.add.at(out.T, unit, flat.T)
    return out.reshape(*values.shape[:-1], n_units)


# --- signal processing -----------------------------------------------------------------------

def _luma(frames: np.ndarray) -> np.ndarray:
    f = frames.astype(np.float32)
    return 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]


def _highpass(y_canon: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return y_canon - cv2.GaussianBlur(y_canon, (0, 0), sigma)


def _canon(y: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(y, (CANON, CANON), interpolation=cv2.INTER_AREA)


def _cell_means(a: np.ndarray) -> np.ndarray:
    c = CANON // GRID
    return a.reshape(GRID, c, GRID, c).mean(axis=(1, 3))


def _up(cells: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(cells.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


@functools.cache
def _response_gain(sigma: float) -> float:
    """How much of a random ±1 chip pattern survives upsampling + the detector's high-pass."""
    rng = np.random.default_rng(0)
    p = rng.choice(np.array([-1.0, 1.0]), (GRID, GRID))
    r = _cell_means(_highpass(_up(p, CANON, CANON), sigma))
    return float((r * p).mean())


def embed(frames: np.ndarray, payload_bits: np.ndarray,
          config: WatermarkConfig = DEFAULT) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 with the 64-bit payload embedded; a new array."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError("frames must be a (T, H, W, 3) uint8 array")
    if payload_bits.shape != (PAYLOAD_BITS,):
        raise ValueError(f"payload must be {PAYLOAD_BITS} bits")
    _, height, width, _ = frames.shape
    code = _code_of(config)
    coded = _coded(payload_bits, code)
    n_units = len(coded)
    unit, scramble = _layout(config.key, code)
    counts = np.bincount(unit, minlength=n_units).astype(np.float64)
    sign = 1.0 - 2.0 * coded.astype(np.float64)  # +1 for a 0 bit
    gain = _response_gain(config.blur_sigma)
    # The detector averages its readings over time, so the host it sees is the time-averaged
    # one: a static mark informed by that average costs little when the picture moves.
    host = _accumulate(frames, config.blur_sigma)
    chip_host = _cell_means(host).ravel()
    # Perceptual masking: a textured chip (large local high-pass energy) hides a larger offset.
    activity = np.sqrt(_cell_means(host**2).ravel())
    limit = config.max_delta + config.masking * activity
    if config.method == "dm":
        dither = _dither(config.key, config.step)
        delta = _dm_delta(chip_host, sign[unit], dither, gain, limit, config)
    else:
        delta = _informed_delta(chip_host, sign, unit, scramble, counts, gain, limit, config)
    # Frames are integers, so round(frame + pattern) == frame + round(pattern).
    pattern = np.rint(_up(delta.reshape(GRID, GRID), width, height)).astype(np.int16)[..., None]
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        out[t] = np.clip(frame.astype(np.int16) + pattern, 0, 255).astype(np.uint8)
    return out


def _code_of(config: WatermarkConfig) -> Code:
    return "rep" if config.method == "dm" else config.code


@functools.cache
def _dither_cached(key: bytes, step: float) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(b"dither:" + key).digest()[:8], "big")
    return np.random.default_rng(seed).uniform(0, step, CHIPS)


def _dither(key: bytes, step: float) -> np.ndarray:
    return _dither_cached(key, step)


def _dm_delta(host: np.ndarray, sign: np.ndarray, dither: np.ndarray, gain: float,
              limit: np.ndarray, config: WatermarkConfig) -> np.ndarray:
    """Chip offsets that quantise each chip's reading onto the lattice of its bit.

    Dither modulation (Chen & Wornell, "Quantization index modulation", IEEE Trans. Inf.
    Theory 47(4), 2001): a 0 bit puts the reading on dither + step*Z, a 1 bit on
    dither + step/2 + step*Z. The host picture does not interfere (it is known when embedding),
    which blind spread spectrum cannot achieve at this strength: that is the whole point.
    The detector's reading of a chip also sees its neighbours, so the offsets are found by a
    damped fixed-point iteration on the (linear) reading operator.
    """
    offset = dither + np.where(sign > 0, 0.0, config.step / 2)
    target = offset + config.step * np.round((host - offset) / config.step)
    delta = np.zeros_like(host)
    for _ in range(config.iterations):
        r = host + _reading(delta, config.blur_sigma)
        err = target - r
        if np.abs(err).max() < 0.05 * config.step:
            break
        delta = np.clip(delta + 0.8 * err / gain, -limit, limit)
    return delta


def _reading(delta: np.ndarray, sigma: float) -> np.ndarray:
    """What the detector reads (per chip) from an added chip pattern alone: it is linear."""
    return _cell_means(_highpass(_up(delta.reshape(GRID, GRID), CANON, CANON), sigma)).ravel()


def _informed_delta(host: np.ndarray, sign: np.ndarray, unit: np.ndarray, scramble: np.ndarray,
                    counts: np.ndarray, gain: float, limit: np.ndarray,
                    config: WatermarkConfig) -> np.ndarray:
    """Chip offsets that bring every unit's statistic to at least `alpha` on its own side.

    Informed embedding with a robustness margin (Cox, Miller, Bloom et al., *Digital
    Watermarking and Steganography*, 2nd ed., §5.2): the host's own reading is known, so units
    it already pushes the right way cost nothing and units it opposes get just what they need.
    A plain spread-spectrum start (`lam` of the margin everywhere) keeps a floor of signal in
    every unit; then a few projected-gradient steps close the remaining deficits.
    """
    n_units = len(sign)
    delta = np.clip(config.lam * config.alpha * sign[unit] * scramble / gain,
                    -limit, limit)
    for _ in range(config.iterations):
        r = host + _reading(delta, config.blur_sigma)
        stat = _unit_sums(r * scramble, unit, n_units) / counts
        deficit = np.maximum(0.0, config.alpha - sign * stat)
        if deficit.max() < 0.05 * config.alpha:
            break
        delta = np.clip(delta + (sign * deficit)[unit] * scramble / gain,
                        -limit, limit)
    return delta


def _accumulate(frames: np.ndarray, sigma: float) -> np.ndarray:
    """Time-averaged high-passed luma at canonical resolution (CANON x CANON).

    Resizing and high-passing are linear, so this is the reading of the mean luma.
    """
    return _highpass(_canon(_mean_luma(frames)), sigma)


@functools.cache
def _hypotheses(search: bool) -> list[tuple[bool, float, float, float, float]]:
    """(flip, x0, w, y0, h): where the received frame lies in the original's unit square."""
    if not search:
        return [(False, 0.0, 1.0, 0.0, 1.0)]
    axis = [(0.0, 1.0)]
    for keep in (0.95, 0.9, 0.85, 0.8, 0.75, 0.7):
        cut = 1.0 - keep
        axis += [(0.0, keep), (cut / 2, keep), (cut, keep)]
    return [(flip, x0, w, y0, h) for flip in (False, True) for x0, w in axis for y0, h in axis]


def _sample(mean_luma: np.ndarray, hyps: list[tuple[bool, float, float, float, float]],
            sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Chip readings (H, CHIPS) under each geometry, and which chips lie inside the frame.

    Each hypothesis puts the received picture back where it was in the original frame
    (un-flipped, scaled into its crop box on a CANON x CANON canvas, the missing border
    replicated) and reads it exactly as the embedder did. Sampling one shared reading instead
    would resample the picture's own texture and cost the dither lattice its precision.
    """
    import cv2

    readings = np.zeros((len(hyps), CHIPS))
    inside = np.zeros((len(hyps), CHIPS), dtype=bool)
    centres = (np.arange(GRID) + 0.5) / GRID
    base: np.ndarray = mean_luma.astype(np.float32)
    # Large frames: search on a copy at most WORK_WIDTH wide (cells stay >= 4 pixels).
    if base.shape[1] > WORK_WIDTH:
        scale = WORK_WIDTH / base.shape[1]
        base = cv2.resize(base, (WORK_WIDTH, max(1, round(base.shape[0] * scale))),
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
        readings[i] = _cell_means(_highpass(_canon(canvas), sigma)).ravel()
        in_x = (centres >= x0) & (centres <= x0 + w)
        in_y = (centres >= y0) & (centres <= y0 + h)
        inside[i] = (in_y[:, None] & in_x[None, :]).ravel()
    return readings, inside


def _mean_luma(frames: np.ndarray) -> np.ndarray:
    """Mean luma over time, (H, W) float32; frames are summed one at a time (memory)."""
    acc = np.zeros(frames.shape[1:], dtype=np.float32)
    for frame in frames:
        acc += frame
    return _luma(acc[None] / len(frames))[0]


def extract(frames: np.ndarray, config: WatermarkConfig = DEFAULT) -> Extraction:
    """Find the payload in frames (T, H, W, 3) uint8 of any size; CRC-checked."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError("frames must be a non-empty (T, H, W, 3) array")
    # The mark is static and every step of the reading is linear, so reading the time-averaged
    # luma equals averaging per-frame readings (and costs one pass per hypothesis).
    mean_luma = _mean_luma(frames)
    best: Extraction | None = None
    # Cheapest first: the original geometry, then flips, then every crop box.
    for hyps in _search_stages(config.search):
        found, candidate = _decode(mean_luma, hyps, config)
        if found:
            return candidate
        if best is None or candidate.confidence > best.confidence:
            best = candidate
    assert best is not None
    return best


def _search_stages(search: bool) -> list[list[tuple[bool, float, float, float, float]]]:
    full = _hypotheses(search)
    first = [h for h in full if h[1:] == (0.0, 1.0, 0.0, 1.0)]
    return [first, [h for h in full if h not in first]] if search else [first]


def _decode(mean_luma: np.ndarray, hyps: list[tuple[bool, float, float, float, float]],
            config: WatermarkConfig) -> tuple[bool, Extraction]:
    readings, inside = _sample(mean_luma, hyps, config.blur_sigma)
    code = _code_of(config)
    unit, scramble = _layout(config.key, code)
    n_units = _n_units(code)
    n_in = _unit_sums(inside.astype(np.float64), unit, n_units)
    if config.method == "dm":
        # Soft vote per chip: +1 on the 0-lattice, -1 on the 1-lattice, 0 half-way; chips
        # outside the frame (a crop) are erasures.
        phase = 2 * np.pi * (readings - _dither(config.key, config.step)[None]) / config.step
        votes = np.where(inside, np.cos(phase), 0.0)
        soft = _unit_sums(votes, unit, n_units) / np.sqrt(np.maximum(n_in, 1.0))
    else:
        chips = readings * scramble[None]  # (H, CHIPS); positive means a 0 bit
        # Normalise by the spread of the chips inside the frame, so the soft values are in
        # units of the noise standard deviation (chips outside the frame are erasures).
        chips = np.where(inside, chips, 0.0)
        scale = np.array([np.std(c[m]) if m.any() else 1.0
                          for c, m in zip(chips, inside, strict=True)])
        soft = _unit_sums(chips / (scale[:, None] + 1e-9), unit, n_units)
        soft = soft / np.sqrt(np.maximum(n_in, 1.0))  # each unit ~ N(±signal, 1)
    if code == "conv":
        info, metric = _viterbi(soft)
    else:
        info = (soft < 0).astype(np.uint8)
        metric = np.abs(soft).sum(axis=1)
    order = np.argsort(-metric)
    for i in order:
        payload, check = info[i, :PAYLOAD_BITS], info[i, PAYLOAD_BITS:]
        if np.array_equal(crc24(payload), check):
            return True, Extraction(True, bits_to_int(payload), payload.copy(),
                                    float(np.abs(soft[i]).mean()), _geometry(hyps[i]))
    i = int(order[0])
    return False, Extraction(False, None, info[i, :PAYLOAD_BITS].copy(),
                             float(np.abs(soft[i]).mean()), _geometry(hyps[i]))


def _geometry(h: tuple[bool, float, float, float, float]) -> dict[str, float | bool]:
    flip, x0, w, y0, hh = h
    return {"flip": bool(flip), "x0": x0, "width": w, "y0": y0, "height": hh}


def embed_id(frames: np.ndarray, output_id: str, config: WatermarkConfig = DEFAULT) -> np.ndarray:
    """Embed an output id (see `payload_from_output_id`)."""
    return embed(frames, int_to_bits(payload_from_output_id(output_id)), config)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


__all__ = [
    "DEFAULT", "SCHEME", "Extraction", "WatermarkConfig", "bits_to_int", "embed", "embed_id",
    "extract", "int_to_bits", "output_id_from_payload", "payload_from_output_id", "psnr",
]
