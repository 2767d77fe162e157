"""Allocation to the minor unit: hand-computed examples and hypothesis properties."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearreel.errors import UsageError
from clearreel.ledger.allocate import (
    allocate,
    largest_remainder,
    minutes_by_work,
    normalise_attribution,
    pool_fraction,
    split_pool,
    split_work,
)


def test_hamilton_hand_example() -> None:
    # 10.00 among 1/3 each: quotas 333.33.. -> floors 333 (999), one cent left; equal
    # remainders and weights -> the first key in string order.
    assert largest_remainder(1000, {"c": 1, "a": 1, "b": 1}) == {"a": 334, "b": 333, "c": 333}
    # 100 among 5/6 and 1/6 (weights 5, 1): quotas 83.33, 16.67 -> 83 + 17.
    assert largest_remainder(100, [("x", 5), ("y", 1)]) == {"x": 83, "y": 17}


def test_tie_break_prefers_larger_weight_then_key() -> None:
    # total 2, weights 1 and 3: quotas 0.5 and 1.5, equal remainders -> larger weight wins.
    assert largest_remainder(2, {"a": 1, "b": 3}) == {"a": 0, "b": 2}
    # equal remainders and weights: string order.
    assert largest_remainder(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    assert largest_remainder(2, {"z": 1, "y": 1, "x": 1}) == {"x": 1, "y": 1, "z": 0}


def test_zero_weights_and_errors() -> None:
    assert largest_remainder(5, {"a": 0, "b": 2}) == {"a": 0, "b": 5}
    assert largest_remainder(0, {"a": 0}) == {"a": 0}
    with pytest.raises(ValueError):
        largest_remainder(5, {"a": 0})
    with pytest.raises(ValueError):
        largest_remainder(5, {"a": -1, "b": 2})
    with pytest.raises(ValueError):
        largest_remainder(-5, {"a": 1})


def test_pool_split_odd_cent_goes_to_rights_holders() -> None:
    assert split_pool(10001, Fraction(1, 2)) == (5001, 5000)
    assert split_pool(10000, Fraction(1, 2)) == (5000, 5000)
    assert split_pool(999, Fraction(0)) == (0, 999)
    assert split_pool(999, Fraction(1)) == (999, 0)
    # 37.5 % of 0.07: quota 2.625 -> 3 to the pool, 4 to the studio.
    assert split_pool(7, pool_fraction("37.5")) == (3, 4)


def test_pool_fraction_parsing() -> None:
    assert pool_fraction("50") == Fraction(1, 2)
    assert pool_fraction("12.5%") == Fraction(1, 8)
    assert pool_fraction(Decimal("100")) == 1
    for bad in ("-1", "100.01", "lots", ""):
        with pytest.raises(UsageError):
            pool_fraction(bad)


def test_three_level_allocation_by_hand() -> None:
    # 100.01 USD, pool 50 %: 50.005 each -> tie -> pool 50.01, studio 50.00.
    # Pool 5001 by attribution 0.6 / 0.4: 3000.6 / 2000.4 -> w-a 3001, w-b 2000.
    # w-a 3001 by points 60/30/10: 1800.6 / 900.3 / 300.1 -> 1801 / 900 / 300.
    # w-b 2000 by points 50/50: 1000 / 1000.
    points = {
        "w-a": {"p-studio": 60, "p-ava": 30, "p-ben": 10},
        "w-b": {"p-studio": 50, "p-cy": 50},
    }
    a = allocate(10001, Fraction(1, 2), {"w-a": Decimal("0.6"), "w-b": Decimal("0.4")}, points)
    assert (a.pool, a.studio) == (5001, 5000)
    assert a.by_work == {"w-a": 3001, "w-b": 2000}
    got = {(s.work, s.party): s.amount for s in a.shares}
    assert got == {
        ("w-a", "p-studio"): 1801,
        ("w-a", "p-ava"): 900,
        ("w-a", "p-ben"): 300,
        ("w-b", "p-cy"): 1000,
        ("w-b", "p-studio"): 1000,
    }


def test_work_without_points_goes_to_suspense() -> None:
    a = allocate(1000, Fraction(1), {"w-a": 1, "w-none": 1}, {"w-a": {"p": 1}, "w-none": {}})
    assert {(s.work, s.party): s.amount for s in a.shares} == {
        ("w-a", "p"): 500,
        ("w-none", None): 500,
    }


def test_points_within_a_work() -> None:
    assert split_work(1000, {"a": Decimal("2.5"), "b": Decimal("7.5")}) == {"a": 250, "b": 750}
    assert split_work(1000, {"a": 0, "b": 0}) == {}
    assert split_work(1, {"a": 1, "b": 1, "c": 1}) == {"a": 1, "b": 0, "c": 0}


def test_normalise_attribution() -> None:
    assert normalise_attribution(
        [
            {"work": "w-a", "share": "0.25"},
            {"work": "w-b", "share": "0.75"},
            {"work": "w-a", "share": "0"},
        ]
    ) == {"w-a": Fraction(1, 4), "w-b": Fraction(3, 4)}
    for bad in (
        [],
        [{"work": "w", "share": "-0.1"}],
        [{"work": "w", "share": "x"}],
        [{"work": "", "share": "1"}],
        [{"work": "w", "share": "0"}],
    ):
        with pytest.raises(UsageError):
            normalise_attribution(bad)


@dataclass
class Clip:
    work: str
    start_frame: int
    end_frame: int
    fps: float
    source_fps: float = 0.0


def test_minutes_by_work_exact() -> None:
    clips = [
        Clip("w-a", 0, 239, 24),
        Clip("w-a", 1000, 1119, 24),
        Clip("w-b", 0, 2999, 25.0),
        Clip("w-c", 0, 2996, 16, source_fps=29.97),
    ]
    m = minutes_by_work(clips)
    assert m["w-a"] == Fraction(360, 24 * 60)  # 15 s
    assert m["w-b"] == Fraction(2)  # 3000 frames at 25 fps = 2 min
    assert m["w-c"] == Fraction(2997) / Fraction("29.97") / 60  # counted at the source rate
    assert m["w-c"] == Fraction(10, 6)
    with pytest.raises(UsageError):
        minutes_by_work([Clip("w", 10, 5, 24)])


# ---- properties -------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**15)
weight_values = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=0, max_value=1000, max_denominator=10**6),
)
weight_maps = st.dictionaries(
    st.text("abcdefghij-", min_size=1, max_size=6), weight_values, min_size=1, max_size=12
).filter(lambda d: sum(Fraction(v) for v in d.values()) > 0)


@settings(max_examples=300, deadline=None)
@given(amounts, weight_maps)
def test_property_shares_sum_and_quota_rule(total: int, weights: dict[str, object]) -> None:
    shares = largest_remainder(total, weights)  # type: ignore[arg-type]
    assert sum(shares.values()) == total
    assert set(shares) == set(weights)
    wsum = sum(Fraction(v) for v in weights.values())  # type: ignore[arg-type]
    for k, v in weights.items():
        quota = total * Fraction(v) / wsum  # type: ignore[arg-type]
        assert math.floor(quota) <= shares[k] <= math.ceil(quota)
        if Fraction(v) == 0:  # type: ignore[arg-type]
            assert shares[k] == 0


@settings(max_examples=200, deadline=None)
@given(amounts, weight_maps, st.randoms(use_true_random=False))
def test_property_order_does_not_matter(total: int, weights: dict[str, object], rnd) -> None:  # type: ignore[no-untyped-def]
    items = list(weights.items())
    rnd.shuffle(items)
    assert largest_remainder(total, items) == largest_remainder(total, weights)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    amounts,
    st.integers(0, 10000),
    weight_maps,
    st.dictionaries(
        st.text("pqrs", min_size=1, max_size=3),
        st.decimals(min_value=0, max_value=100, places=4),
        max_size=5,
    ),
)
def test_property_three_levels_keep_every_cent(
    total: int, pool_bp: int, works: dict[str, object], pts: dict[str, Decimal]
) -> None:
    pool = Fraction(pool_bp, 10000)
    points = {w: pts for w in list(works)[::2]}  # some works with points, others in suspense
    a = allocate(total, pool, works, points)  # type: ignore[arg-type]
    a.check()
    assert a.pool + a.studio == total
    assert sum(s.amount for s in a.shares) == a.pool
    assert all(s.amount > 0 for s in a.shares)
    assert math.floor(total * pool) <= a.pool <= math.ceil(total * pool)
