"""Inference optimisations for a diffusers video transformer, by name.

- `compile`: regional `torch.compile` of the repeated transformer blocks
  (`ModelMixin.compile_repeated_blocks`): one block graph compiled once and reused by all 30
  Wan blocks, so compile time stays in seconds, not minutes;
- `attention=NAME`: a diffusers attention backend (`_native_flash`, `_native_cudnn`, `flash`
  with flash-attn installed, `sage` with SageAttention...), instead of PyTorch's default SDPA
  dispatch;
- `fbcache=THRESHOLD`: First-Block Cache (the TeaCache family, as in ParaAttention): when the
  first block's residual changes by less than THRESHOLD (relative L1) since the last full
  step, the remaining blocks are skipped and their cached residual reused.

`CLEARREEL_GENERATE_OPTIMISE="compile,attention=_native_flash,fbcache=0.05"` turns them on for
`generate_frames` on CUDA; they are off by default until `bench/gpu_generate.py` has measured
them on the studio's GPU (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from clearreel.errors import UsageError


@dataclass(frozen=True)
class Optimisations:
    compile: bool = False
    attention: str | None = None
    fbcache: float | None = None

    @classmethod
    def parse(cls, text: str | None) -> Optimisations:
        compile_, attention, fbcache = False, None, None
        for item in (text or "").split(","):
            key, _, value = item.strip().partition("=")
            if not key:
                continue
            if key == "compile":
                compile_ = True
            elif key == "attention" and value:
                attention = value
            elif key == "fbcache":
                try:
                    fbcache = float(value or 0.05)
                except ValueError:
                    raise UsageError(
                        f"fbcache={value!r}: give a threshold, e.g. fbcache=0.05"
                    ) from None
            else:
                raise UsageError(
                    f"unknown optimisation {item!r}: use compile, attention=NAME, fbcache=THRESHOLD"
                )
        return cls(compile_, attention, fbcache)

    @classmethod
    def from_env(cls) -> Optimisations:
        return cls.parse(os.environ.get("CLEARREEL_GENERATE_OPTIMISE"))

    def label(self) -> str:
        parts = (
            (["compile"] if self.compile else [])
            + ([f"attention={self.attention}"] if self.attention else [])
            + ([f"fbcache={self.fbcache:g}"] if self.fbcache is not None else [])
        )
        return ",".join(parts) or "none"


def apply(transformer: Any, opts: Optimisations) -> Any:
    """Apply `opts` to a diffusers transformer in place (returns it)."""
    if opts.attention:
        transformer.set_attention_backend(opts.attention)
    if opts.fbcache is not None:
        from diffusers import FirstBlockCacheConfig

        transformer.enable_cache(FirstBlockCacheConfig(threshold=opts.fbcache))
    if opts.compile:
        transformer.compile_repeated_blocks(fullgraph=True)
    return transformer


__all__ = ["Optimisations", "apply"]
