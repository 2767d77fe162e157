"""The training loop, top to bottom: clips in, a registered model out.

Objective (rectified flow / flow matching, as Wan trains): for clean latents x0, noise ε and a
noise level σ in (0, 1) (sampled uniformly, then shifted like the base scheduler,
σ' = sσ / (1 + (s-1)σ)), the model sees x_σ = (1-σ)·x0 + σ·ε at timestep 1000·σ and predicts
the velocity v = ε - x0 (MSE). FlowMatchEulerDiscreteScheduler integrates exactly this.

Reproducibility: the batch, captions, σ and ε of step k come from a generator seeded with
(seed, k, process), never from global RNG state, so a run resumed from a checkpoint replays
the same loss sequence as an uninterrupted one.

The pieces the loop calls: `batches` (the encoded windows, cached, and the batch of
each step), `checkpoints` (resume from the newest complete checkpoint, save atomically).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import UsageError
from clearreel.train.batches import build_samples, pick_batch, resolve_buckets, step_generator
from clearreel.train.checkpoints import resume, save_checkpoint
from clearreel.train.config import TrainConfig
from clearreel.train.data import clips_digest
from clearreel.train.registry import ModelRecord, check_name, model_dir

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    """The log of a non-main process: silent."""



def train_on_clips(
    settings: Settings,
    clips: Sequence[Any],
    *,
    base: str,
    name: str,
    config: TrainConfig | dict[str, Any] | None = None,
    dataset: str | None = None,
    manifest_sha256: str | None = None,
    character_names: dict[str, str] | None = None,
    replace: bool = False,
    stop_after: int | None = None,
    log: Log | None = None,
    show_progress: bool = True,
) -> ModelRecord | None:
    """Train `base` on `clips` and register the result as `name`.

    `stop_after` ends the run after that many steps (having saved a checkpoint) and returns
    None: an interruption, as a test or a scheduler would cause; the next call resumes.
    """
    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    cfg.validate()
    # Arguments first, before anything heavy (torch, the base) is loaded.
    check_name(name)
    if not clips:
        raise UsageError("no clips to train on")
    for c in clips:
        if not Path(c.path).is_file():
            raise UsageError(f"clip {c.id}: file {c.path} is missing")
    from clearreel.train.registry import list_models

    if not replace and any(m.name == name for m in list_models(settings)):
        raise UsageError(f"a model named {name!r} already exists: choose another --name")
    if base != "tiny" and not Path(base).expanduser().is_dir():
        raise UsageError(
            f"--base {base!r}: not 'tiny' and not a directory; give a local "
            "diffusers-format model directory (nothing is downloaded)"
        )

    import torch

    threads = torch.get_num_threads()
    if cfg.cpu_threads:
        torch.set_num_threads(cfg.cpu_threads)
    try:
        with quiet_diffusers():
            return _train(
                settings,
                clips,
                base=base,
                name=name,
                cfg=cfg,
                dataset=dataset,
                manifest_sha256=manifest_sha256,
                character_names=character_names,
                replace=replace,
                stop_after=stop_after,
                log=log or (lambda m: None),
                show_progress=show_progress,
            )
    finally:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def quiet_diffusers() -> Iterator[None]:
    """Silence diffusers/transformers loading bars and notices (clearreel prints its own)."""
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    d, t = dlog.get_verbosity(), tlog.get_verbosity()
    dlog.set_verbosity_error()
    tlog.set_verbosity_error()
    dlog.disable_progress_bar()
    tlog.disable_progress_bar()
    try:
        yield
    finally:
        dlog.set_verbosity(d)
        tlog.set_verbosity(t)
        dlog.enable_progress_bar()
        tlog.enable_progress_bar()


def _train(
    settings: Settings,
    clips: Sequence[Any],
    *,
    base: str,
    name: str,
    cfg: TrainConfig,
    dataset: str | None,
    manifest_sha256: str | None,
    character_names: dict[str, str] | None,
    replace: bool,
    stop_after: int | None,
    log: Log,
    show_progress: bool,
) -> ModelRecord | None:

    # -- 1. arguments were checked by train_on_clips; now the base ----------------------
    from clearreel.diffusion import cast_keeping_fp32, hash_model_dir, resolve_base
    from clearreel.diffusion.families import read_base_marker

    base_dir, fam = resolve_base(settings, base)
    if not fam.trainable:
        raise UsageError(
            f"training the {fam.name} family is not supported yet (trainable: "
            "wan, ltx, cogvideox, tiny); it can be loaded for generation"
        )
    marker = read_base_marker(base_dir)
    buckets = resolve_buckets(cfg, fam, marker)
    from clearreel.train.adapters import ADAPTERS

    fm, sm = ADAPTERS[fam.name].frame_multiple, ADAPTERS[fam.name].size_multiple
    for f, h, w in buckets:
        if (f - 1) % fm or h % sm or w % sm:
            raise UsageError(
                f"bucket {[f, h, w]}: {fam.name} needs frames {fm}k+1 and sizes "
                f"that are multiples of {sm}"
            )
    fps = int(cfg.fps or (marker or {}).get("fps", fam.fps))
    max_len = int(
        cfg.max_sequence_length
        or (marker or {}).get("max_sequence_length", fam.max_sequence_length)
    )
    manifest_sha256 = manifest_sha256 or clips_digest(clips)
    base_sha256 = hash_model_dir(base_dir, settings)
    from clearreel.db import resolve_org

    org = resolve_org(settings)
    out = model_dir(settings, name, org)

    # -- 2. devices and precision (accelerate: one process, or DDP/FSDP via `accelerate launch`)
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    cuda = torch.cuda.is_available()
    precision = cfg.mixed_precision if cfg.mixed_precision != "auto" else ("bf16" if cuda else "no")
    if precision != "no" and not cuda:
        raise UsageError(f"mixed_precision {precision} needs a GPU; use 'no' or 'auto' on the CPU")
    accelerator = Accelerator(mixed_precision=precision, cpu=not cuda)
    device = str(accelerator.device)
    if not accelerator.is_main_process:
        log = _quiet  # one process speaks
    set_seed(cfg.seed)
    weight_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)

    # -- 3. the base pipeline (text encoder and VAE are needed for the cache only) --------
    from clearreel.diffusion import load_base_pipeline

    t_start = time.perf_counter()
    pipe = load_base_pipeline(base_dir, fam, device=device)
    from clearreel.train.adapters import make_adapter

    adapter = make_adapter(fam.name, pipe, fps)

    # -- 4. latents and text embeddings, cached per (dataset, base, sizes) ------------------
    from clearreel.train.cache import load_or_build

    cache_inputs = {
        "manifest_sha256": manifest_sha256,
        "base_sha256": base_sha256,
        "buckets": [list(b) for b in buckets],
        "fps": fps,
        "max_sequence_length": max_len,
        "windows_per_clip": cfg.windows_per_clip,
        "trigger": cfg.trigger,
        "clips": sorted(c.id for c in clips),
        "names": character_names or {},
    }
    # With several processes the main one encodes and writes the cache; the others then read it.
    with accelerator.main_process_first():
        samples, hit = load_or_build(
            settings.cache_dir(org, "latents"),
            cache_inputs,
            lambda: build_samples(
                pipe,
                adapter,
                clips,
                cfg,
                buckets,
                fps,
                max_len,
                character_names or {},
                device,
                log,
                show_progress,
            ),
        )
    log(
        f"{len(samples['latents'])} training windows from {len(clips)} clips "
        f"({'cache hit' if hit else 'encoded'}) in {time.perf_counter() - t_start:.1f}s"
    )
    buckets_of: dict[tuple[int, ...], list[int]] = {}
    for i, m in enumerate(samples["meta"]):
        buckets_of.setdefault(tuple(m["bucket"]), []).append(i)
    transformer = pipe.transformer
    pipe_cls = type(pipe)
    scheduler_shift = float(getattr(pipe.scheduler.config, "shift", 1.0))
    shift = float(cfg.timestep_shift or scheduler_shift)
    num_train_timesteps = int(pipe.scheduler.config.num_train_timesteps)
    pipe = None  # the text encoder and VAE are not needed any more

    # -- 5. what is trained: a LoRA adapter or every weight -------------------------------
    if cfg.reinit_transformer:
        torch.manual_seed(cfg.seed)
        transformer = type(transformer).from_config(transformer.config)
    if cfg.mode == "lora":
        from peft import LoraConfig

        transformer.requires_grad_(False)
        cast_keeping_fp32(transformer, weight_dtype)  # frozen base in 16-bit on GPU
        targets = list(cfg.lora_targets or fam.lora_targets)
        transformer.add_adapter(
            LoraConfig(
                r=cfg.lora_rank,
                lora_alpha=cfg.lora_alpha,
                init_lora_weights=True,
                target_modules=targets,
            )
        )
        for p in transformer.parameters():  # the adapter trains in fp32 (diffusers examples)
            if p.requires_grad:
                p.data = p.data.float()
    else:
        transformer.requires_grad_(True)
        transformer.to(dtype=torch.float32)  # fp32 master weights; autocast does bf16 math
    if cfg.gradient_checkpointing:
        transformer.enable_gradient_checkpointing()
    transformer.train()
    params = [p for p in transformer.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    lr_sched = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / cfg.warmup_steps) if cfg.warmup_steps else 1.0
    )

    # -- 6. will it fit? ------------------------------------------------------------------
    from clearreel.train.memory import estimate

    tc = transformer.config
    if isinstance(tc.patch_size, int):  # LTX, CogVideoX: spatial patch; temporal apart
        pt, ph, pw = int(getattr(tc, "patch_size_t", 1) or 1), tc.patch_size, tc.patch_size
    else:  # Wan: (t, h, w)
        pt, ph, pw = tc.patch_size
    _c, f0, h0, w0 = max(
        (tuple(z.shape) for z in samples["latents"]), key=lambda z: z[1] * z[2] * z[3]
    )
    tokens = f0 // pt * (h0 // ph) * (w0 // pw)
    mem = estimate(
        transformer,
        tokens=tokens,
        batch_size=cfg.batch_size,
        hidden=tc.num_attention_heads * tc.attention_head_dim,
        layers=tc.num_layers,
        act_bytes=2 if precision != "no" else 4,
        checkpointing=cfg.gradient_checkpointing,
        device=device,
    )
    log(mem.summary())
    if mem.fits is False:
        raise UsageError(
            mem.summary() + ": lower batch_size or bucket size, enable "
            "gradient_checkpointing, use mode=lora, or use more GPUs (FSDP)"
        )

    transformer, optimizer, lr_sched = accelerator.prepare(transformer, optimizer, lr_sched)

    # -- 7. resume from the newest checkpoint of the same run -----------------------------
    run_id = json.dumps(
        {"config": cfg.to_dict(), "cache": cache_inputs, "base": base}, sort_keys=True, default=str
    )
    ckpt_root = out / "checkpoints"
    step, losses = resume(accelerator, ckpt_root, run_id, out, log)

    # -- 8. the loop ----------------------------------------------------------------------
    from clearreel.util.progress import track as progress

    t_loop = time.perf_counter()
    rank = accelerator.process_index
    steps = progress(
        range(step, cfg.steps),
        f"training {name}",
        total=cfg.steps - step,
        enabled=show_progress and accelerator.is_main_process,
    )
    for step_i in steps:
        g = step_generator(cfg.seed, step_i, rank)
        x0, text, mask = pick_batch(samples, buckets_of, cfg, g)  # (B,C,f,h,w), (B,L,D), (B,L)
        with accelerator.autocast():
            loss = adapter.loss(
                transformer,
                x0,
                text,
                mask,
                g,
                device=device,
                dtype=weight_dtype,
                shift=shift,
                num_train_timesteps=num_train_timesteps,
            )
        accelerator.backward(loss)
        if cfg.max_grad_norm > 0 and accelerator.sync_gradients:
            accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
        optimizer.step()
        lr_sched.step()
        optimizer.zero_grad(set_to_none=True)
        step = step_i + 1
        losses.append(float(accelerator.gather(loss.detach()).mean()))
        if step % cfg.log_every == 0:
            window = losses[-cfg.log_every :]
            log(f"step {step}/{cfg.steps}  loss {sum(window) / len(window):.4f}")
        if (cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or step == stop_after:
            save_checkpoint(accelerator, ckpt_root, run_id, step, losses)
        if stop_after is not None and step >= stop_after and step < cfg.steps:
            accelerator.wait_for_everyone()
            return None
    train_seconds = time.perf_counter() - t_loop

    # -- 9. save, register, audit ---------------------------------------------------------
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return None
    model = accelerator.unwrap_model(transformer)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("lora", "transformer", "base"):
        shutil.rmtree(out / sub, ignore_errors=True)
    save_weights_(pipe_cls, model, cfg.mode, out)
    if fam.name == "tiny":
        shutil.copytree(base_dir, out / "base")
    tail = losses[-max(1, len(losses) // 10) :]
    metrics = {
        "steps": step,
        "first_loss": losses[0] if losses else None,
        "final_loss": sum(tail) / len(tail) if tail else None,
        "loss_curve": [round(v, 5) for v in losses[:: max(1, len(losses) // 100)]],
        "train_seconds": round(train_seconds, 2),
        "total_seconds": round(time.perf_counter() - t_start, 2),
        "windows": len(samples["latents"]),
        "clips": len(clips),
        "cache_hit": hit,
        "device": device,
        "processes": accelerator.num_processes,
        "precision": precision,
        "memory_estimate": mem.to_json(),
        "peak_cuda_bytes": int(torch.cuda.max_memory_allocated()) if cuda else None,
        "fps": fps,
        "buckets": [list(b) for b in buckets],
        "max_sequence_length": max_len,
    }
    rec = ModelRecord(
        name=name,
        family=fam.name,
        path=out.resolve(),
        base=str(base_dir),
        base_sha256=base_sha256,
        mode=cfg.mode,
        dataset=dataset,
        dataset_manifest_sha256=manifest_sha256,
        config=cfg.to_dict(),
        metrics=metrics,
        character=cfg.character,
        trigger=cfg.trigger,
    )
    from clearreel.db import open_session
    from clearreel.diffusion.weights import write_model_json
    from clearreel.train.registry import register_model

    with open_session(settings) as s:
        if dataset is not None:
            _dataset_still_there(s, dataset, manifest_sha256, out)
        rec = register_model(s, rec, replace=replace)
    write_model_json(out, rec.to_json())
    shutil.rmtree(ckpt_root, ignore_errors=True)  # the run is complete; the weights are saved
    log(
        f"registered model {name}: loss {metrics['first_loss']:.4f} -> {metrics['final_loss']:.4f} "
        f"in {train_seconds:.1f}s"
    )
    return rec



def save_weights_(pipe_cls: Any, model: Any, mode: str, out: Path) -> None:
    from clearreel.diffusion.weights import save_weights

    save_weights(pipe_cls, model, mode, out)


__all__ = ["train_on_clips"]


def _dataset_still_there(session: Any, dataset: str, manifest_sha256: str | None,
                         out: Path) -> None:
    """Under the dataset's lock (`train.downstream.dataset_lock`, which `dataset delete` also
    takes): the dataset the model trained on is still registered, with the manifest it read.
    A model whose training set was deleted or replaced while it trained has no provenance,
    copy guard or attribution index: nothing is registered and its weights are removed."""
    from sqlalchemy import select

    from clearreel.dataset.models import Dataset
    from clearreel.train.downstream import dataset_lock

    dataset_lock(session, dataset)
    row = session.scalars(select(Dataset).where(Dataset.name == dataset)).first()
    if row is not None and row.manifest_sha256 == manifest_sha256:
        return
    shutil.rmtree(out, ignore_errors=True)
    what = "was deleted" if row is None else "was replaced (another manifest)"
    raise UsageError(f"dataset {dataset} {what} while the model trained: a model without its "
                     "training set has no provenance, copy guard or attribution, so nothing "
                     "was registered and its weights were removed; train again on a dataset "
                     "that verifies")
