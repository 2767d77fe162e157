"""The `tiny` base: a small Wan-architecture text-to-video model built entirely in code.

Every component is a real diffusers / transformers class at a tiny size (the sizes follow
diffusers' `tests/pipelines/wan/test_wan.py`), saved with `save_pretrained` and loaded back
through the same `WanPipeline.from_pretrained(dir, local_files_only=True)` path as a real Wan
checkpoint:

- tokenizer: byte-level (256 byte symbols + `<pad>`, `</s>`, `<unk>`, no merges), built with
  `tokenizers` and wrapped as `PreTrainedTokenizerFast`: any text, offline, no vocabulary file;
- text encoder: `UMT5EncoderModel` (Wan's encoder class) with a 2-layer, 32-wide config;
- transformer: `WanTransformer3DModel`, 2 layers, 4 heads x 16, patch (1, 2, 2);
- VAE: `AutoencoderKLWan` (base_dim 16, z_dim 4), *analytically initialised* as a colour
  autoencoder (see `init_colour_autoencoder`): latent = the mean colour of each 8x8 pixel
  block over 4 frames, decode = that colour repeated. A randomly initialised VAE decodes to
  noise, and training one to reconstruct colour takes far longer than the 5-minute CPU budget
  of the demo; with this initialisation the transformer's learning shows directly in pixels.

Weights are random (seeded): the transformer is what `clearreel train` learns from scratch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clearreel.diffusion.families import BASE_MARKER, FAMILIES

TINY_VERSION = 1
Z_DIM = 4
VAE_BASE_DIM = 16
TEXT_DIM = 32
# The constant channel carried through the VAE: large, so that the RMS norms of the Wan VAE
# (which divide by the channel-vector norm) scale the colour channels by a near-constant.
_K = 1000.0


def tiny_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    # T5 convention: `</s>` closes every sequence.
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=512,
    )


def init_colour_autoencoder(vae: Any) -> None:
    """Set an `AutoencoderKLWan` (dim_mult all 1) to an exact block-average colour autoencoder.

    Encoder: conv_in writes (+r, -r, +g, -g, +b, -b, K) into channels 0..6; every residual
    branch and attention projection is zero (so each block is the identity); each spatial
    downsample averages 2x2 pixels and each temporal downsample averages 2 frames; the head's
    RMS norm divides by ~K/sqrt(C) (K dominates the norm) and SiLU(v) - SiLU(-v) = v undoes
    the SiLU exactly, so conv_out reads back (r, g, b) averaged over 8x8 pixels x 4 frames.
    logvar is fixed at -20 (sampling = mode). The decoder mirrors it: nearest upsampling and
    frame repetition. Wan's VAE is causal: latent frame 0 is pixel frame 0 alone.
    """
    import torch
    from diffusers.models.autoencoders.autoencoder_kl_wan import (
        WanAttentionBlock,
        WanResample,
        WanResidualBlock,
    )

    z = vae.config.z_dim

    def center(conv: Any, pairs: list[tuple[int, int, float]]) -> None:
        w = conv.weight
        w.zero_()
        if conv.bias is not None:
            conv.bias.zero_()
        for o, i, v in pairs:
            if w.dim() == 5:
                w[o, i, -1, w.shape[3] // 2, w.shape[4] // 2] = (
                    v  # causal: last tap = current frame
                )
            else:
                w[o, i, w.shape[2] // 2, w.shape[3] // 2] = v

    def eye(n: int) -> list[tuple[int, int, float]]:
        return [(c, c, 1.0) for c in range(n)]

    with torch.no_grad():
        m: Any
        for m in vae.modules():
            if isinstance(m, WanResidualBlock):
                center(m.conv2, [])  # the residual branch adds nothing
                if not isinstance(m.conv_shortcut, torch.nn.Identity):
                    center(m.conv_shortcut, eye(min(m.in_dim, m.out_dim)))
            elif isinstance(m, WanAttentionBlock):
                center(m.proj, [])
            elif isinstance(m, WanResample):
                conv: Any = m.resample[-1]
                if m.mode.startswith("downsample"):
                    conv.weight.zero_()
                    conv.bias.zero_()
                    for c in range(m.dim):
                        conv.weight[c, c, 0:2, 0:2] = (
                            0.25  # 2x2 average (taps 0,1 of the padded 3x3)
                        )
                    if m.mode == "downsample3d":
                        tc: Any = m.time_conv
                        tc.weight.zero_()
                        tc.bias.zero_()
                        for c in range(m.dim):
                            tc.weight[c, c, 1:3, 0, 0] = 0.5  # mean of the two newest frames
                else:
                    center(conv, eye(conv.out_channels))
                    if m.mode == "upsample3d":
                        # time_conv doubles the frames: both halves copy the current frame.
                        center(
                            m.time_conv, eye(m.dim) + [(m.dim + c, c, 1.0) for c in range(m.dim)]
                        )
        enc: Any = vae.encoder
        dec: Any = vae.decoder
        # encoder in: RGB -> (+r, -r, +g, -g, +b, -b) and the constant K.
        center(enc.conv_in, [(2 * c + s, c, 1.0 - 2.0 * s) for c in range(3) for s in (0, 1)])
        enc.conv_in.bias[6] = _K
        # encoder out: mean = (SiLU(+v) - SiLU(-v)) * K / sqrt(C); logvar = -20.
        gain = _K / enc.norm_out.scale
        center(
            enc.conv_out,
            [(c, 2 * c, gain) for c in range(3)] + [(c, 2 * c + 1, -gain) for c in range(3)],
        )
        enc.conv_out.bias[z:] = -20.0
        center(vae.quant_conv, eye(2 * z))
        center(vae.post_quant_conv, eye(z))
        # decoder in: latent (r, g, b) -> (+r, -r, ...) and K; out: as the encoder head.
        center(dec.conv_in, [(2 * c + s, c, 1.0 - 2.0 * s) for c in range(3) for s in (0, 1)])
        dec.conv_in.bias[6] = _K
        gain = _K / dec.norm_out.scale
        center(
            dec.conv_out,
            [(c, 2 * c, gain) for c in range(3)] + [(c, 2 * c + 1, -gain) for c in range(3)],
        )


def build_tiny_pipeline(seed: int = 0) -> Any:
    """The tiny WanPipeline, in memory (random transformer and text encoder, seeded)."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    vae = AutoencoderKLWan(
        base_dim=VAE_BASE_DIM,
        z_dim=Z_DIM,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        # colour averages in [-1, 1]: normalise to roughly unit variance
        latents_mean=[0.0] * Z_DIM,
        latents_std=[0.5] * Z_DIM,
    )
    init_colour_autoencoder(vae)
    torch.manual_seed(seed + 1)
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=259,
            d_model=TEXT_DIM,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            dropout_rate=0.0,
            feed_forward_proj="gated-gelu",
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )
    torch.manual_seed(seed + 2)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=4,
        attention_head_dim=16,
        in_channels=Z_DIM,
        out_channels=Z_DIM,
        text_dim=TEXT_DIM,
        freq_dim=64,
        ffn_dim=128,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    scheduler = FlowMatchEulerDiscreteScheduler(shift=2.0)
    return WanPipeline(
        tokenizer=tiny_tokenizer(),
        text_encoder=text_encoder,
        vae=vae,
        scheduler=scheduler,
        transformer=transformer,
    )


def build_tiny_base(out_dir: Path, seed: int = 0) -> Path:
    """Build the tiny base and save it in diffusers format at `out_dir` (returned)."""
    out_dir = Path(out_dir)
    pipe = build_tiny_pipeline(seed)
    pipe.save_pretrained(out_dir, safe_serialization=True)
    fam = FAMILIES["tiny"]
    (out_dir / BASE_MARKER).write_text(
        json.dumps(
            {
                "family": "tiny",
                "version": TINY_VERSION,
                "seed": seed,
                "height": fam.height,
                "width": fam.width,
                "num_frames": fam.num_frames,
                "fps": fam.fps,
                "max_sequence_length": fam.max_sequence_length,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return out_dir
