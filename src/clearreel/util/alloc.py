"""The one largest-remainder (Hamilton) allocation of an integer total, in exact arithmetic.

For a total T (integer units) and weights w_i >= 0 with W = sum w_i:
  1. each key gets floor(q_i), its quota q_i = T * w_i / W, computed exactly (`Fraction`);
  2. the R = T - sum floor(q_i) units left over (0 <= R < number of keys) go one each to the
     keys with the largest remainders q_i - floor(q_i); among equal remainders, the caller's
     `tie` key orders them (smallest first).
Every key thus gets floor(q_i) or ceil(q_i) (the quota rule) and the shares sum to T exactly.

Two callers, two documented tie-breaks: the ledger's money (`ledger.allocate.largest_remainder`:
the larger weight, then the key in string order; docs/ledger.md) and attribution's shares of
an output (`attribution.shares_from_scores`: the work id in string order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

Exact = int | Decimal | Fraction


def by_weight_then_key(key: str, weight: Fraction) -> tuple[Fraction, str]:
    """Tie-break: the larger weight first, then the key that sorts first."""
    return -weight, key


def by_key(key: str, weight: Fraction) -> str:
    """Tie-break: the key that sorts first."""
    return key


def largest_remainder(total: int, weights: Mapping[str, Exact] | Iterable[tuple[str, Exact]], *,
                      tie: Callable[[str, Fraction], Any]) -> dict[str, int]:
    """Split `total` units among keys in proportion to `weights`, to the unit.

    Returns {key: share} for every key, in first-seen order (zero-weight keys get 0). The
    shares are integers, each floor or ceil of its exact quota, and they sum to `total`.
    Duplicate keys have their weights added. A weight is taken exactly (`Fraction(w)`: a float
    by its binary value; round it first where a decimal is meant). `tie(key, weight)` orders
    equal remainders. Raises ValueError for a negative total or weight, or for a positive total
    with no positive weight.
    """
    items = weights.items() if isinstance(weights, Mapping) else weights
    w: dict[str, Fraction] = {}
    for key, value in items:
        f = Fraction(value)
        if f < 0:
            raise ValueError(f"negative weight {value} for {key!r}")
        w[key] = w.get(key, Fraction(0)) + f
    if total < 0:
        raise ValueError(f"negative total {total}")
    wsum = sum(w.values(), Fraction(0))
    if wsum == 0:
        if total == 0:
            return dict.fromkeys(w, 0)
        raise ValueError("cannot allocate a positive amount among weights that are all zero")
    shares: dict[str, int] = {}
    remainders: list[tuple[Fraction, str]] = []
    for key, f in w.items():
        quota = total * f / wsum
        floor = math.floor(quota)
        shares[key] = floor
        remainders.append((quota - floor, key))
    left = total - sum(shares.values())
    remainders.sort(key=lambda r: (-r[0], tie(r[1], w[r[1]])))
    for _rem, key in remainders[:left]:
        shares[key] += 1
    return shares


__all__ = ["Exact", "by_key", "by_weight_then_key", "largest_remainder"]
