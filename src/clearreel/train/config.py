"""`TrainConfig`: every knob of a training run, typed, saved with the model it produced."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

from clearreel.errors import UsageError

MODES = ("lora", "full")
PRECISIONS = ("auto", "no", "bf16", "fp16")


@dataclass
class TrainConfig:
    mode: str = "lora"  # "lora": peft adapter on the attention projections; "full": every weight
    steps: int = 200  # optimizer steps
    batch_size: int = 1  # samples per step per device (one bucket per batch)
    learning_rate: float = 1e-4
    weight_decay: float = 0.01  # AdamW
    max_grad_norm: float = 1.0  # gradient clipping; 0 disables
    warmup_steps: int = 0  # linear learning-rate warm-up
    seed: int = 0  # data order, timesteps and noise are a pure function of (seed, step)
    lora_rank: int = 16
    lora_alpha: int = 16
    lora_targets: list[str] | None = None  # None: the family's attention projections
    # Buckets, each [frames, height, width] (frames 4k+1); a clip goes to the bucket with the
    # nearest aspect ratio and the most frames it can fill. None: the family's default size.
    buckets: list[list[int]] | None = None
    fps: int | None = None  # clips are resampled to this rate; None: the family's
    windows_per_clip: int = 1  # up to this many non-overlapping windows are cut from a clip
    max_sequence_length: int | None = None  # text tokens; None: the family's
    timestep_shift: float | None = None  # sigma shift (SD3/Wan); None: the base scheduler's
    caption_dropout: float = 0.1  # share of steps trained on the empty prompt (for CFG)
    # Share of steps trained on the short caption (trigger word + character names only), so a
    # name alone recalls what the model learnt about that character.
    names_caption_prob: float = 0.0
    gradient_checkpointing: bool = True
    mixed_precision: str = "auto"  # auto: bf16 on CUDA, fp32 ("no") on CPU
    checkpoint_every: int = 0  # save a resumable checkpoint every N steps (0: only at the end)
    reinit_transformer: bool = False  # train the denoiser from random weights ("from scratch")
    log_every: int = 10
    # CPU threads for torch during the run (0: torch's default). Tiny models run fastest on
    # one thread: their ops are too small to amortise thread synchronisation.
    cpu_threads: int = 0
    character: str | None = None  # character adapter: train only on this character's clips
    trigger: str | None = None  # ...prefixing captions with this word
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes saved with the model

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TrainConfig:
        data = dict(data or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise UsageError(
                f"unknown training option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(names))}"
            )
        cfg = cls(**data)
        cfg.validate()
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> None:
        problems = []
        if self.mode not in MODES:
            problems.append(f"mode {self.mode!r} (choose {' or '.join(MODES)})")
        if self.mixed_precision not in PRECISIONS:
            problems.append(
                f"mixed_precision {self.mixed_precision!r} (choose {', '.join(PRECISIONS)})"
            )
        for name in ("steps", "batch_size", "lora_rank", "windows_per_clip", "log_every"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be at least 1")
        if self.learning_rate <= 0:
            problems.append("learning_rate must be positive")
        for name in ("caption_dropout", "names_caption_prob"):
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                problems.append(f"{name} must be between 0 and 1")
        if self.checkpoint_every < 0 or self.warmup_steps < 0:
            problems.append("checkpoint_every and warmup_steps must be >= 0")
        for b in self.buckets or []:
            if len(b) != 3 or any(int(v) <= 0 for v in b):
                problems.append(f"bucket {b}: give [frames, height, width]")
                continue
            f, h, w = (int(v) for v in b)
            if (f - 1) % 4:
                problems.append(f"bucket {b}: frames must be 4k+1 (the VAE compresses time 4x)")
            if h % 16 or w % 16:
                problems.append(f"bucket {b}: height and width must be multiples of 16")
        if self.trigger is not None and (not self.trigger.strip() or " " in self.trigger.strip()):
            problems.append("trigger must be one word")
        if problems:
            raise UsageError("invalid training config: " + "; ".join(problems))


__all__ = ["MODES", "TrainConfig"]
