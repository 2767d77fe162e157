"""Embedding: solve the chip offsets (dither modulation, or the spread-spectrum peer) and add
them, upsampled, to every frame."""

from __future__ import annotations

import numpy as np

from clearreel.provenance.watermark._layout import _coded, _dither, _layout, _unit_sums
from clearreel.provenance.watermark._payload import (
    PAYLOAD_BITS,
    _check_key,
    _info,
    int_to_bits,
    payload_from_output_id,
)
from clearreel.provenance.watermark._profiles import (
    DEFAULT,
    Profile,
    WatermarkConfig,
    _code_of,
    _profile,
)
from clearreel.provenance.watermark._signal import (
    _canon,
    _cell_means,
    _highpass,
    _mean_luma,
    _reading,
    _response_gain,
    _up,
)


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


def embed_id(frames: np.ndarray, output_id: str, config: WatermarkConfig) -> np.ndarray:
    """Embed an output id (see `payload_from_output_id`) under `config.key`."""
    return embed(frames, int_to_bits(payload_from_output_id(output_id)), config)
