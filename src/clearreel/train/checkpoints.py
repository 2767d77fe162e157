"""Checkpoints of a training run: resume from the newest complete one, save atomically.

A checkpoint is accelerate's state (model, optimizer, scheduler, every rank's RNG) plus
`trainer_state.json` (the run's identity, the step and the losses so far), written last. A
run resumes only from a checkpoint of the same run (same data, config and base): another
run's checkpoints under the same name are an error, never silently continued.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clearreel.errors import UsageError


def complete_checkpoints(root: Path) -> list[Path]:
    """The checkpoints a run can resume from, oldest first: `step-*` directories that hold
    their `trainer_state.json` (written last). Directories of a save that was interrupted
    (`.partial-*`, or a `step-*` from before saves were atomic, lacking the state) are not."""
    if not root.is_dir():
        return []
    return sorted(d for d in root.glob("step-*") if (d / "trainer_state.json").is_file())


def resume(accelerator: Any, ckpt_root: Path, run_id: str, out: Path,
           log: Callable[[str], None]) -> tuple[int, list[float]]:
    """Load the newest checkpoint of the run `run_id` under `ckpt_root` into `accelerator`;
    (step, losses) to continue from, (0, []) when there is none."""
    latest = complete_checkpoints(ckpt_root)
    if not latest:
        return 0, []
    state = json.loads((latest[-1] / "trainer_state.json").read_text())
    if state.get("run") != run_id:
        raise UsageError(
            f"{out} holds checkpoints of a different run (other data or config): "
            "choose another --name or delete that directory"
        )
    accelerator.load_state(str(latest[-1]))
    log(f"resumed from {latest[-1].name}")
    return int(state["step"]), list(state["losses"])


def save_checkpoint(accelerator: Any, ckpt_root: Path, run_id: str, step: int,
                    losses: list[float]) -> None:
    """Save the state after `step` (every rank takes part); keep the newest two."""
    # Written in full under a temporary name, then renamed: a run killed while saving
    # leaves a `.partial-*` directory that resume ignores (and the next save removes),
    # never a `step-*` that cannot be loaded.
    final = ckpt_root / f"step-{step:07d}"
    tmp = ckpt_root / f".partial-step-{step:07d}"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()  # every rank's RNG state is in `tmp`
    if accelerator.is_main_process:
        state = tmp / "trainer_state.json"
        state.write_text(json.dumps({"run": run_id, "step": step, "losses": losses}))
        with open(state, "rb+") as f:
            os.fsync(f.fileno())
        if final.exists():  # a stale directory of the same step (an older, unfinished run)
            shutil.rmtree(final)
        os.replace(tmp, final)
        for old in complete_checkpoints(ckpt_root)[:-2]:  # keep the newest two
            shutil.rmtree(old, ignore_errors=True)
        for stale in ckpt_root.glob(".partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
    accelerator.wait_for_everyone()


__all__ = ["complete_checkpoints", "resume", "save_checkpoint"]
