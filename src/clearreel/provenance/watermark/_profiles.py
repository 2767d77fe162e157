"""The two layouts of the mark (`full`, `small`), the embedding and search settings
(`WatermarkConfig`), and which profile a frame size gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SMALL_BELOW = 128  # frames with a shorter side (pixels) get the `small` profile

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


def _code_of(config: WatermarkConfig, profile: Profile) -> Code:
    return profile.code if config.method == "dm" else config.code
