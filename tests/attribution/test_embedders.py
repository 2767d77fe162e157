"""Embedders: the default descriptor's invariances, and learned ones from a local directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clearreel.attribution import EMBEDDERS, get_embedder
from clearreel.attribution.robustness import render_procedural
from clearreel.errors import UsageError


def test_registry_names() -> None:
    assert {"clearreel-vd", "clip", "dinov2"} <= set(EMBEDDERS)
    with pytest.raises(UsageError, match=r"unknown embedder 'nope'.*clearreel-vd"):
        get_embedder("nope")


def test_vd_vectors_are_unit_and_sized() -> None:
    emb = get_embedder()
    fp = emb.embed(render_procedural(1, 96, 54, 40), 16.0)
    assert fp.vector.shape == (emb.dim,)
    assert fp.frames.shape == (20, emb.dim)  # 2.5 s at 8 samples per second
    assert abs(float(np.linalg.norm(fp.vector)) - 1) < 1e-5
    assert np.allclose(np.linalg.norm(fp.frames, axis=1), 1, atol=1e-5)


def test_vd_mirror_is_exact() -> None:
    """The analytic mirror equals the descriptor of the flipped video (no second decode)."""
    emb = get_embedder()
    frames = render_procedural(2, 96, 54, 24)
    fp = emb.embed(frames, 16.0)
    flipped = emb.embed(np.ascontiguousarray(frames[:, :, ::-1]), 16.0)
    assert np.allclose(emb.mirrored(fp, frames, 16.0).frames, flipped.frames, atol=1e-4)
    assert float(fp.vector @ flipped.vector) < 0.99  # the descriptor itself is not symmetric


def test_vd_ignores_brightness_and_contrast() -> None:
    emb = get_embedder()
    frames = render_procedural(3, 96, 54, 24)
    graded = np.clip(frames.astype(np.float32) * 0.8 + 20, 0, 255).astype(np.uint8)
    a, b = emb.embed(frames, 16.0), emb.embed(graded, 16.0)
    assert float(a.vector @ b.vector) > 0.97
    other = emb.embed(render_procedural(4, 96, 54, 24), 16.0)
    assert float(a.vector @ other.vector) < 0.8


def _tiny_clip(path: Path) -> Path:
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, image_size=32, patch_size=8, projection_dim=24)
    CLIPVisionModelWithProjection(cfg).save_pretrained(path)
    CLIPImageProcessor(size={"shortest_edge": 32},
                       crop_size={"height": 32, "width": 32}).save_pretrained(path)
    return path


def _tiny_dinov2(path: Path) -> Path:
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    cfg = Dinov2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=2, image_size=32, patch_size=8)
    Dinov2Model(cfg).save_pretrained(path)
    BitImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32},
                      do_center_crop=True).save_pretrained(path)
    return path


@pytest.mark.parametrize(("name", "make", "dim"), [("clip", _tiny_clip, 24),
                                                   ("dinov2", _tiny_dinov2, 32)])
def test_learned_embedders_from_local_dir(tmp_path: Path, name: str, make, dim: int) -> None:  # type: ignore[no-untyped-def]
    import torch

    torch.manual_seed(0)
    model_dir = make(tmp_path / name)
    emb = get_embedder(name, model_dir=model_dir)
    fp = emb.embed(render_procedural(5, 96, 54, 16), 16.0)  # 1 s at 2 samples per second
    assert emb.dim == dim
    assert fp.vector.shape == (dim,) and fp.frames.shape == (2, dim)
    assert abs(float(np.linalg.norm(fp.vector)) - 1) < 1e-5
    assert emb.config()["model_dir"] == str(model_dir)


def test_learned_embedder_needs_a_model_dir(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--model-dir"):
        get_embedder("clip")
    with pytest.raises(UsageError, match=r"no config\.json"):
        get_embedder("dinov2", model_dir=tmp_path)
