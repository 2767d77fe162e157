"""The payload: an output id as 64 bits, the organization's secret, and the HMAC tag that
authenticates the id bits a profile carries."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

from clearreel.provenance.watermark._profiles import Profile

SCHEME = "clearreel-dm2"
PAYLOAD_BITS = 64  # an output id's bits (`out-<16 hex>`)


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
