"""A seeded golden slice of the tiny pipeline's output (as diffusers' pipeline tests do).

The tiny base is built in code from its seeds (`clearreel.diffusion.tiny`), saved and loaded
back as diffusers does a real checkpoint, and run on the CPU for a fixed prompt and seed with
the sampler settings `clearreel generate` uses for the tiny family (12 flow-matching Euler
steps, guidance 3.0, 48 text tokens, noise drawn on the CPU). A slice of the frames must match
the numbers recorded below; any change to the model's build, the scheduler, the sampler's
settings or how generation wires them in fails here. `generate_frames` (the path `clearreel
generate` takes) must give exactly those frames, rounded to 8 bits.

To regenerate after an intended change (say why in the commit):
    CLEARREEL_GOLDEN_PRINT=1 PYTHONPATH=src python -m pytest -q -s \
        tests/generate/test_golden.py
prints the new slice; paste it into EXPECTED_SLICE. Recorded on an
x86-64 CPU, one thread (torch 2.13.0+cpu, diffusers 0.42.1).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

PROMPT = "a lighthouse keeper walks along the harbour wall at dusk"
SEED = 0
# Those of the tiny family (`diffusion.families`): written out, so that changing them fails.
STEPS, GUIDANCE, MAX_LEN, FRAMES, HEIGHT, WIDTH = 12, 3.0, 48, 9, 32, 48

# frames[[0, 4, 8]][:, ::16, ::24, :] (frames in [0, 1], (T, H, W, 3)), flattened.
EXPECTED_SLICE = np.array([
    0.2139, 0.1103, 0.4145, 0.1988, 0.5032, 0.7778, 0.4444, 0.6584, 0.4133, 0.4680, 0.6096, 0.6757,
    0.6076, 0.8212, 0.9493, 0.4164, 0.7080, 0.6283, 0.6288, 0.4873, 0.9621, 0.5740, 0.1056, 0.8497,
    0.1936, 0.1777, 0.4749, 0.4207, 0.3929, 0.7310, 0.0000, 0.3639, 0.7785, 0.1797, 0.1905, 0.3885,
])
ATOL = 1e-3


def _golden_slice(frames: np.ndarray) -> np.ndarray:
    return np.asarray(frames, dtype=np.float64)[[0, 4, 8]][:, ::16, ::24, :].flatten()


def test_the_tiny_pipeline_matches_its_golden_slice(tmp_path: Path) -> None:
    import torch

    from clearreel.db import open_session
    from clearreel.diffusion import ensure_tiny_base, get_family, hash_model_dir, load_pipeline
    from clearreel.generate.video import generate_frames
    from clearreel.train.registry import ModelRecord, model_dir, register_model
    from train.conftest import new_workspace

    s = new_workspace(tmp_path / "home")
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one reduction order, as generate runs it (cpu_threads 1)
    try:
        pipe = load_pipeline("tiny", "cpu", settings=s)
        g = torch.Generator("cpu").manual_seed(SEED)
        c = int(pipe.transformer.config.in_channels)
        sf, tf = pipe.vae_scale_factor_spatial, pipe.vae_scale_factor_temporal
        latents = torch.randn((1, c, (FRAMES - 1) // tf + 1, HEIGHT // sf, WIDTH // sf),
                              generator=g)
        frames = pipe(prompt=PROMPT, negative_prompt=None, height=HEIGHT, width=WIDTH,
                      num_frames=FRAMES, num_inference_steps=STEPS, guidance_scale=GUIDANCE,
                      generator=g, output_type="np", max_sequence_length=MAX_LEN,
                      latents=latents).frames[0]
    finally:
        torch.set_num_threads(old_threads)
    got = _golden_slice(frames)
    if os.environ.get("CLEARREEL_GOLDEN_PRINT"):
        print("EXPECTED_SLICE = np.array([" + ", ".join(f"{v:.4f}" for v in got) + "])")
    assert frames.shape == (FRAMES, HEIGHT, WIDTH, 3)
    assert got.shape == EXPECTED_SLICE.shape
    assert np.abs(got - EXPECTED_SLICE).max() < ATOL, got.tolist()

    # `clearreel generate`'s path gives the same frames: a model whose weights are the base's
    # own (a "full" model with the base transformer), with the family's defaults. (On a GPU,
    # generate runs there: the same noise, other arithmetic.)
    if torch.cuda.is_available():
        return
    fam = get_family("tiny")
    assert (fam.steps, fam.guidance, fam.max_sequence_length) == (STEPS, GUIDANCE, MAX_LEN)
    assert (fam.num_frames, fam.height, fam.width) == (FRAMES, HEIGHT, WIDTH)
    base = ensure_tiny_base(s)
    path = model_dir(s, "m-golden")
    shutil.copytree(base / "transformer", path / "transformer")
    with open_session(s) as session:
        register_model(session, ModelRecord(
            name="m-golden", family="tiny", path=path, base=str(base),
            base_sha256=hash_model_dir(base, s), mode="full", dataset=None,
            dataset_manifest_sha256=None, config={"cpu_threads": 1}))
    made, fps = generate_frames(s, "m-golden", PROMPT, seed=SEED)
    assert fps == fam.fps
    rounded = np.clip(np.round(np.asarray(frames, dtype=np.float32) * 255.0), 0, 255)
    assert np.array_equal(made, rounded.astype(np.uint8))
