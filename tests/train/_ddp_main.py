"""Run by tests/train/test_ddp.py under torchrun: one training run, two processes (gloo)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from clearreel.config import Settings
from clearreel.dataset import ManifestClip
from clearreel.train import train_on_clips

home, clip_dir = Path(sys.argv[1]), Path(sys.argv[2])
clips = [
    ManifestClip(id=p.stem, path=p, caption=p.stem, characters=[p.stem.rsplit("-", 1)[0]])
    for p in sorted(clip_dir.glob("*.mp4"))
]
config = {
    "mode": "full",
    "steps": 4,
    "batch_size": 2,
    "learning_rate": 2e-3,
    "gradient_checkpointing": False,
    "log_every": 1,
}
rec = train_on_clips(
    Settings(home=home), clips, base="tiny", name="ddp", config=config, show_progress=False
)
rank = os.environ.get("RANK", "0")
(home / f"rank{rank}.json").write_text(
    json.dumps(
        {
            "registered": rec is not None,
            "processes": rec.metrics["processes"] if rec else None,
            "losses": rec.metrics["loss_curve"] if rec else None,
        }
    )
)
