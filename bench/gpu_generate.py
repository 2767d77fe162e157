"""Generation with the Wan 2.1 1.3B transformer at full size: 50 steps, 480x832, 81 frames.

Random weights in the Wan2.1-T2V-1.3B architecture, random text embeddings (512 x 4096) for
the prompt and the negative prompt, classifier-free guidance 5.0 (two transformer passes per
step), the scheduler Wan2.1-T2V-1.3B-Diffusers ships (UniPC, flow sigmas, shift 3.0). The
denoising loop is stock diffusers `WanPipeline.__call__` (prompt_embeds given, output_type
"latent": the text encoder and the VAE decode are not timed). Variants in one run:

- `stock`: the pipeline as diffusers ships it (eager, PyTorch SDPA);
- `flash`: attention backend `_native_flash`;
- `compile`: regional torch.compile of the transformer blocks;
- `fbcache`: First-Block Cache, threshold 0.05 (skips the other blocks when the first
  block's residual barely moves);
- `all`: compile + flash + fbcache (what `CLEARREEL_GENERATE_OPTIMISE` turns on).

For each: seconds for the run (after a 2-step warm-up that absorbs compilation), the speed-up
over `stock`, peak memory, and the relative L2 distance of the final latents from `stock`'s
(0 for exact optimisations; the cost in fidelity of caching).

    .venv/bin/python bench/gpu_generate.py            # on a CUDA GPU (skips without one)
    .venv/bin/python bench/gpu_generate.py --small    # CPU smoke test, tiny sizes
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from gpu_train import device_setup

VARIANTS = {
    "stock": "",
    "flash": "attention=_native_flash",
    "compile": "compile",
    "fbcache": "fbcache=0.05",
    "all": "compile,attention=_native_flash,fbcache=0.05",
}


def run(
    name: str,
    spec: str,
    cfg: dict[str, Any],
    latent: tuple[int, int, int],
    text_len: int,
    steps: int,
    device: str,
    dtype: Any,
) -> tuple[dict[str, Any], Any]:
    import torch
    from diffusers import UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel

    from clearreel.diffusion import cast_keeping_fp32
    from clearreel.diffusion.optimise import Optimisations, apply

    torch.manual_seed(0)
    transformer = cast_keeping_fp32(WanTransformer3DModel(**cfg).to(device), dtype).eval()
    apply(transformer, Optimisations.parse(spec))
    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction",
        use_flow_sigmas=True,
        num_train_timesteps=1000,
        flow_shift=3.0,
    )
    pipe = WanPipeline(
        tokenizer=None, text_encoder=None, vae=None, scheduler=scheduler, transformer=transformer
    )
    pipe.set_progress_bar_config(disable=True)
    g = torch.Generator().manual_seed(0)
    cond = torch.randn((1, text_len, cfg["text_dim"]), generator=g).to(device, dtype)
    uncond = torch.randn((1, text_len, cfg["text_dim"]), generator=g).to(device, dtype)
    f, h, w = latent
    num_frames, height, width = (f - 1) * 4 + 1, h * 8, w * 8
    noise = torch.randn((1, cfg["in_channels"], f, h, w), generator=g)

    def call(n: int) -> Any:
        return pipe(
            prompt_embeds=cond,
            negative_prompt_embeds=uncond,
            height=height,
            width=width,
            num_frames=num_frames,
            num_inference_steps=n,
            guidance_scale=5.0,
            latents=noise.clone().to(device),
            output_type="latent",
        ).frames

    cuda = device.startswith("cuda")
    with torch.no_grad():
        call(2)  # warm-up: compilation, kernel selection, caches
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t = time.perf_counter()
        out = call(steps)
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t
    res = {
        "variant": name,
        "optimisations": Optimisations.parse(spec).label(),
        "seconds": round(seconds, 3),
        "steps": steps,
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
    }
    return res, out.float().cpu()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--small", action="store_true", help="CPU smoke test with tiny sizes")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument(
        "--variants", default=None, help=f"comma-separated subset of {', '.join(VARIANTS)}"
    )
    args = ap.parse_args(argv)
    setup = device_setup(args.small)
    if setup is None:
        return 0
    device, dtype, cfg, latent, text_len = setup
    import torch

    steps = args.steps or (4 if args.small else 50)
    names = (
        args.variants.split(",")
        if args.variants
        else (list(VARIANTS) if device == "cuda" else ["stock", "fbcache"])
    )
    results, ref = [], None
    for name in names:
        try:
            res, latents = run(name, VARIANTS[name], cfg, latent, text_len, steps, device, dtype)
        except Exception as e:  # a missing kernel or an OOM is a result too
            results.append({"variant": name, "error": f"{type(e).__name__}: {e}"[:300]})
            continue
        if name == "stock":
            ref = latents
        if ref is not None:
            res["relative_l2_vs_stock"] = round(float((latents - ref).norm() / ref.norm()), 5)
        results.append(res)
    base = next((r for r in results if r["variant"] == "stock" and "error" not in r), None)
    for r in results:
        if base and "error" not in r:
            r["speedup_vs_stock"] = round(base["seconds"] / r["seconds"], 3)
    print(
        json.dumps(
            {
                "bench": "gpu_generate",
                "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                "small": args.small,
                "latent": latent,
                "guidance": 5.0,
                "torch": torch.__version__,
                "results": results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
