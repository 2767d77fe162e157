"""Fine-tuning (LoRA or full), the latent/text cache, and the model registry.

Public API:

- `train_model(settings, dataset, base, name, config=None, *, character=None, trigger=None)
  -> ModelRecord`: train on a curated dataset (`clearreel.dataset.load`) and register;
- `train_on_clips(settings, clips, base=..., name=..., config=...)`: the same loop on any clips;
- `TrainConfig` (typed, unknown keys rejected), `TINY_DEMO_CONFIG`;
- `registry.get_model(session_or_settings, name)`, `list_models`, `ModelRecord`;
- `suspension` (whether a model may generate) and `downstream` (a revocation, a catalog
  import or a dataset deletion, with what each reaches in the models: what the interfaces
  call).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from clearreel.config import Settings
from clearreel.errors import Denied, UsageError
from clearreel.train.config import TrainConfig
from clearreel.train.loop import train_on_clips
from clearreel.train.registry import ModelRecord, get_model, list_models

# What `clearreel demo` trains: the tiny base from its random weights, every weight, on the
# sample studio, in about two minutes on 2 CPU cores (docs/training.md has the measurement).
TINY_DEMO_CONFIG: dict[str, Any] = {
    "mode": "full",
    "steps": 600,
    "batch_size": 8,
    "learning_rate": 2e-3,
    "weight_decay": 0.0,
    "warmup_steps": 20,
    "windows_per_clip": 8,
    "names_caption_prob": 0.5,
    "caption_dropout": 0.1,
    "gradient_checkpointing": False,
    "log_every": 50,
    "cpu_threads": 1,
}


def character_names(settings: Settings) -> dict[str, str]:
    """Character id -> display name, so a short caption says "Mara", not "c-mara"."""
    from sqlalchemy import select

    from clearreel.db import open_session
    from clearreel.rights.models import Character

    with open_session(settings) as s:
        return {c.id: c.name for c in s.scalars(select(Character))}


def check_character(settings: Settings, character: str) -> None:
    """A character adapter needs `character_generation` from the character's owner (rule 4).

    Denied (exit 1, nothing trained) otherwise; the decision is in the audit log. The rest of
    rule 4 (the digital_replica consent of the performer who plays the character) concerns
    what is generated, and the prompt guard enforces it on every generation request: a
    missing or out-of-scope replica consent does not stop the adapter from being trained.
    """
    from clearreel.db import open_session
    from clearreel.rights import audit
    from clearreel.rights.clearance import check_generation

    with open_session(settings) as s:
        decision = check_generation(s, characters=[character])
        denials = [
            r for r in decision.reasons if r.effect == "deny" and not r.code.startswith("replica.")
        ]
        licensed = any(
            r.effect == "allow" and r.code.startswith("character.") for r in decision.reasons
        )
        allowed = licensed and not denials
        audit.record(
            s,
            "train.character",
            character,
            allowed=allowed,
            reasons=[r.code for r in decision.reasons],
        )
    if not allowed:
        why = "; ".join(f"{r.code}: {r.detail}" for r in denials) or (
            "no licence from the character's owner allows character_generation"
        )
        raise Denied(f"character adapter for {character} refused: {why}")


def check_dataset(settings: Settings, dataset: str, on: dt.date | None = None) -> None:
    """Training refuses a dataset that does not verify today (and on `on`): `Denied`."""
    from clearreel.dataset import verify
    from clearreel.db import open_session
    from clearreel.rights import audit

    today = dt.date.today()
    r = verify(settings, dataset, on=today, also=[on] if on and on != today else [])
    if r["ok"]:
        return
    problems = r["problems"]
    with open_session(settings) as s:
        audit.record(s, "train.refused", dataset, dataset=dataset, reason="dataset.unverified",
                     problems=[{k: p[k] for k in ("code", "clip") if k in p}
                               for p in problems][:200])
    shown = "; ".join(f"{p['code']}: {p['detail']}" for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    raise Denied(f"dataset {dataset} does not verify, so nothing was trained: {shown}{more}; "
                 f"see `clearreel dataset verify {dataset}`, and rebuild it without the "
                 f"uncleared clips with `clearreel dataset rebuild {dataset} --as NEW`")


def train_model(
    settings: Settings,
    dataset: str,
    base: str,
    name: str,
    config: TrainConfig | dict[str, Any] | None = None,
    *,
    character: str | None = None,
    trigger: str | None = None,
    replace: bool = False,
    log: Callable[[str], None] | None = None,
    show_progress: bool = True,
    stop_after: int | None = None,
    on: dt.date | None = None,
) -> ModelRecord:
    """Train `base` ("tiny" or a diffusers directory) on dataset `dataset`, register `name`.

    The dataset must verify today (hashes, signature, and every clip's clearance re-derived
    from today's registry) and, with `on`, on that date too; otherwise `Denied` (exit 1)
    with the reasons, and nothing is trained."""
    from clearreel.dataset import load

    cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    if character is not None:
        cfg.character = character
    if trigger is not None:
        cfg.trigger = trigger
    cfg.validate()
    if cfg.character and not cfg.trigger:
        raise UsageError("--character needs --trigger WORD (the word that calls the character up)")
    if cfg.character:  # the rights question comes first: a denial trains nothing
        check_character(settings, cfg.character)
    check_dataset(settings, dataset, on)
    ds = load(settings, dataset)
    clips = list(ds.clips)
    if cfg.character:
        clips = [c for c in clips if cfg.character in (c.characters or [])]
        if not clips:
            raise UsageError(f"dataset {dataset} has no clip where {cfg.character} appears")
    rec = train_on_clips(
        settings,
        clips,
        base=base,
        name=name,
        config=cfg,
        dataset=ds.name,
        manifest_sha256=ds.manifest_sha256,
        character_names=character_names(settings),
        replace=replace,
        log=log,
        show_progress=show_progress,
        stop_after=stop_after,
    )
    if rec is None:
        raise UsageError(f"training of {name} stopped at step {stop_after}; run again to resume")
    return rec


__all__ = [
    "TINY_DEMO_CONFIG",
    "ModelRecord",
    "TrainConfig",
    "check_character",
    "check_dataset",
    "get_model",
    "list_models",
    "train_model",
    "train_on_clips",
]
