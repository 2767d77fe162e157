"""Resolving, hashing and loading base models (local diffusers directories only)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.diffusion.families import Family, family_of_dir, get_family
from clearreel.errors import MissingDependency, UsageError

_HASH_CACHE = "base-hashes.json"


def hash_model_dir(path: Path, settings: Settings | None = None) -> str:
    """SHA-256 over a model directory: every file's relative path and content hash, sorted.

    With `settings`, file hashes are remembered under $CLEARREEL_HOME/cache keyed by
    (path, size, mtime), so a 10 GB base is read once, not on every run.
    """
    path = Path(path).resolve()
    if not path.is_dir():
        raise UsageError(f"base model directory {path} does not exist")
    cache_file = settings.path("cache", _HASH_CACHE) if settings else None
    known: dict[str, Any] = {}
    if cache_file and cache_file.is_file():
        try:
            known = json.loads(cache_file.read_text())
        except ValueError:
            known = {}
    outer = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path).as_posix()
        if rel.startswith(".") or "/." in rel:  # hidden files (editor, git) are not the model
            continue
        st = f.stat()
        key = f"{f}|{st.st_size}|{st.st_mtime_ns}"
        digest = known.get(key)
        if digest is None:
            h = hashlib.sha256()
            with f.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            digest = known[key] = h.hexdigest()
        outer.update(f"{rel}\0{digest}\n".encode())
    if cache_file:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(known))
        os.replace(tmp, cache_file)
    return outer.hexdigest()


def resolve_base(settings: Settings, base: str) -> tuple[Path, Family]:
    """`tiny` (built once into the workspace cache) or a local diffusers directory."""
    if base == "tiny":
        return ensure_tiny_base(settings), get_family("tiny")
    path = Path(base).expanduser()
    if not path.is_dir():
        raise UsageError(
            f"--base {base!r}: not 'tiny' and not a directory; give a local "
            "diffusers-format model directory (nothing is downloaded)"
        )
    return path.resolve(), family_of_dir(path)


def ensure_tiny_base(settings: Settings, seed: int = 0) -> Path:
    """$CLEARREEL_HOME/cache/bases/tiny-v<N>-s<seed>, built on first use (atomically)."""
    from clearreel.diffusion.tiny import TINY_VERSION, build_tiny_base

    dest = settings.path("cache", "bases", f"tiny-v{TINY_VERSION}-s{seed}")
    if (dest / "model_index.json").is_file():
        return dest.resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=dest.parent))
    try:
        build_tiny_base(tmp, seed=seed)
        try:
            os.replace(tmp, dest)
        except OSError:  # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest.resolve()


def _diffusers_class(name: str) -> Any:
    try:
        import diffusers
    except ImportError as e:  # pragma: no cover - a core dependency
        raise MissingDependency("diffusers is not installed: pip install diffusers") from e
    cls = getattr(diffusers, name, None)
    if cls is None:
        raise MissingDependency(
            f"this diffusers ({diffusers.__version__}) has no {name}: pip install -U diffusers"
        )
    return cls


def load_base_pipeline(
    path: Path, family: Family, *, device: str | None = None, dtype: Any = None, i2v: bool = False
) -> Any:
    """The family's pipeline from a local directory (`local_files_only=True`)."""
    import torch

    cls_name = family.pipeline
    if i2v and family.i2v_pipeline:
        cls_name = family.i2v_pipeline
    index = Path(path) / "model_index.json"
    if index.is_file():
        saved = json.loads(index.read_text()).get("_class_name")
        if saved in family.pipeline_classes and not i2v:
            cls_name = saved
    cls = _diffusers_class(cls_name)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dtype is None and device.startswith("cuda"):
        # bf16 on GPU (Wan's UMT5-XXL encoder alone is 23 GB in fp32), the VAE below in fp32
        # as Wan recommends for decoding quality.
        dtype = torch.bfloat16
    kwargs: dict[str, Any] = {"local_files_only": True}
    if dtype is not None:
        kwargs["torch_dtype"] = dtype
    try:
        pipe = cls.from_pretrained(str(path), **kwargs)
    except OSError as e:
        raise UsageError(f"cannot load {family.name} base from {path}: {e}") from e
    pipe.set_progress_bar_config(disable=True)
    if getattr(pipe, "vae", None) is not None and dtype is not None:
        pipe.vae.to(torch.float32)
    return pipe.to(device)


def load_pipeline(
    path_or_model: Any,
    device: str | None = None,
    *,
    settings: Settings | None = None,
    dtype: Any = None,
) -> Any:
    """A ready diffusers pipeline for a base directory, `"tiny"`, or a registered model.

    A registered model (the record `clearreel.train.get_model` returns) loads its base and
    then its trained weights: a LoRA adapter through the pipeline's `load_lora_weights`, or a
    fully fine-tuned transformer from `<model>/transformer`.
    """
    if not isinstance(path_or_model, str | Path):
        from clearreel.diffusion.weights import load_trained_pipeline

        return load_trained_pipeline(path_or_model, device=device, dtype=dtype, settings=settings)
    if path_or_model == "tiny":
        if settings is None:
            raise UsageError("load_pipeline('tiny') needs settings (the workspace holds the base)")
        path, fam = resolve_base(settings, "tiny")
    else:
        path = Path(path_or_model)
        fam = family_of_dir(path)
    return load_base_pipeline(path, fam, device=device, dtype=dtype)


def cast_keeping_fp32(model: Any, dtype: Any) -> Any:
    """Cast a diffusers model to `dtype`, keeping its `_keep_in_fp32_modules` in float32
    (for Wan: rope, time embedder, modulation tables and norms, which lose accuracy in bf16)."""
    import torch

    keep = tuple(getattr(model, "_keep_in_fp32_modules", None) or ())
    for name, module in model.named_modules():
        fp32 = any(k in name.split(".") for k in keep)
        for p in module.parameters(recurse=False):
            p.data = p.data.to(torch.float32 if fp32 else dtype)
        for b_name, b in module.named_buffers(recurse=False):
            if b.is_floating_point():
                module._buffers[b_name] = b.to(torch.float32 if fp32 else dtype)
    return model
