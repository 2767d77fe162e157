"""Data-parallel training: the same loop under torchrun, two CPU processes (gloo)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import make_clips, new_workspace


@pytest.mark.slow
def test_two_processes_train_one_model(tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    home = tmp_path / "home"
    new_workspace(home)
    make_clips(tmp_path / "clips", per_character=1, frames=12)
    subprocess.run(
        [
            torchrun,
            "--nproc_per_node",
            "2",
            str(Path(__file__).with_name("_ddp_main.py")),
            str(home),
            str(tmp_path / "clips"),
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    main = json.loads((home / "rank0.json").read_text())
    other = json.loads((home / "rank1.json").read_text())
    assert main["registered"] and main["processes"] == 2 and len(main["losses"]) == 4
    assert not other["registered"]  # only the main process saves and registers
