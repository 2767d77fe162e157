"""The keyed layout: which coded bit each chip carries, its scrambling sign and its dither,
all seeded by the organization's secret."""

from __future__ import annotations

import functools
import hashlib
import hmac

import numpy as np

from clearreel.provenance.watermark._channel import _GENERATORS, _K, _conv_encode
from clearreel.provenance.watermark._profiles import Code, Profile


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
