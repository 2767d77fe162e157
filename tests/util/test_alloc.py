"""The one largest-remainder allocation (`clearreel.util.alloc`): exact, with the caller's
tie-break. The ledger's and attribution's own tests pin what each caller's tie-break gives."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearreel.util.alloc import by_key, by_weight_then_key, largest_remainder


def test_the_tie_break_is_the_callers() -> None:
    # total 2 among weights 1 and 3: quotas 0.5 and 1.5, equal remainders.
    assert largest_remainder(2, {"a": 1, "b": 3}, tie=by_weight_then_key) == {"a": 0, "b": 2}
    assert largest_remainder(2, {"a": 1, "b": 3}, tie=by_key) == {"a": 1, "b": 1}
    # equal remainders and weights: both give the key that sorts first.
    for tie in (by_key, by_weight_then_key):
        assert largest_remainder(1, [("b", 1), ("a", 1)], tie=tie) == {"b": 0, "a": 1}


def test_exact_quotas_not_floats() -> None:
    # 0.1 + 0.2 as exact decimals: 3 units among 1/3 and 2/3 exactly (a float sum is not 0.3).
    assert largest_remainder(3, {"x": Decimal("0.1"), "y": Decimal("0.2")},
                             tie=by_key) == {"x": 1, "y": 2}
    # 10^18 units: no float could hold the quotas to the unit.
    big = largest_remainder(10**18 + 1, {"a": 1, "b": 1, "c": 1}, tie=by_key)
    assert big == {"a": 333333333333333334, "b": 333333333333333334, "c": 333333333333333333}


def test_errors() -> None:
    assert largest_remainder(0, {"a": 0}, tie=by_key) == {"a": 0}
    with pytest.raises(ValueError):
        largest_remainder(1, {"a": 0}, tie=by_key)
    with pytest.raises(ValueError):
        largest_remainder(1, {"a": -1, "b": 2}, tie=by_key)
    with pytest.raises(ValueError):
        largest_remainder(-1, {"a": 1}, tie=by_key)


@given(st.integers(0, 10**12),
       st.dictionaries(st.sampled_from("abcdef"),
                       st.fractions(min_value=0, max_value=100, max_denominator=1000),
                       min_size=1).filter(lambda d: sum(d.values()) > 0),
       st.sampled_from([by_key, by_weight_then_key]))
def test_quota_rule_and_sum(total: int, weights: dict[str, Fraction], tie) -> None:  # type: ignore[no-untyped-def]
    shares = largest_remainder(total, weights, tie=tie)
    assert sum(shares.values()) == total
    wsum = sum(weights.values())
    for k, w in weights.items():
        assert math.floor(total * w / wsum) <= shares[k] <= math.ceil(total * w / wsum)
