"""LoRA training step of the Wan 2.1 1.3B transformer at full size: time and peak memory.

The architecture of Wan2.1-T2V-1.3B (30 layers, 12 heads x 128, ffn 8960, text_dim 4096,
16 latent channels, patch (1, 2, 2)) with random weights; random text embeddings of the
right shape (512 x 4096); 480x832, 81 frames = latents (16, 21, 60, 104), 32,760 tokens.
The step is clearreel's (`clearreel.train.objective.flow_matching_loss`, LoRA rank 32 on the
attention projections via peft, frozen base in bf16, AdamW). Variants, measured in one run:

- `stock`: what diffusers' training examples do: LoRA + gradient checkpointing, eager, SDPA;
- `compile`: + regional torch.compile of the transformer blocks;
- `flash`: + the `_native_flash` attention backend (PyTorch's FlashAttention kernel);
- `no-ckpt`: stock without gradient checkpointing (faster when memory allows).

    .venv/bin/python bench/gpu_train.py                 # on a CUDA GPU (skips without one)
    .venv/bin/python bench/gpu_train.py --small         # CPU smoke test, tiny sizes

Prints one JSON document: per variant, seconds per step (median of --steps after --warmup)
and peak CUDA memory, and each variant's speed-up over `stock`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

WAN_1_3B = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 12,
    "attention_head_dim": 128,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "ffn_dim": 8960,
    "num_layers": 30,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
    "rope_max_seq_len": 1024,
}
SMALL = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 2,
    "attention_head_dim": 16,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": 64,
    "freq_dim": 64,
    "ffn_dim": 64,
    "num_layers": 2,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 32,
}
# (latent frames, height/8, width/8): 81 frames at 480x832 -> 21 x 60 x 104.
FULL_LATENT, SMALL_LATENT = (21, 60, 104), (3, 4, 6)


def variant(
    name: str,
    cfg: dict[str, Any],
    latent: tuple[int, int, int],
    text_len: int,
    device: str,
    dtype: Any,
    steps: int,
    warmup: int,
    rank: int,
) -> dict[str, Any]:
    import torch
    from diffusers import WanTransformer3DModel
    from peft import LoraConfig

    from clearreel.diffusion import cast_keeping_fp32
    from clearreel.diffusion.optimise import Optimisations, apply
    from clearreel.train.objective import flow_matching_loss, sample_sigmas

    torch.manual_seed(0)
    model = cast_keeping_fp32(WanTransformer3DModel(**cfg).to(device), dtype)
    model.requires_grad_(False)
    model.add_adapter(
        LoraConfig(r=rank, lora_alpha=rank, target_modules=["to_q", "to_k", "to_v", "to_out.0"])
    )
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    if name != "no-ckpt":
        model.enable_gradient_checkpointing()
    if name == "flash":
        apply(model, Optimisations(attention="_native_flash"))
    if name == "compile":
        apply(model, Optimisations(compile=True))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn((1, cfg["in_channels"], *latent), generator=g)
    text = torch.randn((1, text_len, cfg["text_dim"]), generator=g)
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times, losses = [], []
    for i in range(warmup + steps):
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter()
        with torch.autocast(device_type="cuda" if cuda else "cpu", dtype=dtype, enabled=cuda):
            loss = flow_matching_loss(
                model,
                x0,
                text,
                sample_sigmas(1, 3.0, g),
                torch.randn(x0.shape, generator=g),
                device=device,
                dtype=dtype,
            )
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t)
            losses.append(float(loss.detach()))
    trainable = sum(p.numel() for p in params)
    total = sum(p.numel() for p in model.parameters())
    out = {
        "variant": name,
        "seconds_per_step": statistics.median(times),
        "steps": steps,
        "params": total,
        "trainable": trainable,
        "loss": losses[-1],
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None,
    }
    del model, opt
    if cuda:
        torch.cuda.empty_cache()
    return out


def device_setup(small: bool) -> tuple[str, Any, dict[str, Any], Any, int] | None:
    """(device, dtype, transformer config, latent shape, text length), or None (and a JSON
    `skipped` line) without CUDA unless `small` asks for the CPU smoke test."""
    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not small:
        print(
            json.dumps({"skipped": "no CUDA device; run on a GPU, or --small for a CPU smoke test"})
        )
        return None
    device, dtype = ("cuda", torch.bfloat16) if cuda and not small else ("cpu", torch.float32)
    if small:
        return device, dtype, SMALL, SMALL_LATENT, 16
    return device, dtype, WAN_1_3B, FULL_LATENT, 512


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="CPU smoke test with tiny sizes")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--variants", default=None, help="comma-separated subset")
    args = ap.parse_args(argv)
    setup = device_setup(args.small)
    if setup is None:
        return 0
    device, dtype, cfg, latent, text_len = setup
    import torch

    cuda = device == "cuda"
    steps = args.steps or (2 if args.small else 10)
    warmup = args.warmup if args.warmup is not None else (1 if args.small else 3)
    names = (
        args.variants.split(",")
        if args.variants
        else (["stock", "no-ckpt"] if not cuda else ["stock", "compile", "flash", "no-ckpt"])
    )
    results = []
    for name in names:
        try:
            results.append(
                variant(name, cfg, latent, text_len, device, dtype, steps, warmup, args.rank)
            )
        except Exception as e:  # an OOM or a missing kernel is a result too
            results.append({"variant": name, "error": f"{type(e).__name__}: {e}"[:300]})
            if cuda:
                torch.cuda.empty_cache()
    base = next((r for r in results if r["variant"] == "stock" and "error" not in r), None)
    for r in results:
        if base and "error" not in r:
            r["speedup_vs_stock"] = round(base["seconds_per_step"] / r["seconds_per_step"], 3)
    print(
        json.dumps(
            {
                "bench": "gpu_train",
                "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                "small": args.small,
                "latent": latent,
                "text_len": text_len,
                "torch": torch.__version__,
                "results": results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
