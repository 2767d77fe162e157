"""The flow-matching objective Wan and LTX-Video train with (shared by the loop and the GPU
benchmark).

For clean latents x0, noise ε and a noise level σ in (0, 1), the model sees
x_σ = (1-σ)·x0 + σ·ε at timestep 1000·σ and predicts the velocity v = ε - x0 (MSE); this is
what `FlowMatchEulerDiscreteScheduler` integrates at sampling time (Lipman et al. 2023,
"Flow Matching for Generative Modeling"; Esser et al. 2024, SD3, for the σ shift).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def sample_sigmas(n: int, shift: float, generator: Any) -> Any:
    """σ uniform in (0, 1), shifted like the base scheduler: σ' = sσ / (1 + (s-1)σ)."""
    import torch

    sigma = torch.rand(n, generator=generator)
    return shift * sigma / (1 + (shift - 1) * sigma)


def flow_matching_loss(
    transformer: Any,
    x0: Any,
    text: Any,
    sigma: Any,
    noise: Any,
    *,
    device: Any,
    dtype: Any,
    num_train_timesteps: int = 1000,
    forward: Callable[[Any, Any], Any] | None = None,
) -> Any:
    """MSE between the predicted and the true velocity. Shapes: x0, noise (B, C, F, H, W);
    text (B, L, D); sigma (B,). `forward(x_t, timestep)` calls a family's transformer
    (`clearreel.train.adapters`); by default the Wan call."""
    import torch

    s = sigma.view(-1, 1, 1, 1, 1)
    x_t = (1 - s) * x0 + s * noise
    target = noise - x0
    timestep = (sigma * num_train_timesteps).to(device)
    if forward is not None:
        pred = forward(x_t.to(device, dtype), timestep)
    else:
        pred = transformer(hidden_states=x_t.to(device, dtype), timestep=timestep,
                           encoder_hidden_states=text.to(device, dtype), return_dict=False)[0]
    return torch.nn.functional.mse_loss(pred.float(), target.to(device).float())


__all__ = ["flow_matching_loss", "sample_sigmas"]
