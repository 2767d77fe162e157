"""What differs between families in a training step: text and video encoding, the forward call.

Everything else (cache, buckets, flow-matching objective, LoRA, accelerate, checkpoints) is
shared. Wan (and `tiny`) and LTX-Video both train with flow matching (velocity ε − x0); they
differ in how latents are normalised and how the transformer takes them: Wan takes
(B, C, F, H, W) latents directly, LTX takes them packed into a token sequence (B, S, C·p_t·p²)
with the latent grid size and RoPE interpolation scale alongside, and an attention mask for
the text. CogVideoX is a DDPM model with v-prediction: its adapter brings its own objective.

Every adapter's `loss(...)` draws its randomness from the step's generator `g` only, which is
what makes resumed runs replay the same losses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clearreel.errors import UsageError


class WanAdapter:
    frame_multiple, size_multiple = 4, 16

    def __init__(self, pipe: Any, fps: int) -> None:
        self.fps = fps

    def encode_text(
        self, pipe: Any, prompts: Sequence[str], max_len: int, device: str
    ) -> tuple[Any, Any]:
        """(N, L, D) embeddings as the pipeline computes them (zero-padded), and no mask."""
        from clearreel.train.cache import encode_text

        return encode_text(pipe, prompts, max_len, device), None

    def encode_video(self, pipe: Any, frames: np.ndarray, device: str) -> Any:
        from clearreel.train.cache import encode_video

        return encode_video(pipe.vae, frames, device)

    def forward(self, transformer: Any, x_t: Any, timestep: Any, text: Any, mask: Any) -> Any:
        return transformer(
            hidden_states=x_t, timestep=timestep, encoder_hidden_states=text, return_dict=False
        )[0]

    def loss(
        self,
        transformer: Any,
        x0: Any,
        text: Any,
        mask: Any,
        g: Any,
        *,
        device: str,
        dtype: Any,
        shift: float,
        num_train_timesteps: int,
    ) -> Any:
        """Flow matching (`clearreel.train.objective`)."""
        import torch

        from clearreel.train.objective import flow_matching_loss, sample_sigmas

        sigma = sample_sigmas(x0.shape[0], shift, g)
        noise = torch.randn(x0.shape, generator=g)
        m = None if mask is None else mask.to(device)
        return flow_matching_loss(
            transformer,
            x0,
            text,
            sigma,
            noise,
            device=device,
            dtype=dtype,
            num_train_timesteps=num_train_timesteps,
            forward=lambda x, t: self.forward(transformer, x, t, text.to(device, dtype), m),
        )


class LTXAdapter:
    frame_multiple, size_multiple = 8, 32

    def __init__(self, pipe: Any, fps: int) -> None:
        self.p = int(pipe.transformer_spatial_patch_size)
        self.pt = int(pipe.transformer_temporal_patch_size)
        tr, sr = pipe.vae_temporal_compression_ratio, pipe.vae_spatial_compression_ratio
        # As LTXPipeline.__call__: RoPE positions scaled to seconds and pixels.
        self.rope = (tr / fps, sr, sr)

    def encode_text(
        self, pipe: Any, prompts: Sequence[str], max_len: int, device: str
    ) -> tuple[Any, Any]:
        import torch

        embs, masks = [], []
        with torch.no_grad():
            for i in range(0, len(prompts), 16):
                emb, mask, _, _ = pipe.encode_prompt(
                    prompt=list(prompts[i : i + 16]),
                    do_classifier_free_guidance=False,
                    max_sequence_length=max_len,
                    device=device,
                )
                embs.append(emb.float().cpu())
                masks.append(mask.cpu())
        return torch.cat(embs), torch.cat(masks)

    def encode_video(self, pipe: Any, frames: np.ndarray, device: str) -> Any:
        import torch

        vae = pipe.vae
        x = torch.from_numpy(np.array(frames, dtype=np.uint8)).to(device=device, dtype=vae.dtype)
        x = x.permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1.0
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mode().float()
        z = type(pipe)._normalize_latents(
            z, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        )
        return z.cpu()[0]

    def forward(self, transformer: Any, x_t: Any, timestep: Any, text: Any, mask: Any) -> Any:
        from diffusers import LTXPipeline

        _b, _c, f, h, w = x_t.shape
        packed = LTXPipeline._pack_latents(x_t, self.p, self.pt)
        out = transformer(
            hidden_states=packed,
            encoder_hidden_states=text,
            timestep=timestep,
            encoder_attention_mask=mask,
            num_frames=f // self.pt,
            height=h // self.p,
            width=w // self.p,
            rope_interpolation_scale=self.rope,
            return_dict=False,
        )[0]
        return LTXPipeline._unpack_latents(
            out, f // self.pt, h // self.p, w // self.p, self.p, self.pt
        )

    loss = WanAdapter.loss


class CogVideoXAdapter:
    """CogVideoX: DDPM noise levels, v-prediction, SNR weighting, as in diffusers'
    examples/cogvideo/train_cogvideox_lora.py: x_t = √ᾱ·x0 + √(1-ᾱ)·ε; the model's output v
    gives x̂0 = √ᾱ·x_t − √(1-ᾱ)·v (`scheduler.get_velocity`); loss = mean(‖x̂0 − x0‖² / (1-ᾱ))."""

    frame_multiple, size_multiple = 4, 16

    def __init__(self, pipe: Any, fps: int) -> None:
        import torch

        self.alphas_cumprod = torch.as_tensor(pipe.scheduler.alphas_cumprod, dtype=torch.float32)
        self.spatial = int(pipe.vae_scale_factor_spatial)
        self.scaling = float(pipe.vae.config.scaling_factor)

    def encode_text(
        self, pipe: Any, prompts: Sequence[str], max_len: int, device: str
    ) -> tuple[Any, Any]:
        from clearreel.train.cache import encode_text

        return encode_text(pipe, prompts, max_len, device), None

    def encode_video(self, pipe: Any, frames: np.ndarray, device: str) -> Any:
        import torch

        vae = pipe.vae
        x = torch.from_numpy(np.array(frames, dtype=np.uint8)).to(device=device, dtype=vae.dtype)
        x = x.permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1.0
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mode().float()
        return (z * self.scaling).cpu()[0]  # (C, F, H, W)

    def forward(self, transformer: Any, x_t: Any, timestep: Any, text: Any, mask: Any) -> Any:
        from types import SimpleNamespace

        from diffusers import CogVideoXPipeline

        _b, _c, f, h, w = x_t.shape
        rotary = None
        if transformer.config.use_rotary_positional_embeddings:  # CogVideoX-5B
            owner = SimpleNamespace(transformer=transformer, vae_scale_factor_spatial=self.spatial)
            rotary = CogVideoXPipeline._prepare_rotary_positional_embeddings(
                owner, h * self.spatial, w * self.spatial, f, x_t.device
            )
        out = transformer(
            hidden_states=x_t.permute(0, 2, 1, 3, 4),
            encoder_hidden_states=text,
            timestep=timestep,
            image_rotary_emb=rotary,
            return_dict=False,
        )[0]
        return out.permute(0, 2, 1, 3, 4)  # (B, F, C, H, W) -> (B, C, F, H, W)

    def loss(
        self,
        transformer: Any,
        x0: Any,
        text: Any,
        mask: Any,
        g: Any,
        *,
        device: str,
        dtype: Any,
        shift: float,
        num_train_timesteps: int,
    ) -> Any:
        import torch

        t = torch.randint(0, len(self.alphas_cumprod), (x0.shape[0],), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        a = self.alphas_cumprod[t].view(-1, 1, 1, 1, 1)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        v = self.forward(
            transformer, x_t.to(device, dtype), t.to(device), text.to(device, dtype), None
        )
        a = a.to(device)
        x0_pred = a.sqrt() * x_t.to(device) - (1 - a).sqrt() * v.float()
        return (((x0_pred - x0.to(device)) ** 2) / (1 - a)).mean()


ADAPTERS: dict[str, Any] = {"wan": WanAdapter, "tiny": WanAdapter, "ltx": LTXAdapter,
                            "cogvideox": CogVideoXAdapter}


def make_adapter(family: str, pipe: Any, fps: int) -> Any:
    try:
        return ADAPTERS[family](pipe, fps)
    except KeyError:
        raise UsageError(f"no training adapter for the {family} family") from None


__all__ = ["ADAPTERS", "CogVideoXAdapter", "LTXAdapter", "WanAdapter", "make_adapter"]
