"""A memory estimate printed before training: does this run fit the device?

Rough by design (within ~30% for transformer DiTs): weights, gradients and AdamW states are
counted exactly from the parameters; activations follow Korthikanti et al. 2022 ("Reducing
Activation Recomputation in Large Transformer Models", eq. 2: ~34·s·b·h bytes per layer in
16-bit without recomputation, attention scores excluded because SDPA/flash attention never
materialises them), and with gradient checkpointing only each block's input (2·s·b·h bytes)
plus one block's full activations are alive at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class MemoryEstimate:
    params: int
    trainable: int
    weights_bytes: int
    grads_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    total_bytes: int
    device: str
    available_bytes: int | None
    fits: bool | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        gib = 1 << 30

        def g(n: int | None) -> str:
            return "?" if n is None else f"{n / gib:.2f} GiB"

        verdict = (
            ("fits" if self.fits else "does NOT fit") if self.fits is not None else "unknown fit"
        )
        return (
            f"memory estimate: params {self.params:,} ({self.trainable:,} trainable); weights "
            f"{g(self.weights_bytes)}, grads {g(self.grads_bytes)}, "
            f"AdamW {g(self.optimizer_bytes)}, "
            f"activations ~{g(self.activations_bytes)}; total ~{g(self.total_bytes)} of "
            f"{g(self.available_bytes)} available on {self.device}: {verdict}"
        )


def device_memory(device: str) -> int | None:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover
        return None


def estimate(
    model: Any,
    *,
    tokens: int,
    batch_size: int,
    hidden: int,
    layers: int,
    act_bytes: int,
    checkpointing: bool,
    device: str,
    extra_weights_bytes: int = 0,
) -> MemoryEstimate:
    """`tokens`: sequence length of the largest bucket (latent frames·h·w / patch)."""
    params = trainable = weights = grads = 0
    for p in model.parameters():
        n = p.numel()
        params += n
        weights += n * p.element_size()
        if p.requires_grad:
            trainable += n
            grads += n * 4  # fp32 gradients for trainable (master) parameters
    optimizer = trainable * 8  # AdamW: exp_avg + exp_avg_sq in fp32
    per_layer = 34 * tokens * batch_size * hidden * act_bytes // 2
    if checkpointing:
        activations = layers * 2 * tokens * batch_size * hidden * act_bytes // 2 + per_layer
    else:
        activations = layers * per_layer
    weights += extra_weights_bytes
    total = weights + grads + optimizer + activations
    avail = device_memory(device)
    return MemoryEstimate(
        params,
        trainable,
        weights,
        grads,
        optimizer,
        activations,
        total,
        device,
        avail,
        None if avail is None else total <= avail,
    )


__all__ = ["MemoryEstimate", "device_memory", "estimate"]
