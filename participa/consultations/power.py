"""A priori voting power of the organisations on a roll: the Banzhaf index of a weighted majority
game, shown to staff next to a weight scheme (weight shares are not power shares).

Game: a coalition S wins when weight(S) > quota (``strict``) or weight(S) >= quota (not strict),
with quota = majority x total weight. Organisation i is a *swing* in a coalition S of the others
when S loses and S + i wins. The raw Banzhaf index of i is the probability of being a swing when
each other organisation joins independently with probability 1/2 (swings / 2^(n-1)); the
normalised index divides it by the sum over all organisations (values sum to 1).

Weights are Decimals with at most 6 places; they are scaled by 10^6 to integers, so the game is
decided exactly (the quota becomes an integer threshold: win iff scaled weight >= t).

Three methods (``PowerIndex.method``):

- ``"exact"`` (n <= exact_limit, default 20): swing counts enumerated exactly, meet in the middle:
  for each distinct weight, the other players are split into two halves, the subset-sum counts of
  each half are built (equal weights collapse through binomial counts), and the pairs whose sum
  falls in [t - w_i, t - 1] are counted with bisection. Cost ~ distinct weights x 2^(n/2); about
  a second at n = 30. ``fractions`` holds the exact normalised values; ``error_bound`` is None.
- ``"normal"`` (default for n > exact_limit): Leech's hybrid method (D. Leech, "Computing power
  indices for large voting games", Management Science 49(6), 2003): the ``heavy`` largest players
  (whole groups of equal weight, at most ``heavy`` of them) are enumerated exactly; the sum L of
  the others' weights is approximated by a normal law, with the lattice of L (the gcd of those
  weights) taken into account. Cost O(n + distinct weights x 2^heavy); about a second for
  n = 50,000. Uses binary floating point (math.erfc) inside; results are rounded to 6 places.
  ``error_bound`` is a rigorous worst-case bound on each player's *raw* index: by the
  Berry-Esseen theorem (constant 0.56, Shevtsova 2010) the distribution function of L is within
  0.56 x sum(w^3) / (sum(w^2))^(3/2) of the normal one (sums over the light players), and a swing
  window uses it twice. This bound is pessimistic: the summands are symmetric, so the actual error
  is of order 1/n (tests compare with the exact index), while the bound is of order 1/sqrt(n).
- ``"monte_carlo"`` (``estimator="monte_carlo"``, for moderate n; cost O(samples x n)): random
  coalitions from ``random.Random(seed)`` (reproducible), every player's swing counted in each.
  ``error_bound`` is Hoeffding's bound with a union bound over the n players: with probability at
  least ``confidence``, every raw estimate is within eps = sqrt(ln(2n / (1 - confidence)) /
  (2 samples)) of the raw index.

For both estimates the bound is on the raw index (``PowerIndex.raw``); the normalised values are
the raw estimates divided by their sum and inherit the error through that division (no separate
bound is claimed for them).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from itertools import accumulate
from typing import Any

SCALE = 10**6
PLACES = Decimal("0.000001")
BERRY_ESSEEN_C = Decimal("0.56")
ESTIMATORS = ("normal", "monte_carlo")
_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class PowerIndex:
    """Banzhaf index of each organisation (keys are the ids given to banzhaf).

    values: normalised index, Decimal with 6 places (sums to 1 up to rounding).
    exact: True for the exact method.
    error_bound: None when exact; otherwise a bound on |raw estimate - raw index| for every
        player (see the module docstring for what it guarantees per method).
    samples: the Monte Carlo sample count, else None.
    method: "exact", "normal" or "monte_carlo".
    raw: raw index (probability of being a swing), Decimal with 6 places.
    fractions: the exact normalised values (exact method only), else None.
    confidence: the Monte Carlo confidence level, else None.
    """

    values: dict[int, Decimal]
    exact: bool
    error_bound: Decimal | None
    samples: int | None
    method: str
    raw: dict[int, Decimal] = field(default_factory=dict)
    fractions: dict[int, Fraction] | None = None
    confidence: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (ids and decimals as strings), for canonical JSON."""
        return {
            "method": self.method,
            "exact": self.exact,
            "error_bound": None if self.error_bound is None else str(self.error_bound),
            "samples": self.samples,
            "confidence": None if self.confidence is None else str(self.confidence),
            "values": {str(key): str(value) for key, value in self.values.items()},
            "raw": {str(key): str(value) for key, value in self.raw.items()},
        }


# --- common ---------------------------------------------------------------------------------


def _scaled(weights: Mapping[int, Decimal]) -> dict[int, int]:
    """Weights x 10^6 as integers; refuses floats, negatives and more than 6 places."""
    scaled: dict[int, int] = {}
    with localcontext() as ctx:
        ctx.prec = 50
        for key, weight in weights.items():
            if isinstance(weight, bool) or not isinstance(weight, Decimal | int):
                raise TypeError("weights must be Decimal or int")
            value = Decimal(weight)
            if not value.is_finite() or value < 0:
                raise ValueError("negative_weight" if value.is_finite() else "non_finite_weight")
            value = value.scaleb(6)
            if value != value.to_integral_value():
                raise ValueError("weight_not_6_places")
            scaled[key] = int(value)
    return scaled


def _majority(majority: Fraction, strict: bool) -> Fraction:
    if isinstance(majority, float | bool) or not isinstance(majority, Fraction | int | Decimal):
        raise TypeError("majority must be a Fraction")
    value = Fraction(majority)
    if not (0 < value < 1 if strict else 0 < value <= 1):
        raise ValueError("majority_out_of_range")
    return value


def _threshold(total: int, majority: Fraction, strict: bool) -> int:
    """Smallest integer scaled weight that wins."""
    quota = majority * total
    if strict:
        return math.floor(quota) + 1
    return math.ceil(quota)


def _decimal(value: Fraction | float) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        if isinstance(value, Fraction):
            number = Decimal(value.numerator) / Decimal(value.denominator)
        else:
            number = Decimal(value)
        return number.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def _round_up(value: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return min(Decimal(1), value.quantize(PLACES, rounding=ROUND_CEILING))


def _prepare(weights: Mapping[int, Decimal], majority: Fraction, strict: bool) -> tuple[dict[int, int], int]:
    scaled = _scaled(weights)
    share = _majority(majority, strict)
    total = sum(scaled.values())
    if scaled and total == 0:
        raise ValueError("zero_total_weight")
    return scaled, _threshold(total, share, strict)


# --- exact ----------------------------------------------------------------------------------


def _subset_sum_counts(weights: Sequence[int]) -> dict[int, int]:
    """Number of subsets of ``weights`` (a multiset) by their sum."""
    counts: dict[int, int] = {0: 1}
    for weight, multiplicity in Counter(weights).items():
        binomials = [math.comb(multiplicity, k) for k in range(multiplicity + 1)]
        grown: defaultdict[int, int] = defaultdict(int)
        for total, count in counts.items():
            for k, binomial in enumerate(binomials):
                grown[total + k * weight] += count * binomial
        counts = grown
    return counts


def _count_subsets_between(weights: list[int], low: int, high: int) -> int:
    """Number of subsets of ``weights`` whose sum lies in [low, high] (meet in the middle)."""
    if low > high:
        return 0
    ordered = sorted(weights)
    left = _subset_sum_counts(ordered[0::2])
    right = _subset_sum_counts(ordered[1::2])
    sums = sorted(right)
    cumulative = [0, *accumulate(right[s] for s in sums)]
    found = 0
    for total, count in left.items():
        first = bisect_left(sums, low - total)
        last = bisect_right(sums, high - total)
        if last > first:
            found += count * (cumulative[last] - cumulative[first])
    return found


def _exact(scaled: dict[int, int], threshold: int) -> PowerIndex:
    weights = list(scaled.values())
    swings_by_weight: dict[int, int] = {}
    for weight in set(weights):
        if weight == 0:
            swings_by_weight[0] = 0
            continue
        others = list(weights)
        others.remove(weight)
        swings_by_weight[weight] = _count_subsets_between(others, threshold - weight, threshold - 1)
    swings = {key: swings_by_weight[weight] for key, weight in scaled.items()}
    total = sum(swings.values())
    coalitions = 2 ** (len(scaled) - 1)
    fractions = {key: Fraction(count, total) if total else Fraction(0) for key, count in swings.items()}
    return PowerIndex(
        values={key: _decimal(value) for key, value in fractions.items()},
        exact=True,
        error_bound=None,
        samples=None,
        method="exact",
        raw={key: _decimal(Fraction(count, coalitions)) for key, count in swings.items()},
        fractions=fractions,
    )


# --- normal approximation (Leech's hybrid method) --------------------------------------------


def _upper_tail(z: float) -> float:
    """P(N(0, 1) > z), accurate in the tail."""
    return 0.5 * math.erfc(z / _SQRT2)


def _window(low: int, high: int, total: int, squares: int, step: int) -> float:
    """Normal approximation of P(low <= L <= high), where L = sum of w_j X_j over the light
    players (X_j fair coins), sum(w_j) = total, sum(w_j^2) = squares and every w_j a multiple
    of ``step``. Each lattice point of L owns the cell of width ``step`` around it."""
    if squares == 0:  # L is 0
        return 1.0 if low <= 0 <= high else 0.0
    first = max(-(-low // step), 0)
    last = min(high // step, total // step)
    if first > last:
        return 0.0
    sigma2 = math.sqrt(squares)  # 2 sigma; z = (2x - total) / (2 sigma)
    z_low = None if first == 0 else (2 * step * first - step - total) / sigma2
    z_high = None if last == total // step else (2 * step * last + step - total) / sigma2
    if z_low is not None and z_low >= 0:
        value = _upper_tail(z_low) - (0.0 if z_high is None else _upper_tail(z_high))
    else:
        below_high = 1.0 if z_high is None else _upper_tail(-z_high)
        value = below_high - (0.0 if z_low is None else _upper_tail(-z_low))
    return max(value, 0.0)


def _gcd_without_one(counts: Counter[int]) -> dict[int, int]:
    """For each value v of the multiset: the gcd of the multiset with one v removed."""
    values = sorted(counts)
    prefix = [0, *accumulate(values, math.gcd)]
    suffix = [*reversed([*accumulate(reversed(values), math.gcd)]), 0]
    whole = prefix[-1]
    result = {}
    for index, value in enumerate(values):
        result[value] = whole if counts[value] > 1 else math.gcd(prefix[index], suffix[index + 1])
    return result


def _normal(scaled: dict[int, int], threshold: int, heavy: int) -> PowerIndex:
    counts = Counter(scaled.values())
    heavy_players: list[int] = []
    for weight in sorted(counts, reverse=True):
        if weight == 0 or len(heavy_players) + counts[weight] > heavy:
            break
        heavy_players.extend([weight] * counts[weight])
    light = Counter(counts)
    light.subtract(Counter(heavy_players))
    light = +light  # drop the zero counts
    light_total = sum(w * m for w, m in light.items())
    light_squares = sum(w * w * m for w, m in light.items())
    light_cubes = sum(w**3 * m for w, m in light.items())
    light_step = math.gcd(*light) if light else 0
    step_without = _gcd_without_one(light)
    heavy_sums = _subset_sum_counts(heavy_players)

    raw_by_weight: dict[int, float] = {}
    worst = Decimal(0)
    for weight in counts:
        if weight in light:
            sums, size = heavy_sums, len(heavy_players)
            total, squares = light_total - weight, light_squares - weight * weight
            cubes, step = light_cubes - weight**3, step_without[weight]
        else:
            others = list(heavy_players)
            others.remove(weight)
            sums, size = _subset_sum_counts(others), len(others)
            total, squares, cubes, step = light_total, light_squares, light_cubes, light_step
        if weight == 0:
            raw_by_weight[weight] = 0.0
            continue
        raw = math.fsum(
            count * _window(threshold - weight - h, threshold - 1 - h, total, squares, step)
            for h, count in sums.items()
        )
        raw_by_weight[weight] = raw / 2**size
        if squares:
            with localcontext() as ctx:
                ctx.prec = 50
                bound = 2 * BERRY_ESSEEN_C * Decimal(cubes) / (Decimal(squares) * Decimal(squares).sqrt())
            worst = max(worst, bound)

    raw_values = {key: raw_by_weight[weight] for key, weight in scaled.items()}
    total_raw = math.fsum(raw_values.values())
    return PowerIndex(
        values={key: _decimal(value / total_raw if total_raw else 0.0) for key, value in raw_values.items()},
        exact=False,
        # + 1e-9 covers the floating-point error of the evaluation itself
        error_bound=_round_up(worst + Decimal("1e-9")) if worst else Decimal(0),
        samples=None,
        method="normal",
        raw={key: _decimal(value) for key, value in raw_values.items()},
    )


# --- Monte Carlo ----------------------------------------------------------------------------


def _monte_carlo(scaled: dict[int, int], threshold: int, samples: int, seed: int, confidence: Decimal) -> PowerIndex:
    keys = list(scaled)
    weights = [scaled[key] for key in keys]
    n = len(weights)
    tables = []  # subset sums of each group of 8 consecutive players, indexed by their bits
    for start in range(0, n, 8):
        group = weights[start : start + 8]
        table = [0] * (1 << len(group))
        for mask in range(1, len(table)):
            lowest = mask & -mask
            table[mask] = table[mask ^ lowest] + group[lowest.bit_length() - 1]
        tables.append(table)
    order = sorted(range(n), key=lambda index: weights[index], reverse=True)
    descending = [-weights[index] for index in order]  # ascending, for bisect
    swings = [0] * n
    rng = random.Random(seed)  # noqa: S311 (reproducible sampling, not security)
    width = (n + 7) // 8
    for _ in range(samples):
        data = rng.getrandbits(n).to_bytes(width, "little")
        total = sum(table[byte] for table, byte in zip(tables, data, strict=True))
        if total >= threshold:  # members whose departure loses: w > total - t
            need, member = total - threshold + 1, 1
        else:  # outsiders whose arrival wins: w >= t - total
            need, member = threshold - total, 0
        for rank in range(bisect_right(descending, -need)):
            index = order[rank]
            if (data[index >> 3] >> (index & 7)) & 1 == member:
                swings[index] += 1
    total_swings = sum(swings)
    with localcontext() as ctx:
        ctx.prec = 50
        epsilon = ((Decimal(2 * n) / (1 - confidence)).ln() / (2 * samples)).sqrt()
    return PowerIndex(
        values={
            key: _decimal(Fraction(count, total_swings) if total_swings else Fraction(0))
            for key, count in zip(keys, swings, strict=True)
        },
        exact=False,
        error_bound=_round_up(epsilon),
        samples=samples,
        method="monte_carlo",
        raw={key: _decimal(Fraction(count, samples)) for key, count in zip(keys, swings, strict=True)},
        confidence=confidence,
    )


# --- public ---------------------------------------------------------------------------------


def banzhaf(
    weights: Mapping[int, Decimal],
    majority: Fraction,
    strict: bool,
    *,
    exact_limit: int = 20,
    samples: int = 20000,
    seed: int = 0,
    confidence: Decimal = Decimal("0.99"),
    estimator: str = "normal",
    heavy: int = 8,
) -> PowerIndex:
    """Banzhaf index of each organisation (see the module docstring for the methods and bounds).

    weights: organisation id -> weight (Decimal or int, >= 0, at most 6 places).
    majority: Fraction, 0 < majority < 1 when strict, 0 < majority <= 1 otherwise.
    Exact when len(weights) <= exact_limit; otherwise ``estimator``: "normal" (default; ``heavy``
    players enumerated exactly) or "monte_carlo" (``samples``, ``seed``, ``confidence``).
    Raises TypeError for floats and ValueError for negative weights, more than 6 places, a zero
    total weight, a majority out of range or an unknown estimator."""
    if estimator not in ESTIMATORS:
        raise ValueError("unknown_estimator")
    scaled, threshold = _prepare(weights, majority, strict)
    if not scaled:
        return PowerIndex(values={}, exact=True, error_bound=None, samples=None, method="exact", fractions={})
    if len(scaled) <= exact_limit:
        return _exact(scaled, threshold)
    if estimator == "monte_carlo":
        if samples < 1 or not Decimal(0) < confidence < 1:
            raise ValueError("bad_sampling")
        return _monte_carlo(scaled, threshold, samples, seed, confidence)
    return _normal(scaled, threshold, heavy)


def dictator_or_blocker(weights: Mapping[int, Decimal], majority: Fraction, strict: bool) -> dict[int, str]:
    """Organisations with outsized power, exactly: "dictator" when it decides alone (its weight
    alone meets the quota and no coalition wins without it), "veto" when no coalition wins
    without it (the others together miss the quota). Under a non-strict rule of one half, two
    organisations may each meet the quota alone; neither then decides alone, and neither is
    flagged a dictator. Others are not listed."""
    scaled, threshold = _prepare(weights, majority, strict)
    total = sum(scaled.values())
    flags: dict[int, str] = {}
    for key, weight in scaled.items():
        blocks = total - weight < threshold
        if weight >= threshold and blocks:
            flags[key] = "dictator"
        elif blocks:
            flags[key] = "veto"
    return flags
