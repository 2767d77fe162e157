"""The GPU benchmarks skip cleanly without CUDA and run end to end in --small mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600,
                         cwd=BENCH, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("script", ["gpu_train.py", "gpu_generate.py"])
def test_skips_without_cuda(script: str) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the benchmark would run for real")
    assert "no CUDA" in _run(script)["skipped"]


@pytest.mark.slow
def test_small_smoke_runs() -> None:
    train = _run("gpu_train.py", "--small", "--steps", "1", "--warmup", "0")
    assert {r["variant"] for r in train["results"]} == {"stock", "no-ckpt"}
    assert all("error" not in r and r["seconds_per_step"] > 0 for r in train["results"])
    gen = _run("gpu_generate.py", "--small", "--steps", "2")
    assert [r["variant"] for r in gen["results"]] == ["stock", "fbcache"]
    assert all("error" not in r for r in gen["results"])
