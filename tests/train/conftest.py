"""Tiny clips rendered with PyAV: each character has its own colours, so learning is visible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearreel.dataset import ManifestClip

# character -> (background RGB, figure RGB)
LOOKS = {
    "c-ruby": ((200, 40, 40), (250, 220, 60)),
    "c-teal": ((30, 150, 150), (20, 40, 200)),
    "c-moss": ((60, 140, 40), (240, 240, 240)),
}
NAMES = {"c-ruby": "Ruby", "c-teal": "Teal", "c-moss": "Moss"}


def render_clip(
    path: Path,
    character: str,
    *,
    seed: int,
    frames: int = 20,
    width: int = 48,
    height: int = 32,
    fps: int = 8,
) -> Path:
    """An H.264 mp4 of a figure moving across the character's background."""
    import av

    rng = np.random.default_rng(seed)
    bg, fg = (np.array(c, dtype=np.float32) for c in LOOKS[character])
    bg = np.clip(bg + rng.normal(0, 12, 3), 0, 255)
    yy, xx = np.mgrid[0:height, 0:width]
    x0, vx = rng.uniform(0.2, 0.8) * width, rng.uniform(-1.0, 1.0)
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = width, height, "yuv420p"
        st.options = {"crf": "18"}
        for t in range(frames):
            img = np.broadcast_to(bg, (height, width, 3)).copy()
            cx = (x0 + vx * t) % width
            mask = ((xx - cx) / 6.0) ** 2 + ((yy - height * 0.55) / 10.0) ** 2 < 1.0
            img[mask] = fg
            frame = av.VideoFrame.from_ndarray(img.astype(np.uint8), format="rgb24")
            for pkt in st.encode(frame):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return path


def make_clips(root: Path, per_character: int = 2, frames: int = 20) -> list[ManifestClip]:
    root.mkdir(parents=True, exist_ok=True)
    clips = []
    for ci, ch in enumerate(LOOKS):
        for k in range(per_character):
            p = render_clip(root / f"{ch}-{k}.mp4", ch, seed=ci * 100 + k, frames=frames)
            clips.append(
                ManifestClip(
                    id=f"{ch}-{k}",
                    path=p,
                    caption=f"{NAMES[ch]} walks across the frame",
                    characters=[ch],
                    work="w-test",
                )
            )
    return clips


@pytest.fixture
def tiny_clips(tmp_path: Path) -> list[ManifestClip]:
    return make_clips(tmp_path / "clips")


def new_workspace(home: Path):  # type: ignore[no-untyped-def]
    """An initialised workspace with one organization (no catalog needed for training)."""
    from clearreel.config import Settings
    from clearreel.db import init_db, open_session
    from clearreel.rights.models import Organization

    s = Settings(home=home)
    init_db(s)
    with open_session(s, any_org=True) as ss:
        ss.add(Organization(id="org-test", name="Test Pictures"))
    return s


FAST = {"mode": "full", "steps": 6, "batch_size": 2, "learning_rate": 2e-3,
        "gradient_checkpointing": False, "cpu_threads": 1, "log_every": 1}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A workspace with a tiny model `m-full` trained for a few steps (module-scoped)."""
    from clearreel.train import train_on_clips

    root = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLEARREEL_HOME", str(root / "home"))
        mp.delenv("CLEARREEL_DATABASE_URL", raising=False)
        mp.delenv("CLEARREEL_ORG", raising=False)
        s = new_workspace(root / "home")
        clips = make_clips(root / "clips", per_character=1, frames=12)
        rec = train_on_clips(s, clips, base="tiny", name="m-full", config=FAST,
                             character_names=NAMES, show_progress=False)
        yield s, clips, rec


def tiny_ltx_pipeline():  # type: ignore[no-untyped-def]
    """An LTX-Video pipeline at about the sizes of diffusers' tests/pipelines/ltx, random
    weights, with clearreel's offline byte tokenizer and a tiny T5 encoder."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    from clearreel.diffusion.tiny import tiny_tokenizer

    torch.manual_seed(0)
    return LTXPipeline(
        transformer=LTXVideoTransformer3DModel(
            in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
            attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=32),
        vae=AutoencoderKLLTXVideo(
            # LTX-Video's compression (32x spatial = patch 4 x 2^3, 8x temporal) at width 8
            latent_channels=8, block_out_channels=(8, 8, 8, 8),
            spatio_temporal_scaling=(True, True, True, False), layers_per_block=(1, 1, 1, 1, 1),
            patch_size=4, patch_size_t=1, encoder_causal=True, decoder_causal=False),
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=T5EncoderModel(T5Config(vocab_size=259, d_model=32, d_kv=8, d_ff=37,
                                             num_layers=1, num_heads=4)),
        tokenizer=tiny_tokenizer(),
    )


def tiny_cogvideox_pipeline():  # type: ignore[no-untyped-def]
    """A CogVideoX pipeline at the sizes of diffusers' tests/pipelines/cogvideo (16x16 px,
    9 frames, 16 text tokens), random weights, clearreel's byte tokenizer."""
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    from clearreel.diffusion.tiny import tiny_tokenizer

    torch.manual_seed(0)
    return CogVideoXPipeline(
        transformer=CogVideoXTransformer3DModel(
            num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4,
            time_embed_dim=2, text_embed_dim=32, num_layers=1, sample_width=2, sample_height=2,
            sample_frames=9, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16),
        vae=AutoencoderKLCogVideoX(
            in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
            up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
            latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4),
        scheduler=CogVideoXDDIMScheduler(),
        text_encoder=T5EncoderModel(T5Config(vocab_size=259, d_model=32, d_kv=8, d_ff=37,
                                             num_layers=1, num_heads=4)),
        tokenizer=tiny_tokenizer(),
    )
