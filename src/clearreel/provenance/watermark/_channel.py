"""The channel code of the `small` profile: rate-1/3 convolutional, soft Viterbi decoding."""

from __future__ import annotations

import functools

import numpy as np

_K = 5  # constraint length
_GENERATORS = (0o25, 0o33, 0o37)


@functools.cache
def _trellis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(next_state[s, b], outputs[s, b, 3], predecessors[ns, 2] as (state, input))."""
    n = 1 << (_K - 1)
    nxt = np.zeros((n, 2), dtype=np.int64)
    outs = np.zeros((n, 2, len(_GENERATORS)), dtype=np.uint8)
    for s in range(n):
        for b in (0, 1):
            reg = (b << (_K - 1)) | s
            nxt[s, b] = reg >> 1
            outs[s, b] = [bin(reg & g).count("1") & 1 for g in _GENERATORS]
    pred = np.zeros((n, 2, 2), dtype=np.int64)
    fill = np.zeros(n, dtype=np.int64)
    for s in range(n):
        for b in (0, 1):
            ns = nxt[s, b]
            pred[ns, fill[ns]] = (s, b)
            fill[ns] += 1
    return nxt, outs, pred


def _conv_encode(bits: np.ndarray) -> np.ndarray:
    nxt, outs, _ = _trellis()
    s = 0
    coded = []
    for b in np.concatenate([bits, np.zeros(_K - 1, dtype=np.uint8)]):
        coded.extend(outs[s, int(b)])
        s = nxt[s, int(b)]
    return np.array(coded, dtype=np.uint8)


def _viterbi(soft: np.ndarray, info_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Soft-decision Viterbi over many hypotheses at once.

    soft: (H, 3 * (info_bits + K - 1)) soft values, positive meaning bit 0.
    Returns (bits (H, info_bits), path metric (H,)).
    """
    _, outs, pred = _trellis()
    n_states = outs.shape[0]
    steps = info_bits + _K - 1
    h = soft.shape[0]
    soft = soft.reshape(h, steps, len(_GENERATORS))
    sign = 1.0 - 2.0 * outs.astype(np.float64)  # (S, 2, 3): +1 for a 0 bit
    metric = np.full((h, n_states), -np.inf)
    metric[:, 0] = 0.0
    back = np.zeros((steps, h, n_states), dtype=np.int8)  # which predecessor won
    ps, pb = pred[..., 0], pred[..., 1]  # (S, 2)
    for t in range(steps):
        branch = np.einsum("hc,spc->hsp", soft[:, t], sign[ps, pb])  # (H, S, 2)
        cand = metric[:, ps] + branch
        choice = np.argmax(cand, axis=2)
        metric = np.take_along_axis(cand, choice[..., None], axis=2)[..., 0]
        back[t] = choice
    # Zero-tailed: the path ends in state 0.
    state = np.zeros(h, dtype=np.int64)
    bits = np.zeros((h, steps), dtype=np.uint8)
    for t in range(steps - 1, -1, -1):
        c = back[t, np.arange(h), state]
        bits[:, t] = pb[state, c]
        state = ps[state, c]
    return bits[:, :info_bits], metric[:, 0]
