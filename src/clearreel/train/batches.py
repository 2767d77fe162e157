"""Training batches: every clip decoded once into windows, their latents (VAE) and captions
(text encoder) encoded once, and the batch of step k drawn from a generator of its own.

The generator of step k is seeded with (seed, k, process), never from global RNG state, so a
run resumed from a checkpoint draws the same batches, captions, sigma and noise as an
uninterrupted one (see `loop`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from clearreel.errors import UsageError
from clearreel.train.config import TrainConfig
from clearreel.train.data import (
    decode_clip,
    full_caption,
    names_caption,
    plan_windows,
    window_frames,
)

Log = Callable[[str], None]


def step_generator(seed: int, step: int, rank: int) -> Any:
    import torch

    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 4099 + rank)


def resolve_buckets(
    cfg: TrainConfig, fam: Any, marker: dict[str, Any] | None
) -> list[tuple[int, int, int]]:
    if cfg.buckets:
        return [(int(f), int(h), int(w)) for f, h, w in cfg.buckets]
    src = marker or {}
    return [
        (
            int(src.get("num_frames", fam.num_frames)),
            int(src.get("height", fam.height)),
            int(src.get("width", fam.width)),
        )
    ]


def build_samples(
    pipe: Any,
    adapter: Any,
    clips: Sequence[Any],
    cfg: TrainConfig,
    buckets: list[tuple[int, int, int]],
    fps: int,
    max_len: int,
    names: dict[str, str],
    device: str,
    log: Log,
    show_progress: bool,
) -> dict[str, Any]:
    """Decode every clip once, cut windows, encode latents (VAE) and captions (text encoder)."""
    import torch

    from clearreel.media import probe
    from clearreel.util.progress import track as progress

    latents: list[Any] = []
    meta: list[dict[str, Any]] = []
    full_caps: list[str] = []
    short_caps: list[str] = []
    for clip in progress(clips, "encoding clips", total=len(clips), enabled=show_progress):
        pr = probe(clip.path)
        wins = plan_windows(
            clip.id,
            pr.frames,
            pr.fps_float,
            fps,
            pr.width / pr.height,
            buckets,
            cfg.windows_per_clip,
        )
        if not wins:
            log(f"skipping clip {clip.id}: {pr.frames} frames is shorter than every bucket")
            continue
        by_size: dict[tuple[int, int], np.ndarray] = {}
        for w in wins:
            size = (w.bucket[1], w.bucket[2])
            if size not in by_size:
                by_size[size], _ = decode_clip(clip.path, size[1], size[0])
            frames = window_frames(by_size[size], w)
            if len(frames) < w.bucket[0]:  # the container announced more frames than decoded
                continue
            latents.append(adapter.encode_video(pipe, frames, device))  # (C, f, h, w)
            meta.append(
                {
                    "clip": clip.id,
                    "start": w.start,
                    "stride": w.stride,
                    "bucket": list(w.bucket),
                    "characters": sorted(clip.characters),
                }
            )
            full_caps.append(full_caption(clip, cfg.trigger))
            short = names_caption(clip, cfg.trigger, names)
            short_caps.append(short or full_caps[-1])  # no names: the short caption is the full one
    if not latents:
        raise UsageError(
            "no clip is long enough for the training buckets: add longer clips or "
            "smaller buckets (frames 4k+1)"
        )
    uniq = sorted(set(full_caps) | set(short_caps) | {""})
    emb, mask = adapter.encode_text(pipe, uniq, max_len, device)  # (N, L, D), (N, L) or None
    index = {c: i for i, c in enumerate(uniq)}
    return {
        "latents": latents,
        "meta": meta,
        "text": emb,
        "mask": mask,
        "full": torch.tensor([index[c] for c in full_caps]),
        "short": torch.tensor([index[c] for c in short_caps]),
        "empty": torch.tensor(index[""]),
        "captions": uniq,
    }


def pick_batch(
    samples: dict[str, Any], buckets_of: dict[tuple[int, ...], list[int]], cfg: TrainConfig, g: Any
) -> tuple[Any, Any, Any]:
    """One batch from one bucket: latents (B, C, f, h, w), text embeddings (B, L, D) and
    their attention mask (B, L) where the family uses one."""
    import torch

    n = len(samples["latents"])
    first = int(torch.randint(n, (1,), generator=g))
    pool = buckets_of[tuple(samples["meta"][first]["bucket"])]
    picks = [first] + [
        pool[int(i)] for i in torch.randint(len(pool), (cfg.batch_size - 1,), generator=g)
    ]
    x0 = torch.stack([samples["latents"][i] for i in picks])
    u = torch.rand(len(picks), generator=g)
    text_ids = []
    for i, ui in zip(picks, u.tolist(), strict=True):
        if ui < cfg.caption_dropout:
            text_ids.append(int(samples["empty"]))
        elif ui < cfg.caption_dropout + cfg.names_caption_prob:
            text_ids.append(int(samples["short"][i]))
        else:
            text_ids.append(int(samples["full"][i]))
    rows = torch.tensor(text_ids)
    mask = samples.get("mask")
    return x0, samples["text"][rows], None if mask is None else mask[rows]


__all__ = ["build_samples", "pick_batch", "resolve_buckets", "step_generator"]
