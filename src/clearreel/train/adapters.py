"""What differs between families in a training step: text and video encoding, the forward call.

Everything else (cache, buckets, flow-matching objective, LoRA, accelerate, checkpoints) is
shared. Wan (and `tiny`) and LTX-Video both train with flow matching (velocity ε − x0); they
differ in how latents are normalised and how the transformer takes them: Wan takes
(B, C, F, H, W) latents directly, LTX takes them packed into a token sequence (B, S, C·p_t·p²)
with the latent grid size and RoPE interpolation scale alongside, and an attention mask for
the text. CogVideoX trains with a DDPM v-prediction objective and is not supported yet.
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


def make_adapter(family: str, pipe: Any, fps: int) -> WanAdapter | LTXAdapter:
    if family in ("wan", "tiny"):
        return WanAdapter(pipe, fps)
    if family == "ltx":
        return LTXAdapter(pipe, fps)
    raise UsageError(
        f"training the {family} family is not supported yet (trainable: wan, ltx, "
        "tiny); it can be loaded for generation"
    )


__all__ = ["LTXAdapter", "WanAdapter", "make_adapter"]
