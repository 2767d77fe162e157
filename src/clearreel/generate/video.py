"""Raw generation from a registered model: text-to-video, image-to-video, long-form chaining.

`generate_frames` makes frames only; the prompt guard, watermark, C2PA manifest and output
record are `clearreel.generate.pipeline`'s job, around it.

Image-to-video, by family:

- a Wan *I2V* checkpoint, LTX-Video (any checkpoint) and a CogVideoX *I2V* checkpoint use
  their diffusers image-to-video pipelines (`WanImageToVideoPipeline`,
  `LTXImageToVideoPipeline`, `CogVideoXImageToVideoPipeline`);
- a Wan or `tiny` *text-to-video* checkpoint is conditioned by first-latent-frame replacement:
  Wan's VAE is causal, so latent frame 0 encodes pixel frame 0 alone; after every denoising
  step that frame is reset to the image's latent noised to the scheduler's next σ,
  (1-σ)·z_img + σ·ε (the flow-matching forward process), reaching z_img exactly at σ = 0.
  The other frames are denoised in attention with it, so the shot continues from the image.

Long clips: a request longer than one segment is generated as a chain, each segment
conditioned (as above) on the last frame of the one before; the shared frame is kept once.
Up to 60 seconds. Seeded and deterministic on the CPU (noise is drawn on the CPU).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.config import Settings
from clearreel.errors import UsageError

MAX_SECONDS = 60.0
_PIPES: dict[tuple[str, str, str, bool], Any] = {}


def _model_defaults(rec: Any) -> dict[str, Any]:
    from clearreel.diffusion import get_family

    fam = get_family(rec.family)
    buckets = rec.metrics.get("buckets") or [[fam.num_frames, fam.height, fam.width]]
    f, h, w = buckets[0]
    return {
        "num_frames": int(f),
        "height": int(h),
        "width": int(w),
        "fps": int(rec.metrics.get("fps") or fam.fps),
        "steps": fam.steps,
        "guidance": fam.guidance,
        "max_sequence_length": int(
            rec.metrics.get("max_sequence_length") or fam.max_sequence_length
        ),
        "segment_frames": int(f) if fam.name == "tiny" else fam.num_frames,
    }


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    import torch

    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _pipeline(settings: Settings, rec: Any, i2v: bool) -> Any:
    """The loaded pipeline of a model, kept for the next segment or call (one at a time)."""
    from clearreel.diffusion.weights import load_trained_pipeline
    from clearreel.train.loop import quiet_diffusers

    key = (rec.org or "", rec.name, str(rec.created), i2v)
    if key not in _PIPES:
        _PIPES.clear()
        with quiet_diffusers():
            pipe = load_trained_pipeline(rec, settings=settings, i2v=i2v)
            import torch

            if torch.cuda.is_available():  # opt-in, measured by bench/gpu_generate.py
                from clearreel.diffusion.optimise import Optimisations, apply

                apply(pipe.transformer, Optimisations.from_env())
            _PIPES[key] = pipe
    return _PIPES[key]


def _to_rgb(image: Any, width: int, height: int) -> np.ndarray:
    """A path, PIL image or (H, W, 3) uint8 array, as (height, width, 3) uint8."""
    from PIL import Image

    if isinstance(image, str | Path):
        p = Path(image)
        if not p.is_file():
            raise UsageError(f"--image {p}: no such file")
        img = Image.open(p).convert("RGB")
    elif isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise UsageError(f"image array must be (H, W, 3), got {image.shape}")
        img = Image.fromarray(image.astype(np.uint8))
    else:
        img = image.convert("RGB")
    return np.asarray(img.resize((width, height), Image.Resampling.BICUBIC), dtype=np.uint8)


def _native_i2v(rec: Any) -> bool:
    """Whether the model's family pipeline does image-to-video itself for this checkpoint."""
    import json

    from clearreel.diffusion.weights import base_dir_of

    if rec.family == "ltx":
        return True
    index = base_dir_of(rec) / "model_index.json"
    cls = json.loads(index.read_text()).get("_class_name", "") if index.is_file() else ""
    return cls in ("WanImageToVideoPipeline", "CogVideoXImageToVideoPipeline")


def _segment(
    pipe: Any,
    rec: Any,
    prompt: str,
    negative: str | None,
    n: int,
    h: int,
    w: int,
    steps: int,
    seed: int,
    guidance: float,
    max_len: int,
    cond: np.ndarray | None,
    native_i2v: bool,
) -> np.ndarray:
    """One generation of n frames (n = 4k+1), (n, h, w, 3) uint8."""
    import torch
    from PIL import Image

    g = torch.Generator("cpu").manual_seed(seed)
    kwargs: dict[str, Any] = {
        "prompt": prompt,
        "negative_prompt": negative,
        "height": h,
        "width": w,
        "num_frames": n,
        "num_inference_steps": steps,
        "guidance_scale": guidance,
        "generator": g,
        "output_type": "np",
    }
    kwargs["max_sequence_length"] = max_len  # as trained (CogVideoX-2B's positions need it)
    if cond is not None and native_i2v:
        kwargs["image"] = Image.fromarray(cond)
    elif rec.family in ("wan", "tiny"):
        # Noise drawn on the CPU: the same seed gives the same video on any device.
        vae = pipe.vae
        c = int(pipe.transformer.config.in_channels)
        sf, tf = pipe.vae_scale_factor_spatial, pipe.vae_scale_factor_temporal
        latents = torch.randn((1, c, (n - 1) // tf + 1, h // sf, w // sf), generator=g)
        kwargs["latents"] = latents.to(pipe.device)
        if cond is not None:
            from clearreel.train.cache import encode_video

            z_img = encode_video(vae, cond[None], str(pipe.device))[None].to(
                pipe.device
            )  # (1,C,1,h,w)
            eps = torch.randn(z_img.shape, generator=g).to(pipe.device)

            def replace_first(p: Any, i: int, t: Any, kw: dict[str, Any]) -> dict[str, Any]:
                lat = kw["latents"]
                sigma = float(p.scheduler.sigmas[i + 1])  # the level the step just reached
                lat[:, :, :1] = ((1 - sigma) * z_img + sigma * eps).to(lat.dtype)
                return {"latents": lat}

            kwargs["callback_on_step_end"] = replace_first
            kwargs["callback_on_step_end_tensor_inputs"] = ["latents"]
    elif cond is not None:  # guarded by generate_frames; kept for direct callers
        raise UsageError(f"the {rec.family} family cannot do image-to-video with this checkpoint")
    frames = pipe(**kwargs).frames[0]  # (n, h, w, 3) float in [0, 1]
    return np.clip(np.round(np.asarray(frames, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def generate_frames(
    settings: Settings,
    model_name: str,
    prompt: str,
    *,
    num_frames: int | None = None,
    height: int | None = None,
    width: int | None = None,
    steps: int | None = None,
    seed: int = 0,
    guidance: float | None = None,
    image: Any = None,
    negative_prompt: str | None = None,
) -> tuple[np.ndarray, float]:
    """Frames (T, H, W, 3) uint8 and fps from registered model `model_name`.

    Defaults come from the model (its training size, frame rate and frame count) and its
    family (steps, guidance). `image` (path, PIL image or array) makes it image-to-video.
    `num_frames` beyond one segment chains segments, up to 60 s.
    """
    from clearreel.diffusion import get_family
    from clearreel.train.registry import get_model

    rec = get_model(settings, model_name)
    fam = get_family(rec.family)
    d = _model_defaults(rec)
    n = int(num_frames or d["num_frames"])
    h, w = int(height or d["height"]), int(width or d["width"])
    steps = int(steps or d["steps"])
    guidance = float(d["guidance"] if guidance is None else guidance)
    fps = float(d["fps"])
    problems = []
    if n < 1:
        problems.append("num_frames must be at least 1")
    if n / fps > MAX_SECONDS:
        problems.append(f"{n} frames at {fps:g} fps is {n / fps:.1f}s; at most {MAX_SECONDS:g}s")
    if h % 16 or w % 16 or h <= 0 or w <= 0:
        problems.append(f"{w}x{h}: width and height must be positive multiples of 16")
    if steps < 1:
        problems.append("steps must be at least 1")
    if not prompt.strip():
        problems.append("the prompt is empty")
    if problems:
        raise UsageError("cannot generate: " + "; ".join(problems))
    native = False
    if image is not None:
        native = _native_i2v(rec)
        if not native and not fam.latent_first_frame_i2v:
            raise UsageError(
                f"model {rec.name} ({rec.family}) has no image-to-video: use a "
                f"{fam.i2v_pipeline or 'image-to-video'} checkpoint as its base"
            )
    seg = max(5, int(d["segment_frames"]))
    seg = (seg - 1) // 4 * 4 + 1
    cond = _to_rgb(image, w, h) if image is not None else None
    threads = int(rec.config.get("cpu_threads") or 0)
    import torch

    with _threads(threads if not torch.cuda.is_available() else 0):
        pipe = _pipeline(settings, rec, native)
        if n <= seg:
            want = max(1, math.ceil((n - 1) / 4)) * 4 + 1  # the VAE makes 4k+1 frames
            out = _segment(
                pipe,
                rec,
                prompt,
                negative_prompt,
                want,
                h,
                w,
                steps,
                seed,
                guidance,
                d["max_sequence_length"],
                cond,
                native,
            )
            return out[:n], fps
        parts: list[np.ndarray] = []
        total, k = 0, 0
        while total < n:
            frames = _segment(
                pipe,
                rec,
                prompt,
                negative_prompt,
                seg,
                h,
                w,
                steps,
                seed + k,
                guidance,
                d["max_sequence_length"],
                cond,
                native,
            )
            parts.append(frames if k == 0 else frames[1:])  # frame 0 repeats the previous last
            total += len(parts[-1])
            cond, k = frames[-1], k + 1
            if image is None:
                native = _native_i2v(rec) if k == 1 else native
                if k == 1 and not native and not fam.latent_first_frame_i2v:
                    raise UsageError(f"{rec.family} cannot chain segments without image-to-video")
                pipe = _pipeline(settings, rec, native)
        return np.concatenate(parts)[:n], fps


__all__ = ["MAX_SECONDS", "generate_frames"]
