"""Allocation to the minor unit: the largest-remainder (Hamilton) method, at every level.

Pure functions on integers and exact rationals (`fractions.Fraction`); nothing here touches
the database, so every rule can be tested directly.

Hamilton's method, for a total T (integer minor units) and weights w_i >= 0 with W = sum w_i:
  1. each key gets floor(q_i), its quota q_i = T * w_i / W, computed exactly;
  2. the R = T - sum floor(q_i) minor units left over (0 <= R < number of keys) go one each
     to the keys with the largest remainders q_i - floor(q_i).
Every key thus gets floor(q_i) or ceil(q_i) (the quota rule) and the shares sum to T exactly.
(The one implementation is `clearreel.util.alloc.largest_remainder`, which attribution's shares
use too, with their own tie-break.)

Tie-break (deterministic, documented in docs/ledger.md): among equal remainders the larger
weight wins, then the key that sorts first (plain string order). Callers name keys so the
order is meaningful: at the pool level the keys are "pool" < "studio", so an odd cent of a
50 % split goes to the rights holders.

Revenue from an output is allocated in three levels, each by Hamilton's method:
  amount -> {rights pool, studio} by the pool percentage;
  pool   -> works by the output's attribution shares;
  work   -> parties by their points in the work.
Licence fees skip the attribution level: fee -> {pool, studio}; pool -> works by their
minutes in the dataset; work -> parties by points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from clearreel.errors import UsageError
from clearreel.util import alloc

Weight = int | Decimal | Fraction

POOL_KEY = "pool"
STUDIO_KEY = "studio"


def _frac(w: Weight | str | float) -> Fraction:
    if isinstance(w, float):
        # A float is not exact; go through its shortest repr so 0.1 means one tenth.
        return Fraction(repr(w))
    return Fraction(w)


def largest_remainder(
    total: int, weights: Mapping[str, Weight] | Iterable[tuple[str, Weight]]
) -> dict[str, int]:
    """Split `total` minor units among keys in proportion to `weights`, to the unit.

    Returns {key: share} for every key (zero-weight keys get 0). The shares are integers,
    each floor or ceil of its exact quota, and they sum to `total`. Duplicate keys have
    their weights added. Raises ValueError for a negative total or weight, or for a
    positive total with no positive weight. Ties: larger weight, then the key that sorts
    first (`clearreel.util.alloc`, the one implementation).
    """
    items = weights.items() if isinstance(weights, Mapping) else weights
    exact = [(key, _frac(value) if isinstance(value, float) else value) for key, value in items]
    return alloc.largest_remainder(total, exact, tie=alloc.by_weight_then_key)


def pool_fraction(percent: Weight | str) -> Fraction:
    """A pool percentage ("50", "37.5", Decimal) -> Fraction in [0, 1]; UsageError otherwise."""
    try:
        p = Fraction(Decimal(str(percent).strip().rstrip("%")))
    except (ArithmeticError, ValueError):
        raise UsageError(
            f"pool {percent!r} is not a percentage: use a number from 0 to 100, e.g. 50 or 37.5"
        ) from None
    if not 0 <= p <= 100:
        raise UsageError(f"pool {percent!r} is outside 0..100 percent")
    return p / 100


def split_pool(total: int, pool: Fraction) -> tuple[int, int]:
    """(rights-pool share, studio share) of `total`, by Hamilton; ties go to the pool."""
    s = largest_remainder(total, [(POOL_KEY, pool), (STUDIO_KEY, 1 - pool)])
    return s[POOL_KEY], s[STUDIO_KEY]


def normalise_attribution(attribution: Iterable[Mapping[str, object]]) -> dict[str, Fraction]:
    """An output's attribution `[{"work", "share"}]` -> {work: share} as exact fractions.

    Shares are Decimal strings (the generation contract); duplicates are added; shares are
    relative weights, so a list that sums to 0.9999 still allocates every cent. Refuses
    (UsageError) an empty list, a negative or malformed share, or shares that are all zero.
    """
    out: dict[str, Fraction] = {}
    for item in attribution:
        work = str(item.get("work") or "").strip()
        raw = item.get("share")
        if not work:
            raise UsageError(f"attribution entry {dict(item)!r} names no work")
        try:
            share = _frac(
                raw if isinstance(raw, float | int | Decimal | Fraction) else Decimal(str(raw))
            )
        except (ArithmeticError, ValueError, TypeError):
            raise UsageError(f"attribution share {raw!r} of work {work} is not a number") from None
        if share < 0:
            raise UsageError(f"attribution share {raw!r} of work {work} is negative")
        out[work] = out.get(work, Fraction(0)) + share
    if not out or sum(out.values()) == 0:
        raise UsageError(
            "the attribution names no work with a positive share: attribute the "
            "output first (`clearreel attribution`), then record its revenue"
        )
    return out


@dataclass(frozen=True)
class Share:
    """One party's (or the suspense account's) share of one work, in minor units."""

    work: str
    party: str | None  # None: no participant of the work holds points (held in suspense)
    amount: int


@dataclass
class Allocation:
    """The result of allocating one amount: every minor unit accounted for."""

    total: int
    pool: int
    studio: int
    by_work: dict[str, int] = field(default_factory=dict)
    shares: list[Share] = field(default_factory=list)
    # The rights holders' pool of revenue that no work earned (an unattributed output): held in
    # the studio's unattributed account instead of being divided.
    unattributed: int = 0

    def check(self) -> None:
        """Assert the invariants (used by tests and before posting)."""
        assert self.pool + self.studio + self.unattributed == self.total
        assert sum(self.by_work.values()) == self.pool
        assert sum(s.amount for s in self.shares) == self.pool
        for w, amt in self.by_work.items():
            assert sum(s.amount for s in self.shares if s.work == w) == amt


def split_work(
    amount: int, points: Mapping[str, Weight] | Sequence[tuple[str, Weight]]
) -> dict[str, int]:
    """A work's amount among its parties by their points (Hamilton); {} when nobody has points."""
    items = list(points.items() if isinstance(points, Mapping) else points)
    if not any(_frac(p) > 0 for _k, p in items):
        return {}
    shares = largest_remainder(amount, [(k, p) for k, p in items if _frac(p) > 0])
    return shares


def allocate(
    total: int,
    pool: Fraction,
    work_weights: Mapping[str, Weight],
    points: Mapping[str, Mapping[str, Weight]],
) -> Allocation:
    """Allocate `total`: pool vs studio, pool among works by weight, each work by points.

    `work_weights`: {work: weight} (attribution shares, or minutes in a dataset).
    `points`: {work: {party: points}}; a work whose parties hold no points keeps its share
    in suspense (a Share with party None), so no minor unit is ever lost or invented. With no
    work at all, the pool is held as `unattributed` (the studio's account for revenue of
    outputs that resemble no training clip).
    """
    pool_amt, studio_amt = split_pool(total, pool)
    if not work_weights:  # no work earned it (an unattributed output): the pool is held
        alloc = Allocation(total=total, pool=0, studio=studio_amt, unattributed=pool_amt)
        alloc.check()
        return alloc
    by_work = (
        largest_remainder(pool_amt, sorted(work_weights.items()))
        if pool_amt
        else dict.fromkeys(work_weights, 0)
    )
    shares: list[Share] = []
    for work in sorted(by_work):
        amt = by_work[work]
        if amt == 0:
            continue
        parties = split_work(amt, sorted((points.get(work) or {}).items()))
        if not parties:
            shares.append(Share(work, None, amt))
            continue
        shares.extend(Share(work, p, a) for p, a in sorted(parties.items()) if a)
    alloc = Allocation(
        total=total, pool=pool_amt, studio=studio_amt, by_work=by_work, shares=shares
    )
    alloc.check()
    return alloc


def minutes_by_work(clips: Iterable[object]) -> dict[str, Fraction]:
    """Minutes of each work in a dataset, exactly: sum of (end - start + 1) / fps / 60.

    `clips` are `ManifestClip`s (or anything with `work`, `start_frame`, `end_frame`, `fps`);
    frame ranges are inclusive source frames, as in `dataset show`, counted at the source's
    frame rate (`source_fps` when the clip has one, else `fps`). A float frame rate is read
    through its shortest repr (29.97 -> 2997/100), an exact rational.
    """
    out: dict[str, Fraction] = {}
    for c in clips:
        work = str(c.work)  # type: ignore[attr-defined]
        start, end = int(c.start_frame), int(c.end_frame)  # type: ignore[attr-defined]
        rate = getattr(c, "source_fps", None) or c.fps  # type: ignore[attr-defined]
        fps = _frac(rate)
        if end < start or fps <= 0:
            raise UsageError(
                f"clip of work {work} has an invalid range {start}..{end} at {rate} fps"
            )
        out[work] = out.get(work, Fraction(0)) + Fraction(end - start + 1) / fps / 60
    return out


__all__ = [
    "Allocation",
    "Share",
    "allocate",
    "largest_remainder",
    "minutes_by_work",
    "normalise_attribution",
    "pool_fraction",
    "split_pool",
    "split_work",
]
