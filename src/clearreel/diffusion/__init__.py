"""Base model families (wan, ltx, cogvideox, tiny) through diffusers, loaded from local dirs.

Public API:

- `FAMILIES` / `get_family(name)`: the registry of families by name;
- `family_of_dir(path)`: which family a diffusers directory holds;
- `resolve_base(settings, base)`: `"tiny"` (built in code, once per workspace) or a directory;
- `load_pipeline(path_or_model, device=None, settings=None)`: a ready pipeline for a base
  directory, `"tiny"`, or a registered model's record (base + LoRA or fine-tuned transformer);
- `load_trained_pipeline`, `save_weights`, `base_dir_of`: a trained model's weights (weights.py);
- `hash_model_dir(path)`: the SHA-256 a trained model records for its base;
- `build_tiny_base(dir)`: write the tiny base in diffusers format.
"""

from clearreel.diffusion._load import (
    cast_keeping_fp32,
    ensure_tiny_base,
    hash_model_dir,
    load_base_pipeline,
    load_pipeline,
    resolve_base,
)
from clearreel.diffusion.families import FAMILIES, Family, family_of_dir, get_family
from clearreel.diffusion.tiny import build_tiny_base, build_tiny_pipeline
from clearreel.diffusion.weights import (
    base_dir_of,
    load_trained_pipeline,
    save_weights,
    write_model_json,
)

__all__ = [
    "FAMILIES",
    "Family",
    "base_dir_of",
    "build_tiny_base",
    "build_tiny_pipeline",
    "cast_keeping_fp32",
    "ensure_tiny_base",
    "family_of_dir",
    "get_family",
    "hash_model_dir",
    "load_base_pipeline",
    "load_pipeline",
    "load_trained_pipeline",
    "resolve_base",
    "save_weights",
    "write_model_json",
]
