"""Generation: the prompt guard, the request pipeline, output records.

The public surface, imported lazily (importing `clearreel.generate` stays cheap):

- `generate(settings, Request(...))`, `Request`, `ModelInfo`, `model_info`, `guard`,
  `deliver` (pipeline.py: the `generate` command, guard first, then frames, delivery);
- `check_prompt(session, prompt, project, purpose, on, territory)` (guard.py);
- `get_output(session, output_id)`, `find_output` (outputs.py: output records);
- `generate_frames(...)` (video.py: the model side);
- `verify_file(settings, path)` (verify.py: what a video says about where it came from,
  checked against the output record its C2PA manifest or watermark names).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ModelInfo": "pipeline", "Request": "pipeline", "deliver": "pipeline",
    "generate": "pipeline", "guard": "pipeline", "model_info": "pipeline",
    "check_prompt": "guard",
    "find_output": "outputs", "get_output": "outputs",
    "generate_frames": "video",
    "verify_file": "verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
