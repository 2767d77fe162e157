"""The invisible watermark: an output id, authenticated by the organization's secret, hidden in
the luma of every frame.

Scheme (``clearreel-dm2``): keyed dither modulation on a grid of chips laid over the frame in
*relative* coordinates, so that it scales with the picture. Two profiles, chosen by the size of
the frames (`profile_for`):

- ``full`` (frames at least `SMALL_BELOW` = 128 pixels on their short side): a 32 x 32 grid
  (1,024 chips) carrying the 64-bit output id and a 24-bit tag (88 bits, each spread over
  ~11.6 chips by a keyed permutation, so a crop removes a share of every bit's chips rather than
  whole bits): the layout, strength and detector of ``clearreel-dm1``, whose robustness is
  measured in docs/benchmarks.md, with the public CRC-24 replaced by the tag;
- ``small`` (the tiny model's 48 x 32 and anything under `SMALL_BELOW`): a 12 x 12 grid of
  larger chips at 2.5 times the strength, which H.264 keeps at small sizes, carrying the first 8
  bits of the id and a 16-bit tag through a rate-1/3 convolutional code (soft Viterbi
  decoding); `verify` narrows the organization's outputs to those 8 bits and the output's
  fingerprint picks the one whose frames these are. It survives re-encoding and flips, not
  crops (searched for flips only, to keep false readings rare with the shorter tag).

The tag is HMAC-SHA256(organization secret, profile | id bits), truncated. The same secret seeds
the chip layout and the dither, so without it nobody can read the mark, nor embed one that
reads back under it: an id read without the right tag is no watermark at all. The secret lives
with the organization's keys (`clearreel.provenance.keys.watermark_key`).

A chip's *reading* is the mean, over its cell, of the luma resized to canonical size and
high-passed (minus a Gaussian blur: brightness and slow colour shifts vanish), averaged over
time. Embedding moves every reading onto the quantiser lattice of its coded bit (dither
modulation, Chen & Wornell 2001: host-interference-free, which blind spread spectrum is not at
this strength: see the `ss` peer in bench/watermark_robustness.py). The offsets are solved on
the grid, upsampled bilinearly to the frame (smooth blobs, which H.264 keeps), the same in every
frame (static: cheap for the encoder) and added to R, G and B equally, clipped to a few grey
levels (more where the picture is textured).

Extraction reads the time-averaged luma under a set of geometries (as is, horizontal flip,
and for ``full`` crop boxes keeping 70-100 % of each axis), votes each bit over its chips, and
accepts a geometry whose tag matches. The chance that an unmarked video passes is about
722 / 2^24 = 4e-5 per organization's key for ``full`` and 2 / 2^16 = 3e-5 for ``small``; a
false reading then still has to name a registered output whose fingerprint matches the frames
(`verify`). Measured robustness: docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

SCHEME = "clearreel-dm2"
PAYLOAD_BITS = 64  # an output id's bits (`out-<16 hex>`)
SMALL_BELOW = 128  # frames with a shorter side (pixels) get the `small` profile
_K = 5  # constraint length
_GENERATORS = (0o25, 0o33, 0o37)

Code = Literal["conv", "rep"]
Method = Literal["dm", "ss"]


@dataclass(frozen=True)
class Profile:
    """A layout of the mark: grid, how many id bits, how long a tag, and which code."""

    name: str
    grid: int  # chips per axis, relative to the frame
    id_bits: int  # leading bits of the 64-bit output id carried
    tag_bits: int  # truncated HMAC-SHA256 tag
    code: Code  # for dither modulation: repetition or rate-1/3 convolutional
    strength: float = 1.0  # multiplies the quantiser step and the offset clip

    @property
    def canon(self) -> int:  # detection resolution per axis (4 canonical pixels per chip)
        return 4 * self.grid

    @property
    def chips(self) -> int:
        return self.grid * self.grid

    @property
    def info_bits(self) -> int:
        return self.id_bits + self.tag_bits


FULL = Profile("full", 32, 64, 24, "rep")
SMALL = Profile("small", 12, 8, 16, "conv", 2.5)
PROFILES = {p.name: p for p in (FULL, SMALL)}


@dataclass(frozen=True)
class WatermarkConfig:
    """How the mark is embedded and searched for (saved with each output's params, less the
    key). `key` is the organization's watermark secret: required to embed and to read."""

    alpha: float = 2.5  # ss: target reading offset in grey levels (0-255 luma)
    lam: float = 0.5  # ss: share of the margin embedded blindly before informed steps
    max_delta: float = 4.0  # clip of any one chip's offset, grey levels
    iterations: int = 12  # fixed-point / informed-embedding steps
    masking: float = 0.3  # extra offset allowed per grey level of local texture
    key: bytes = field(default=b"", repr=False)  # the organization's secret
    method: Method = "dm"  # "dm" (dither modulation, informed) or "ss" (spread spectrum, the peer)
    step: float = 6.0  # dm: quantiser step of a chip's reading, grey levels
    code: Code = "rep"  # ss: "conv" (convolutional, soft Viterbi) or "rep" (repetition)
    search: bool = True  # search flips and crops; False = assume the original geometry
    blur_sigma: float = 6.0  # high-pass Gaussian, canonical pixels
    profile: str = "auto"  # "auto" (by frame size), "full" or "small"


DEFAULT = WatermarkConfig()


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


def profile_for(height: int, width: int) -> Profile:
    """The profile the embedder uses for frames of this size."""
    return SMALL if min(height, width) < SMALL_BELOW else FULL


def _profile(config: WatermarkConfig, height: int, width: int) -> Profile:
    if config.profile == "auto":
        return profile_for(height, width)
    try:
        return PROFILES[config.profile]
    except KeyError:
        raise ValueError(f"unknown watermark profile {config.profile!r}: "
                         f"choose auto, {', '.join(PROFILES)}") from None


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) < 16:
        raise ValueError("the watermark needs the organization's secret (at least 16 bytes): "
                         "clearreel.provenance.keys.watermark_key(settings, org)")
    return key


# --- the tag (HMAC-SHA256, truncated) ---------------------------------------------------------

def tag(key: bytes, profile: Profile, id_bits: np.ndarray) -> np.ndarray:
    """The `profile.tag_bits`-bit authentication tag of these id bits under `key`."""
    msg = b"clearreel-dm2|" + profile.name.encode() + b"|" + np.packbits(id_bits).tobytes()
    digest = hmac.new(key, msg + bytes([len(id_bits)]), hashlib.sha256).digest()
    return np.unpackbits(np.frombuffer(digest, dtype=np.uint8))[: profile.tag_bits]


def _info(key: bytes, profile: Profile, payload_bits: np.ndarray) -> np.ndarray:
    ids = payload_bits[: profile.id_bits].astype(np.uint8)
    return np.concatenate([ids, tag(key, profile, ids)])


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


def _viterbi(soft: np.ndarray, info_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Soft-decision Viterbi over many hypotheses at once.

    soft: (H, 3 * (info_bits + K - 1)) soft values, positive meaning bit 0.
    Returns (bits (H, info_bits), path metric (H,)).
    """
    _, outs, pred = _trellis()
    n_states = outs.shape[0]
    steps = info_bits + _K - 1
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
    return bits[:, :info_bits], metric[:, 0]


# --- keyed layout ----------------------------------------------------------------------------

def _n_units(profile: Profile, code: Code) -> int:
    return (profile.info_bits + _K - 1) * len(_GENERATORS) if code == "conv" else profile.info_bits


def _seed(key: bytes, what: str, profile: Profile) -> int:
    msg = f"{what}:{profile.name}".encode()
    return int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:8], "big")


@functools.lru_cache(maxsize=64)
def _layout(key: bytes, profile: Profile, code: Code) -> tuple[np.ndarray, np.ndarray]:
    """(unit of each chip, scrambling sign ±1 of each chip), derived from the key.

    Each coded bit ("unit") is spread over chips / units chips scattered across the frame by a
    keyed permutation, so a crop removes a share of every unit's chips instead of whole units.
    """
    rng = np.random.default_rng(_seed(key, "layout", profile))
    n = profile.chips
    unit = np.resize(np.arange(_n_units(profile, code)), n)[rng.permutation(n)]
    return unit, rng.choice(np.array([-1.0, 1.0]), n)


@functools.lru_cache(maxsize=64)
def _dither(key: bytes, profile: Profile, step: float) -> np.ndarray:
    rng = np.random.default_rng(_seed(key, "dither", profile))
    return rng.uniform(0, step, profile.chips)


def _coded(info: np.ndarray, code: Code) -> np.ndarray:
    return _conv_encode(info) if code == "conv" else info


def _unit_sums(values: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Sum chip values (..., chips) into their units (..., n_units)."""
    flat = values.reshape(-1, values.shape[-1])
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


def _canon(y: np.ndarray, profile: Profile) -> np.ndarray:
    import cv2

    c = profile.canon
    return cv2.resize(y, (c, c), interpolation=cv2.INTER_AREA)


def _cell_means(a: np.ndarray, profile: Profile) -> np.ndarray:
    g = profile.grid
    c = profile.canon // g
    return a.reshape(g, c, g, c).mean(axis=(1, 3))


def _up(cells: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.resize(cells.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


@functools.cache
def _response_gain(sigma: float, profile: Profile) -> float:
    """How much of a random ±1 chip pattern survives upsampling + the detector's high-pass."""
    rng = np.random.default_rng(0)
    g = profile.grid
    p = rng.choice(np.array([-1.0, 1.0]), (g, g))
    r = _cell_means(_highpass(_up(p, profile.canon, profile.canon), sigma), profile)
    return float((r * p).mean())


def embed(frames: np.ndarray, payload_bits: np.ndarray,
          config: WatermarkConfig = DEFAULT) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 with the 64-bit payload (its first `id_bits` for the small
    profile) and its tag under `config.key` embedded; a new array."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError("frames must be a (T, H, W, 3) uint8 array")
    if payload_bits.shape != (PAYLOAD_BITS,):
        raise ValueError(f"payload must be {PAYLOAD_BITS} bits")
    key = _check_key(config.key)
    _, height, width, _ = frames.shape
    prof = _profile(config, height, width)
    code = _code_of(config, prof)
    coded = _coded(_info(key, prof, payload_bits), code)
    n_units = len(coded)
    unit, scramble = _layout(key, prof, code)
    counts = np.bincount(unit, minlength=n_units).astype(np.float64)
    sign = 1.0 - 2.0 * coded.astype(np.float64)  # +1 for a 0 bit
    gain = _response_gain(config.blur_sigma, prof)
    # The detector averages its readings over time, so the host it sees is the time-averaged
    # one: a static mark informed by that average costs little when the picture moves.
    host = _highpass(_canon(_mean_luma(frames), prof), config.blur_sigma)
    chip_host = _cell_means(host, prof).ravel()
    # Perceptual masking: a textured chip (large local high-pass energy) hides a larger offset.
    activity = np.sqrt(_cell_means(host**2, prof).ravel())
    limit = prof.strength * (config.max_delta + config.masking * activity)
    if config.method == "dm":
        step = prof.strength * config.step
        delta = _dm_delta(chip_host, sign[unit], _dither(key, prof, step), gain, limit, step,
                          prof, config)
    else:
        delta = _informed_delta(chip_host, sign, unit, scramble, counts, gain, limit, prof,
                                config)
    # Frames are integers, so round(frame + pattern) == frame + round(pattern).
    g = prof.grid
    pattern = np.rint(_up(delta.reshape(g, g), width, height)).astype(np.int16)[..., None]
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        out[t] = np.clip(frame.astype(np.int16) + pattern, 0, 255).astype(np.uint8)
    return out


def _code_of(config: WatermarkConfig, profile: Profile) -> Code:
    return profile.code if config.method == "dm" else config.code


def _dm_delta(host: np.ndarray, sign: np.ndarray, dither: np.ndarray, gain: float,
              limit: np.ndarray, step: float, profile: Profile,
              config: WatermarkConfig) -> np.ndarray:
    """Chip offsets that quantise each chip's reading onto the lattice of its bit.

    Dither modulation (Chen & Wornell, "Quantization index modulation", IEEE Trans. Inf.
    Theory 47(4), 2001): a 0 bit puts the reading on dither + step*Z, a 1 bit on
    dither + step/2 + step*Z. The host picture does not interfere (it is known when embedding),
    which blind spread spectrum cannot achieve at this strength: that is the whole point.
    The detector's reading of a chip also sees its neighbours, so the offsets are found by a
    damped fixed-point iteration on the (linear) reading operator.
    """
    offset = dither + np.where(sign > 0, 0.0, step / 2)
    target = offset + step * np.round((host - offset) / step)
    delta = np.zeros_like(host)
    for _ in range(config.iterations):
        r = host + _reading(delta, config.blur_sigma, profile)
        err = target - r
        if np.abs(err).max() < 0.05 * step:
            break
        delta = np.clip(delta + 0.8 * err / gain, -limit, limit)
    return delta


def _reading(delta: np.ndarray, sigma: float, profile: Profile) -> np.ndarray:
    """What the detector reads (per chip) from an added chip pattern alone: it is linear."""
    g, c = profile.grid, profile.canon
    return _cell_means(_highpass(_up(delta.reshape(g, g), c, c), sigma), profile).ravel()


def _informed_delta(host: np.ndarray, sign: np.ndarray, unit: np.ndarray, scramble: np.ndarray,
                    counts: np.ndarray, gain: float, limit: np.ndarray, profile: Profile,
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
        r = host + _reading(delta, config.blur_sigma, profile)
        stat = _unit_sums(r * scramble, unit, n_units) / counts
        deficit = np.maximum(0.0, config.alpha - sign * stat)
        if deficit.max() < 0.05 * config.alpha:
            break
        delta = np.clip(delta + (sign * deficit)[unit] * scramble / gain,
                        -limit, limit)
    return delta


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


def _mean_luma(frames: np.ndarray) -> np.ndarray:
    """Mean luma over time, (H, W) float32; frames are summed one at a time (memory)."""
    acc = np.zeros(frames.shape[1:], dtype=np.float32)
    for frame in frames:
        acc += frame
    return _luma(acc[None] / len(frames))[0]


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


def embed_id(frames: np.ndarray, output_id: str, config: WatermarkConfig) -> np.ndarray:
    """Embed an output id (see `payload_from_output_id`) under `config.key`."""
    return embed(frames, int_to_bits(payload_from_output_id(output_id)), config)


def carries(found: Extraction, output_id: str) -> bool:
    """Whether an extraction names this output (all its bits, or its prefix for `small`)."""
    if not found.found or found.id_prefix is None:
        return False
    return f"{payload_from_output_id(output_id):016x}".startswith(found.id_prefix)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


__all__ = [
    "DEFAULT", "FULL", "PROFILES", "SCHEME", "SMALL", "SMALL_BELOW", "Extraction", "Profile",
    "WatermarkConfig", "bits_to_int", "carries", "embed", "embed_id", "extract", "extract_any",
    "int_to_bits", "output_id_from_payload", "payload_from_output_id", "profile_for", "psnr",
    "tag",
]
