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

The code, by responsibility: `_payload` (output id <-> bits, the HMAC tag), `_profiles` (the
two layouts and `WatermarkConfig`), `_channel` (the convolutional code), `_layout` (the keyed
chip layout and dither), `_signal` (luma, high-pass, chip readings), `_embed`, `_extract`
(the geometry search and decoding). Other modules import from this package only.
"""

from __future__ import annotations

from clearreel.provenance.watermark._embed import embed, embed_id
from clearreel.provenance.watermark._extract import (
    Extraction,
    Hypothesis,
    carries,
    extract,
    extract_any,
)
from clearreel.provenance.watermark._payload import (
    PAYLOAD_BITS,
    SCHEME,
    bits_to_int,
    int_to_bits,
    output_id_from_payload,
    payload_from_output_id,
    tag,
)
from clearreel.provenance.watermark._profiles import (
    DEFAULT,
    FULL,
    PROFILES,
    SMALL,
    SMALL_BELOW,
    Code,
    Method,
    Profile,
    WatermarkConfig,
    profile_for,
)
from clearreel.provenance.watermark._signal import psnr

__all__ = [
    "DEFAULT", "FULL", "PAYLOAD_BITS", "PROFILES", "SCHEME", "SMALL", "SMALL_BELOW", "Code",
    "Extraction", "Hypothesis", "Method", "Profile", "WatermarkConfig", "bits_to_int", "carries",
    "embed", "embed_id", "extract", "extract_any", "int_to_bits", "output_id_from_payload",
    "payload_from_output_id", "profile_for", "psnr", "tag",
]
