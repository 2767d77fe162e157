"""LTX-Video and CogVideoX train through the same loop (their adapters: packed tokens and a
text mask; DDPM v-prediction)."""

from __future__ import annotations

from pathlib import Path

from .conftest import FAST, make_clips, new_workspace, tiny_ltx_pipeline


def test_ltx_lora_trains_and_generates(tmp_path: Path) -> None:
    from clearreel.generate.video import generate_frames
    from clearreel.train import train_on_clips

    s = new_workspace(tmp_path / "home")
    tiny_ltx_pipeline().save_pretrained(tmp_path / "ltx")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    cfg = {**FAST, "mode": "lora", "lora_rank": 4, "steps": 3, "buckets": [[9, 32, 32]],
           "fps": 8, "max_sequence_length": 16}
    rec = train_on_clips(s, clips, base=str(tmp_path / "ltx"), name="ltx-lora", config=cfg,
                         show_progress=False)
    assert rec is not None and rec.family == "ltx" and rec.mode == "lora"
    assert len(rec.metrics["loss_curve"]) == 3
    assert (rec.path / "lora" / "pytorch_lora_weights.safetensors").is_file()
    frames, fps = generate_frames(s, "ltx-lora", "Ruby", steps=2, seed=0)
    assert frames.shape == (9, 32, 32, 3) and fps == 8
    # Image-to-video through LTXImageToVideoPipeline on the same checkpoint (+ the LoRA).
    import numpy as np

    still = np.full((32, 32, 3), (200, 40, 40), np.uint8)
    shot, _ = generate_frames(s, "ltx-lora", "Ruby", steps=2, seed=0, image=still)
    assert shot.shape == (9, 32, 32, 3)


def test_cogvideox_lora_trains_with_its_own_objective(tmp_path: Path) -> None:
    from clearreel.train import train_on_clips

    from .conftest import tiny_cogvideox_pipeline

    s = new_workspace(tmp_path / "home")
    tiny_cogvideox_pipeline().save_pretrained(tmp_path / "cog")
    clips = make_clips(tmp_path / "clips", per_character=1, frames=12)
    cfg = {**FAST, "mode": "lora", "lora_rank": 4, "steps": 3, "buckets": [[9, 16, 16]],
           "fps": 8, "max_sequence_length": 16}
    rec = train_on_clips(s, clips, base=str(tmp_path / "cog"), name="cog-lora", config=cfg,
                         show_progress=False)
    assert rec is not None and rec.family == "cogvideox"
    assert len(rec.metrics["loss_curve"]) == 3
    assert (rec.path / "lora" / "pytorch_lora_weights.safetensors").is_file()
    from clearreel.generate.video import generate_frames

    frames, fps = generate_frames(s, "cog-lora", "Teal", steps=2, seed=0)
    assert frames.shape == (9, 16, 16, 3) and fps == 8
