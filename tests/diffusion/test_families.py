"""Base families: the registry, the tiny base built in code, and loading from local dirs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from clearreel.config import Settings
from clearreel.diffusion import (
    FAMILIES,
    build_tiny_pipeline,
    family_of_dir,
    get_family,
    hash_model_dir,
    load_pipeline,
    resolve_base,
)
from clearreel.errors import UsageError


def test_families_by_name() -> None:
    assert {"wan", "ltx", "cogvideox", "tiny"} <= set(FAMILIES)
    assert get_family("wan").pipeline == "WanPipeline"
    assert get_family("ltx").i2v_pipeline == "LTXImageToVideoPipeline"
    with pytest.raises(UsageError, match="choose one of"):
        get_family("sora")


def test_tiny_vae_is_an_exact_block_colour_autoencoder() -> None:
    vae = build_tiny_pipeline().vae
    x = torch.rand(1, 3, 9, 32, 48) * 2 - 1
    with torch.no_grad():
        z = vae.encode(x).latent_dist.mode()
        y = vae.decode(z).sample
    assert z.shape == (1, 4, 3, 4, 6)  # 4x temporal (causal: 1 + 4 + 4), 8x spatial

    def blocks(v: torch.Tensor) -> torch.Tensor:  # (1, 3, 32, 48) -> 8x8 block means
        return v.reshape(1, 3, 4, 8, 6, 8).mean((3, 5))

    assert torch.allclose(z[:, :3, 0], blocks(x[:, :, 0]), atol=1e-4)  # frame 0 alone
    assert torch.allclose(z[:, :3, 1], blocks(x[:, :, 1:5].mean(2)), atol=1e-4)
    up = z[:, :3, 1].repeat_interleave(8, 2).repeat_interleave(8, 3)
    for t in range(1, 5):
        assert torch.allclose(y[:, :, t], up, atol=1e-4)


def test_tiny_tokenizer_reads_any_text_offline(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from clearreel.diffusion.tiny import tiny_tokenizer

    tok = tiny_tokenizer()
    ids = tok("Zoë — 東京").input_ids
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == "zoë — 東京"  # lower-cased
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    assert again("Mara").input_ids == tok("Mara").input_ids


def test_tiny_base_loads_through_from_pretrained(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "home")
    path, fam = resolve_base(s, "tiny")
    assert fam.name == "tiny" and family_of_dir(path).name == "tiny"
    assert resolve_base(s, "tiny")[0] == path  # built once
    digest = hash_model_dir(path, s)
    assert digest == hash_model_dir(path) and len(digest) == 64

    pipe = load_pipeline(path, "cpu")
    assert type(pipe).__name__ == "WanPipeline"
    kw = {"height": 32, "width": 48, "num_frames": 5, "num_inference_steps": 2,
          "max_sequence_length": 16, "output_type": "np"}
    a = pipe("Mara", generator=torch.Generator().manual_seed(0), **kw).frames[0]
    b = pipe("Mara", generator=torch.Generator().manual_seed(0), **kw).frames[0]
    assert a.shape == (5, 32, 48, 3) and np.array_equal(a, b)

    # Without clearreel's marker the same directory is read as a Wan checkpoint.
    copy = tmp_path / "wan-copy"
    shutil.copytree(path, copy)
    (copy / "clearreel_base.json").unlink()
    assert family_of_dir(copy).name == "wan"
    assert hash_model_dir(copy) != digest
    cfg = copy / "transformer" / "config.json"
    cfg.write_text(cfg.read_text().replace('"num_layers": 2', '"num_layers": 2 '))
    before = hash_model_dir(copy)
    cfg.write_text(cfg.read_text() + " ")
    assert hash_model_dir(copy) != before  # any byte of any file changes the hash


def test_other_families_load_from_local_dirs(tmp_path: Path) -> None:
    """An LTX-Video checkpoint (tiny config, as in diffusers' tests) through LTXPipeline."""
    from train.conftest import tiny_ltx_pipeline

    tiny_ltx_pipeline().save_pretrained(tmp_path / "ltx")
    index = json.loads((tmp_path / "ltx" / "model_index.json").read_text())
    assert index["_class_name"] == "LTXPipeline"
    assert family_of_dir(tmp_path / "ltx").name == "ltx"
    loaded = load_pipeline(tmp_path / "ltx", "cpu")
    assert type(loaded).__name__ == "LTXPipeline"
    out = loaded("harbour", height=32, width=32, num_frames=9, num_inference_steps=2,
                 max_sequence_length=16, output_type="np",
                 generator=torch.Generator().manual_seed(0)).frames[0]
    assert out.shape == (9, 32, 32, 3) and np.isfinite(out).all()


def test_not_a_model_dir(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"model_index\.json"):
        family_of_dir(tmp_path)
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "FluxPipeline"}))
    with pytest.raises(UsageError, match="not a supported family"):
        family_of_dir(tmp_path)
