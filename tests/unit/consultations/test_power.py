"""participa.consultations.power: Banzhaf index of a weighted majority game, exact and estimated."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participa.consultations.power import PowerIndex, banzhaf, dictator_or_blocker
from participa.core.canonical import canonical_json

HALF, TWO_THIRDS = Fraction(1, 2), Fraction(2, 3)
Roll = tuple[dict[int, Decimal], PowerIndex]


def as_map(weights: list[int | str]) -> dict[int, Decimal]:
    return {i: Decimal(w) for i, w in enumerate(weights)}


def fractions(weights: list[int | str], majority: Fraction, strict: bool) -> list[Fraction]:
    result = banzhaf(as_map(weights), majority, strict)
    assert result.exact and result.method == "exact" and result.fractions is not None
    return list(result.fractions.values())


def brute_force_swings(weights: list[int], majority: Fraction, strict: bool) -> list[int]:
    total = sum(weights)

    def wins(weight: int) -> bool:
        return weight > majority * total if strict else weight >= majority * total

    swings = [0] * len(weights)
    for mask in range(1 << len(weights)):
        weight = sum(w for i, w in enumerate(weights) if mask >> i & 1)
        for i, w in enumerate(weights):
            if not mask >> i & 1 and not wins(weight) and wins(weight + w):
                swings[i] += 1
    return swings


# --- exact, hand-computed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "majority", "strict", "expected"),
    [
        # [4, 2, 1], more than half of 7 (> 3.5): 4 wins alone and every winning coalition needs it.
        ([4, 2, 1], HALF, True, ["1", "0", "0"]),
        # [3, 2, 2], > 3.5: the winning coalitions are the three pairs and all three; each player
        # swings in its two pairs: equal power despite unequal weights.
        ([3, 2, 2], HALF, True, ["1/3", "1/3", "1/3"]),
        # [50, 49, 1], > 50: 50 swings in {50,49}, {50,1}, {50,49,1}; 49 in {50,49}; 1 in {50,1}.
        ([50, 49, 1], HALF, True, ["3/5", "1/5", "1/5"]),
        # [3, 2, 1], at least two thirds of 6 (> 4 strict, >= 4 not strict): a tie at 4 = {3, 1}.
        # strict: winning {3,2}, {3,2,1}: 3 and 2 swing in both, 1 in none (a dummy).
        ([3, 2, 1], TWO_THIRDS, True, ["1/2", "1/2", "0"]),
        # not strict: {3,1} also wins: 3 swings in {3,1}, {3,2}, {3,2,1}; 2 in {3,2}; 1 in {3,1}.
        ([3, 2, 1], TWO_THIRDS, False, ["3/5", "1/5", "1/5"]),
        # unanimity: everybody is needed, whatever the weight
        ([5, 1, 1], Fraction(1), False, ["1/3", "1/3", "1/3"]),
        ([7], HALF, True, ["1"]),
        # six decimal places count: 0.5 + 0.000001 beats the quota 0.5000005 while 0.5 does not
        (["0.5", "0.5", "0.000001"], HALF, True, ["1/3", "1/3", "1/3"]),
        (["0.5", "0.5", "0"], HALF, True, ["1/2", "1/2", "0"]),
    ],
)
def test_exact_hand_computed(weights: list[int | str], majority: Fraction, strict: bool, expected: list[str]) -> None:
    assert fractions(weights, majority, strict) == [Fraction(e) for e in expected]


def test_exact_raw_and_rounded_values() -> None:
    result = banzhaf(as_map([3, 2, 1]), TWO_THIRDS, False)
    # swings 3, 1, 1 out of 2^2 coalitions of the others
    assert result.raw == {0: Decimal("0.750000"), 1: Decimal("0.250000"), 2: Decimal("0.250000")}
    assert result.values == {0: Decimal("0.600000"), 1: Decimal("0.200000"), 2: Decimal("0.200000")}
    assert result.error_bound is None and result.samples is None
    thirds = banzhaf(as_map([3, 2, 2]), HALF, True)
    assert set(thirds.values.values()) == {Decimal("0.333333")}


def test_strict_and_not_strict_differ_on_a_tie() -> None:
    assert fractions([3, 2, 1], TWO_THIRDS, True) != fractions([3, 2, 1], TWO_THIRDS, False)


def test_equal_weights_equal_power() -> None:
    for n in (1, 2, 5, 12):
        assert set(fractions([7] * n, HALF, True)) == {Fraction(1, n)}


def test_dictator_gets_everything() -> None:
    assert fractions([60, 10, 10, 10, 10], HALF, True) == [1, 0, 0, 0, 0]


def test_dummy_gets_nothing() -> None:
    # [5, 3, 1] at two thirds (> 6): only {5, 3} and {5, 3, 1} win; 1 never swings.
    assert fractions([5, 3, 1], TWO_THIRDS, True) == [Fraction(1, 2), Fraction(1, 2), 0]


def test_exact_matches_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(40):
        weights = [rng.randint(0, 12) for _ in range(rng.randint(1, 9))]
        if not any(weights):
            continue
        majority = rng.choice([HALF, TWO_THIRDS, Fraction(3, 5), Fraction(1, 3)])
        strict = rng.choice([True, False])
        swings = brute_force_swings(weights, majority, strict)
        expected = [Fraction(s, sum(swings)) for s in swings]
        assert fractions(weights, majority, strict) == expected, (weights, majority, strict)
        raw = banzhaf(as_map(weights), majority, strict).raw
        assert list(raw.values()) == [round(Decimal(s) / 2 ** (len(weights) - 1), 6) for s in swings]


# --- properties -----------------------------------------------------------------------------

weights_strategy = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=9).filter(any)


@settings(max_examples=200, deadline=None)
@given(
    weights=weights_strategy,
    majority=st.fractions(min_value=Fraction(1, 10), max_value=Fraction(9, 10)),
    strict=st.booleans(),
)
def test_exact_properties(weights: list[int], majority: Fraction, strict: bool) -> None:
    result = banzhaf(as_map(weights), majority, strict)
    assert result.fractions is not None
    assert sum(result.fractions.values()) == 1
    assert abs(sum(result.values.values()) - 1) <= Decimal("0.0000005") * len(weights)
    for i, wi in enumerate(weights):
        for j, wj in enumerate(weights):
            if wi == wj:  # symmetry
                assert result.fractions[i] == result.fractions[j]
            if wi > wj:  # monotonic in weight
                assert result.fractions[i] >= result.fractions[j]
        if wi == 0:
            assert result.fractions[i] == 0


@settings(max_examples=100, deadline=None)
@given(weights=weights_strategy)
def test_at_one_half_strict_and_not_strict_are_dual_games_with_the_same_index(weights: list[int]) -> None:
    assert fractions(weights, HALF, True) == fractions(weights, HALF, False)


# --- estimates ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def roll_30() -> Roll:
    rng = random.Random(30)
    weights = {i: Decimal(rng.randint(1, 3000)).sqrt().quantize(Decimal("0.000001")) for i in range(30)}
    return weights, banzhaf(weights, HALF, True, exact_limit=30)


def test_normal_estimate_within_its_bound_of_the_exact_value(roll_30: Roll) -> None:
    weights, exact = roll_30
    assert exact.exact
    estimate = banzhaf(weights, HALF, True)
    assert (estimate.method, estimate.exact, estimate.samples) == ("normal", False, None)
    assert estimate.error_bound is not None and estimate.error_bound > 0
    for key in weights:
        assert abs(estimate.raw[key] - exact.raw[key]) <= estimate.error_bound
        # the bound is worst case; the approximation itself is much closer
        assert abs(estimate.raw[key] - exact.raw[key]) <= Decimal("0.01")
        assert abs(estimate.values[key] - exact.values[key]) <= Decimal("0.002")


def test_monte_carlo_estimate_within_its_bound_of_the_exact_value(roll_30: Roll) -> None:
    weights, exact = roll_30
    estimate = banzhaf(weights, HALF, True, estimator="monte_carlo", seed=3)
    assert (estimate.method, estimate.exact, estimate.samples) == ("monte_carlo", False, 20000)
    # Hoeffding with a union bound: sqrt(ln(2 * 30 / 0.01) / (2 * 20000)) = 0.014747...
    assert estimate.error_bound == Decimal("0.014748")
    assert estimate.confidence == Decimal("0.99")
    for key in weights:
        assert abs(estimate.raw[key] - exact.raw[key]) <= estimate.error_bound
    assert estimate == banzhaf(weights, HALF, True, estimator="monte_carlo", seed=3)  # reproducible
    assert estimate != banzhaf(weights, HALF, True, estimator="monte_carlo", seed=4)


def test_exact_limit_chooses_the_method() -> None:
    weights = as_map([1] * 21)
    assert banzhaf(weights, HALF, True).method == "normal"
    assert banzhaf(weights, HALF, True, exact_limit=21).method == "exact"


def test_normal_estimate_for_a_large_roll_of_equal_weights() -> None:
    # 2001 equal weights, more than half: a player swings when exactly 1000 of the 2000 others join.
    n = 2001
    result = banzhaf(as_map([1] * n), HALF, True)
    exact_raw = Decimal(math.comb(2000, 1000)) / Decimal(2) ** 2000
    assert set(result.values.values()) == {round(Decimal(1) / n, 6)}
    (raw,) = set(result.raw.values())
    assert abs(raw - exact_raw) <= Decimal("0.000002")  # 0.017839 exact, relative error ~ 1/(8n)
    assert result.error_bound == Decimal("0.025044")  # 1.12 / sqrt(2000): the worst case is far off


def test_normal_estimate_respects_the_lattice_of_the_others_weights() -> None:
    # 1999 organisations of weight 2 and one of weight 1, more than half of 3999 (> 1999.5).
    # The others' total of the weight-1 organisation is even, never 1999: it never swings.
    # A weight-2 organisation swings when the others total 1998 or 1999: when 999 of the other
    # 1998 organisations of weight 2 join (the weight-1 one either way).
    weights = as_map([1] + [2] * 1999)
    result = banzhaf(weights, HALF, True)
    assert result.raw[0] == 0
    exact_raw = Decimal(math.comb(1998, 999)) / Decimal(2) ** 1998
    assert abs(result.raw[1] - exact_raw) <= Decimal("0.000001")


def test_normal_estimate_with_heavy_players() -> None:
    # Three organisations hold 30 % each; 1000 small ones share 10 %. The heavy ones are enumerated
    # exactly: one of them swings exactly when one other heavy one joins (probability 1/2); the
    # small ones can never turn 300 + up to 100 (< 500) into a win nor 600 into a loss.
    weights = {**{i: Decimal(300) for i in range(3)}, **{i: Decimal("0.1") for i in range(3, 1003)}}
    result = banzhaf(weights, HALF, True)
    assert result.method == "normal"
    assert [result.raw[i] for i in range(3)] == [Decimal("0.5")] * 3
    assert [result.values[i] for i in range(3)] == [Decimal("0.333333")] * 3
    assert {result.raw[i] for i in range(3, 1003)} == {Decimal(0)}


def test_as_dict_is_canonical_json() -> None:
    result = banzhaf(as_map([3, 2, 1]), TWO_THIRDS, False)
    data = json.loads(canonical_json(result.as_dict()))
    assert data == {
        "method": "exact",
        "exact": True,
        "error_bound": None,
        "samples": None,
        "confidence": None,
        "values": {"0": "0.600000", "1": "0.200000", "2": "0.200000"},
        "raw": {"0": "0.750000", "1": "0.250000", "2": "0.250000"},
    }


def test_empty_roll() -> None:
    result = banzhaf({}, HALF, True)
    assert result.values == {} and result.exact


@pytest.mark.parametrize(
    ("weights", "majority", "strict", "error"),
    [
        ({1: 0.5}, HALF, True, TypeError),
        ({1: Decimal("-1")}, HALF, True, ValueError),
        ({1: Decimal("0.0000001")}, HALF, True, ValueError),
        ({1: Decimal("NaN")}, HALF, True, ValueError),
        ({1: Decimal(0), 2: Decimal(0)}, HALF, True, ValueError),
        ({1: Decimal(1)}, 0.5, True, TypeError),
        ({1: Decimal(1)}, Fraction(1), True, ValueError),  # nobody can have more than everything
        ({1: Decimal(1)}, Fraction(0), False, ValueError),
        ({1: Decimal(1)}, Fraction(3, 2), False, ValueError),
    ],
)
def test_bad_input(weights: dict, majority: object, strict: bool, error: type[Exception]) -> None:
    with pytest.raises(error):
        banzhaf(weights, majority, strict)  # type: ignore[arg-type]


def test_unknown_estimator() -> None:
    with pytest.raises(ValueError, match="unknown_estimator"):
        banzhaf(as_map([1, 2]), HALF, True, estimator="guess")


# --- dictator and veto ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "majority", "strict", "expected"),
    [
        ([4, 2, 1], HALF, True, {0: "dictator"}),
        ([3, 2, 2], HALF, True, {}),
        ([3, 2, 1], TWO_THIRDS, True, {0: "veto", 1: "veto"}),  # the others total 3 and 4, not > 4
        ([3, 2, 1], TWO_THIRDS, False, {0: "veto"}),  # 2's partners total 4 >= 4
        ([5, 1, 1], Fraction(1), False, {0: "veto", 1: "veto", 2: "veto"}),
        ([1] * 10, HALF, True, {}),
        ([4, 3, 3], Fraction(1, 3), False, {}),  # 4 >= 10/3 alone, but 3 + 3 win too: nobody decides alone
        (["0.5", "0.5", "0.000001"], HALF, True, {}),
        (["0.5", "0.5"], HALF, True, {0: "veto", 1: "veto"}),
        (["0.5", "0.5"], HALF, False, {}),  # each wins alone, so neither decides alone
    ],
)
def test_dictator_or_blocker(weights: list[int | str], majority: Fraction, strict: bool, expected: dict) -> None:
    assert dictator_or_blocker(as_map(weights), majority, strict) == expected


@settings(max_examples=150, deadline=None)
@given(
    weights=weights_strategy,
    majority=st.fractions(min_value=Fraction(1, 10), max_value=Fraction(9, 10)),
    strict=st.booleans(),
)
def test_flags_agree_with_the_index(weights: list[int], majority: Fraction, strict: bool) -> None:
    flags = dictator_or_blocker(as_map(weights), majority, strict)
    index = banzhaf(as_map(weights), majority, strict)
    assert index.fractions is not None
    for key, flag in flags.items():
        assert index.fractions[key] > 0  # a dictator or a veto player is never a dummy
        if flag == "dictator" and majority >= HALF:  # proper game: a dictator is the only one with power
            assert index.fractions[key] == 1
