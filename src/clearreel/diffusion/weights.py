"""Where a trained model's weights live, and how a pipeline is rebuilt from them.

    models/NAME/model.json            the registry record (also in the database)
    models/NAME/base/                 tiny only: a copy of the base (a few MB), self-contained
    models/NAME/lora/                 LoRA: pytorch_lora_weights.safetensors (diffusers format)
    models/NAME/transformer/          full fine-tuning: the transformer (diffusers format)
    models/NAME/checkpoints/step-N/   resumable training state (accelerate save_state)

LoRA weights are saved with the pipeline class's `save_lora_weights`, so any diffusers user
can load them with `pipe.load_lora_weights(DIR)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import UsageError

LORA_ADAPTER = "clearreel"


def save_weights(pipe_cls: Any, transformer: Any, mode: str, out: Path) -> None:
    if mode == "lora":
        from peft.utils import get_peft_model_state_dict

        state = get_peft_model_state_dict(transformer)
        pipe_cls.save_lora_weights(
            str(out / "lora"), transformer_lora_layers=state, safe_serialization=True
        )
    else:
        transformer.save_pretrained(str(out / "transformer"), safe_serialization=True)


def base_dir_of(rec: Any) -> Path:
    local = Path(rec.path) / "base"
    if local.is_dir():
        return local
    base = Path(rec.base)
    if not base.is_dir():
        raise UsageError(
            f"model {rec.name!r}: its base {rec.base} is gone; restore the base "
            f"directory (sha256 {rec.base_sha256[:16]}…) or retrain"
        )
    return base


def load_trained_pipeline(
    rec: Any,
    *,
    device: str | None = None,
    dtype: Any = None,
    settings: Settings | None = None,
    i2v: bool = False,
) -> Any:
    """The family pipeline for a registered model: its base, then its trained weights."""
    import diffusers

    from clearreel.diffusion._load import hash_model_dir, load_base_pipeline
    from clearreel.diffusion.families import get_family

    fam = get_family(rec.family)
    base = base_dir_of(rec)
    if settings is not None and hash_model_dir(base, settings) != rec.base_sha256:
        raise UsageError(
            f"model {rec.name!r}: base {base} has changed since training "
            f"(sha256 differs from {rec.base_sha256[:16]}…); restore it or retrain"
        )
    pipe = load_base_pipeline(base, fam, device=device, dtype=dtype, i2v=i2v)
    path = Path(rec.path)
    if rec.mode == "full":
        cls = getattr(diffusers, fam.transformer)
        kw: dict[str, Any] = {"local_files_only": True}
        if dtype is not None:
            kw["torch_dtype"] = dtype
        pipe.transformer = cls.from_pretrained(str(path / "transformer"), **kw).to(pipe.device)
    else:
        pipe.load_lora_weights(str(path / "lora"), adapter_name=LORA_ADAPTER)
    return pipe


def write_model_json(out: Path, data: dict[str, Any]) -> None:
    (out / "model.json").write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


__all__ = ["base_dir_of", "load_trained_pipeline", "save_weights", "write_model_json"]
