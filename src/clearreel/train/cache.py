"""The cache of VAE latents and text embeddings, so that each epoch runs the denoiser only.

Keyed by everything the cached tensors depend on: the dataset manifest hash, the base model
hash, buckets, frame rate, windows, text length, trigger and the cache format version. A
different input gives a different key (a new directory); a directory whose recorded inputs do
not match its key (edited, half-written) is rebuilt, never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CACHE_VERSION = 1


def cache_key(inputs: dict[str, Any]) -> str:
    body = json.dumps({"version": CACHE_VERSION, **inputs}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def load_or_build(
    root: Path, inputs: dict[str, Any], build: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """(cached tensors, hit?) for `inputs`; `build()` runs on a miss or a stale entry."""
    import torch

    key = cache_key(inputs)
    d = root / key[:32]
    meta_file, data_file = d / "meta.json", d / "data.pt"
    if meta_file.is_file() and data_file.is_file():
        try:
            meta = json.loads(meta_file.read_text())
        except ValueError:
            meta = {}
        if meta.get("key") == key and meta.get("inputs") == json.loads(
            json.dumps(inputs, default=str)
        ):
            return torch.load(data_file, map_location="cpu", weights_only=True), True
    # Miss or stale: rebuild into a fresh directory, then move it into place.
    data = build()
    tmp = d.with_name(d.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(data, tmp / "data.pt")
    (tmp / "meta.json").write_text(
        json.dumps({"key": key, "inputs": inputs}, default=str, indent=2, sort_keys=True)
    )
    shutil.rmtree(d, ignore_errors=True)
    os.replace(tmp, d)
    return data, False


def encode_text(pipe: Any, prompts: Sequence[str], max_sequence_length: int, device: str) -> Any:
    """Text embeddings exactly as the pipeline computes them at inference, (N, L, D) float32."""
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(prompts), 16):
            emb, _ = pipe.encode_prompt(
                prompt=list(prompts[i : i + 16]),
                do_classifier_free_guidance=False,
                max_sequence_length=max_sequence_length,
                device=device,
            )
            out.append(emb.float().cpu())
    return torch.cat(out) if out else torch.zeros(0)


def vae_normalisers(vae: Any) -> tuple[Any, Any]:
    """Wan's latent normalisation: z_norm = (z - mean) / std (the pipeline inverts it)."""
    import torch

    z = vae.config.z_dim
    mean = torch.tensor(vae.config.latents_mean).view(1, z, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(1, z, 1, 1, 1)
    return mean, std


def encode_video(vae: Any, frames: Any, device: str) -> Any:
    """(F, H, W, 3) uint8 -> normalised latents (C, f, h, w) float32 on the CPU."""
    import torch

    x = torch.from_numpy(np.array(frames, dtype=np.uint8)).to(device=device, dtype=vae.dtype)
    x = x.permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1.0  # (1, 3, F, H, W) in [-1, 1]
    with torch.no_grad():
        z = vae.encode(x).latent_dist.mode().float().cpu()
    mean, std = vae_normalisers(vae)
    return ((z - mean) / std)[0]


__all__ = [
    "CACHE_VERSION",
    "cache_key",
    "encode_text",
    "encode_video",
    "load_or_build",
    "vae_normalisers",
]
