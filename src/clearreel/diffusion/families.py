"""Base model families by name: which diffusers classes load, train and sample each one.

A base is a local directory in diffusers format (`model_index.json` plus one folder per
component), loaded with `from_pretrained(dir, local_files_only=True)`: nothing is fetched at
run time. The family of a directory is read from its `model_index.json` (`_class_name`), or
from `clearreel_base.json` for the `tiny` base that clearreel builds in code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearreel.errors import UsageError

BASE_MARKER = "clearreel_base.json"


@dataclass(frozen=True)
class Family:
    """How clearreel drives one diffusers model family."""

    name: str
    pipeline: str  # diffusers text-to-video pipeline class
    i2v_pipeline: str | None  # image-to-video pipeline class, when the family has one
    transformer: str  # diffusers denoiser class (the part LoRA and fine-tuning touch)
    pipeline_classes: tuple[str, ...]  # model_index.json `_class_name`s that mean this family
    # Attention projections that LoRA adapts (diffusers module names inside the transformer).
    lora_targets: tuple[str, ...] = ("to_q", "to_k", "to_v", "to_out.0")
    fps: int = 16  # the frame rate the family was trained at
    height: int = 480
    width: int = 832
    num_frames: int = 81  # one generation (a segment); longer clips are chained
    steps: int = 50
    guidance: float = 5.0
    max_sequence_length: int = 512
    # The training loop speaks the Wan transformer's forward (hidden_states, timestep,
    # encoder_hidden_states) and the flow-matching objective; other families load and sample.
    trainable: bool = False
    # Image-to-video for a text-to-video checkpoint by replacing the first latent frame
    # (possible for causal VAEs, whose first latent frame encodes the first pixel frame alone).
    latent_first_frame_i2v: bool = False
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


FAMILIES: dict[str, Family] = {
    "wan": Family(
        name="wan",
        pipeline="WanPipeline",
        i2v_pipeline="WanImageToVideoPipeline",
        transformer="WanTransformer3DModel",
        pipeline_classes=("WanPipeline", "WanImageToVideoPipeline"),
        fps=16,
        height=480,
        width=832,
        num_frames=81,
        steps=50,
        guidance=5.0,
        max_sequence_length=512,
        trainable=True,
        latent_first_frame_i2v=True,
        notes="Wan 2.1 / 2.2 (Wan-AI/Wan2.1-T2V-1.3B-Diffusers is the reference); UMT5 text "
        "encoder, causal 3D VAE (8x spatial, 4x temporal), flow matching.",
    ),
    "ltx": Family(
        name="ltx",
        pipeline="LTXPipeline",
        i2v_pipeline="LTXImageToVideoPipeline",
        transformer="LTXVideoTransformer3DModel",
        pipeline_classes=("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"),
        fps=24,
        height=480,
        width=704,
        num_frames=121,
        steps=50,
        guidance=3.0,
        max_sequence_length=128, trainable=True,
        notes="LTX-Video (Lightricks); the same checkpoint serves text- and image-to-video.",
    ),
    "cogvideox": Family(
        name="cogvideox",
        pipeline="CogVideoXPipeline",
        i2v_pipeline="CogVideoXImageToVideoPipeline",
        transformer="CogVideoXTransformer3DModel",
        pipeline_classes=("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
        fps=8,
        height=480,
        width=720,
        num_frames=49,
        steps=50,
        guidance=6.0,
        max_sequence_length=226,
        trainable=True,
        notes="CogVideoX (THUDM); image-to-video needs an I2V checkpoint (transformer with "
        "twice the latent input channels).",
    ),
    "tiny": Family(
        name="tiny",
        pipeline="WanPipeline",
        i2v_pipeline=None,
        transformer="WanTransformer3DModel",
        pipeline_classes=(),
        fps=8,
        height=32,
        width=48,
        num_frames=9,
        steps=12,
        guidance=3.0,
        max_sequence_length=48,
        trainable=True,
        latent_first_frame_i2v=True,
        notes="A small Wan-architecture model built in code (see clearreel.diffusion.tiny): "
        "for tests and the demo, trainable from scratch on a CPU in minutes.",
    ),
}


def get_family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise UsageError(
            f"unknown model family {name!r}: choose one of {', '.join(sorted(FAMILIES))}"
        ) from None


def read_base_marker(path: Path) -> dict[str, Any] | None:
    marker = path / BASE_MARKER
    if marker.is_file():
        data: dict[str, Any] = json.loads(marker.read_text())
        return data
    return None


def family_of_dir(path: Path) -> Family:
    """The family of a diffusers-format directory, from its model_index.json."""
    path = Path(path)
    marker = read_base_marker(path)
    if marker is not None:
        return get_family(str(marker["family"]))
    index = path / "model_index.json"
    if not index.is_file():
        raise UsageError(
            f"{path} is not a diffusers model directory (no model_index.json): "
            "save a base with `pipeline.save_pretrained(DIR)` or use --base tiny"
        )
    cls = json.loads(index.read_text()).get("_class_name", "")
    for fam in FAMILIES.values():
        if cls in fam.pipeline_classes:
            return fam
    raise UsageError(
        f"{path}: pipeline {cls!r} is not a supported family ({', '.join(sorted(FAMILIES))})"
    )
