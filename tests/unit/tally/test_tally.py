"""participa.tally.rules: the weighted count and the binding verdict, on hand-computed tables."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from participa.core.canonical import canonical_json, sha256_hex
from participa.tally.rules import (
    Ballot,
    Choice,
    Result,
    RevotePolicy,
    RollEntry,
    TallyInputError,
    TallyRules,
    Verdict,
    tally,
)

A, R, X = Choice.APPROVE, Choice.REJECT, Choice.ABSTAIN
Q = 1
OPENED = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def make_roll(*weights: str) -> list[RollEntry]:
    """Organisations 1..n with the given weights."""
    return [RollEntry(organisation_id=n, weight=Decimal(w)) for n, w in enumerate(weights, start=1)]


def make_ballots(votes: Mapping[int, Choice], question_id: int = Q, first_sequence: int = 1) -> list[Ballot]:
    """One ballot per organisation, recorded in the mapping's order."""
    return [
        Ballot(
            organisation_id=org,
            question_id=question_id,
            choice=choice,
            cast_at=OPENED + timedelta(minutes=i),
            sequence=first_sequence + i,
        )
        for i, (org, choice) in enumerate(votes.items())
    ]


def make_rules(quorum: Any = "0", majority: Any = "1/2", strict: bool = True, **options: Any) -> TallyRules:
    return TallyRules(quorum=quorum, majority=majority, majority_strict=strict, **options)


def run(weights: Sequence[str], votes: Mapping[int, Choice], rules: TallyRules | None = None) -> Result:
    return tally(make_roll(*weights), make_ballots(votes), [Q], rules or make_rules())


# --- weights -----------------------------------------------------------------------------------


def test_equal_weights_count_each_organisation_as_one() -> None:
    result = run(["1", "1", "1", "1", "1"], {1: A, 2: A, 3: A, 4: R, 5: X}, make_rules(quorum="0.5"))
    q = result.question(Q)
    assert (q.approve.heads, q.approve.weight) == (3, Decimal("3.000000"))
    assert (q.reject.heads, q.reject.weight) == (1, Decimal("1.000000"))
    assert (q.abstain.heads, q.abstain.weight) == (1, Decimal("1.000000"))
    assert (q.participating.heads, q.participating.weight) == (5, Decimal("5.000000"))
    assert result.roll_size == 5
    assert result.roll_total_weight == Decimal("5")
    assert q.verdict is Verdict.APPROVED  # 3 / (3 + 1) > 1/2


@pytest.mark.parametrize(
    ("votes", "approve", "reject", "verdict"),
    [
        # sqrt(100) = 10 against sqrt(49) + sqrt(16) = 11: one organisation approves, two reject.
        ({1: A, 2: R, 3: R}, (1, "10"), (2, "11"), Verdict.REJECTED),
        # 7 + 4 = 11 against 10: the two smaller organisations carry it.
        ({1: R, 2: A, 3: A}, (2, "11"), (1, "10"), Verdict.APPROVED),
        # 10 + 4 = 14 against 7.
        ({1: A, 2: R, 3: A}, (2, "14"), (1, "7"), Verdict.APPROVED),
    ],
)
def test_square_root_weights_are_summed_per_choice_beside_head_counts(
    votes: dict[int, Choice], approve: tuple[int, str], reject: tuple[int, str], verdict: Verdict
) -> None:
    # Members 100, 49 and 16 under the Penrose rule: weights 10, 7 and 4 on the frozen roll.
    q = run(["10", "7", "4"], votes).question(Q)
    assert (q.approve.heads, q.approve.weight) == (approve[0], Decimal(approve[1]))
    assert (q.reject.heads, q.reject.weight) == (reject[0], Decimal(reject[1]))
    assert q.verdict is verdict


def test_tally_counts_precapped_weights_exactly_as_given_on_the_roll() -> None:
    # Four organisations; the first one's weight was capped when the roll was frozen, leaving a
    # value with six decimals. The tally applies no scheme of its own: it sums what the roll holds.
    weights = ["6.666666", "5", "4", "4"]
    result = run(weights, {1: A, 2: R, 3: R, 4: X}, make_rules(quorum="0.5"))
    q = result.question(Q)
    assert result.roll_total_weight == Decimal("19.666666")
    assert q.approve.weight == Decimal("6.666666")
    assert q.reject.weight == Decimal("9.000000")
    assert q.abstain.weight == Decimal("4.000000")
    assert q.participating.weight == result.roll_total_weight
    assert q.verdict is Verdict.REJECTED  # 6.666666 / 15.666666 < 1/2


# --- quorum ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "quorum", "quorum_met"),
    [
        (["3", "7"], "0.3", True),  # 3 of 10 against 0.3: exactly at the threshold counts
        (["2.999999", "7.000001"], "0.3", False),  # one millionth short
        (["3.000001", "6.999999"], "0.3", True),
        (["3", "6"], "1/3", True),  # 3 of 9 against 1/3, exactly
        (["3.333333", "6.666667"], "1/3", False),  # 10/3 is not a six-place decimal: just below
        (["3.333334", "6.666666"], "1/3", True),
        (["10", "7", "4"], "1", False),  # unanimity of participation, one missing
    ],
)
def test_quorum_is_met_exactly_at_the_threshold_and_not_one_millionth_below(
    weights: list[str], quorum: str, quorum_met: bool
) -> None:
    q = run(weights, {1: A}, make_rules(quorum=quorum)).question(Q)
    assert q.quorum_met is quorum_met
    assert q.verdict is (Verdict.APPROVED if quorum_met else Verdict.NO_QUORUM)


def test_quorum_required_weight_is_the_exact_fraction_of_the_total() -> None:
    q = run(["3.333334", "6.666666"], {1: A}, make_rules(quorum="1/3")).question(Q)
    assert q.quorum_required_weight == Fraction(10, 3)


# --- majority ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strict", "verdict"),
    [(True, Verdict.REJECTED), (False, Verdict.APPROVED)],
    ids=["strict", "non_strict"],
)
def test_exact_tie_is_rejected_under_strict_half_and_approved_under_non_strict(strict: bool, verdict: Verdict) -> None:
    q = run(["5", "2", "3"], {1: A, 2: R, 3: R}, make_rules(majority="1/2", strict=strict)).question(Q)
    assert q.approve.weight == q.reject.weight == Decimal("5")
    assert q.majority_holds is (verdict is Verdict.APPROVED)
    assert q.verdict is verdict


@pytest.mark.parametrize(
    ("weights", "strict", "verdict"),
    [
        (["2", "1"], False, Verdict.APPROVED),  # 2/3 >= 2/3
        (["2", "1"], True, Verdict.REJECTED),  # 2/3 > 2/3 does not hold
        (["1.999999", "1"], False, Verdict.REJECTED),  # 1.999999 / 2.999999 < 2/3
        (["2.000001", "1"], True, Verdict.APPROVED),
        (["4", "1", "1"], False, Verdict.APPROVED),  # 4/6 again exactly two-thirds
    ],
)
def test_two_thirds_majority_holds_exactly_at_two_thirds_when_not_strict(
    weights: list[str], strict: bool, verdict: Verdict
) -> None:
    votes = {1: A} | {org: R for org in range(2, len(weights) + 1)}
    q = run(weights, votes, make_rules(majority="2/3", strict=strict)).question(Q)
    assert q.verdict is verdict


@pytest.mark.parametrize("majority", [Decimal("0.5"), "0.5", "1/2", Fraction(1, 2), "2/4"])
def test_majority_given_as_decimal_string_or_fraction_is_the_same_exact_threshold(majority: Any) -> None:
    assert make_rules(majority=majority).majority == Fraction(1, 2)


@pytest.mark.parametrize(
    ("weights", "votes", "verdict"),
    [
        (["1", "1", "1"], {1: A, 2: A, 3: R}, Verdict.APPROVED),  # odd total 3: 2 against 1
        (["1", "1", "1"], {1: A, 2: R, 3: R}, Verdict.REJECTED),
        (["1", "1", "1", "1"], {1: A, 2: A, 3: R, 4: R}, Verdict.REJECTED),  # even total 4: a tie is not more than half
        (["1", "1", "1", "1"], {1: A, 2: A, 3: A, 4: R}, Verdict.APPROVED),
        (["0.5", "1", "1.5"], {1: A, 2: A, 3: R}, Verdict.REJECTED),  # 1.5 against 1.5: a tie again
        (["0.5", "1", "1.5"], {1: R, 2: A, 3: A}, Verdict.APPROVED),  # 2.5 against 0.5
        (["1", "1", "1", "1", "1"], {1: A, 2: A, 3: R}, Verdict.APPROVED),  # odd roll, even turnout
    ],
)
def test_strict_half_on_odd_and_even_totals(weights: list[str], votes: dict[int, Choice], verdict: Verdict) -> None:
    q = run(weights, votes, make_rules(majority="1/2", strict=True)).question(Q)
    assert q.verdict is verdict


# --- abstentions -------------------------------------------------------------------------------


def test_abstentions_count_towards_quorum_but_not_towards_majority_by_default() -> None:
    # Quorum 3/4 of 4: met only because the two abstentions take part. Majority: 1 / (1 + 0).
    q = run(["1", "1", "1", "1"], {1: A, 2: X, 3: X}, make_rules(quorum="3/4")).question(Q)
    assert q.participating.weight == Decimal("3")
    assert q.quorum_met is True
    assert q.majority_denominator_weight == Decimal("1")
    assert q.verdict is Verdict.APPROVED


def test_abstentions_count_in_the_majority_denominator_when_configured() -> None:
    rules = make_rules(quorum="3/4", abstentions_in_majority=True)
    q = run(["1", "1", "1", "1"], {1: A, 2: X, 3: X}, rules).question(Q)
    assert q.quorum_met is True
    assert q.majority_denominator_weight == Decimal("3")
    assert q.verdict is Verdict.REJECTED  # 1/3 is not more than half


@pytest.mark.parametrize("abstentions_in_majority", [False, True])
def test_everyone_abstaining_leaves_no_majority_and_is_not_approved(abstentions_in_majority: bool) -> None:
    rules = make_rules(quorum="1/2", abstentions_in_majority=abstentions_in_majority)
    q = run(["1", "2"], {1: X, 2: X}, rules).question(Q)
    assert q.quorum_met is True
    assert q.majority_denominator_weight == (Decimal("3") if abstentions_in_majority else Decimal("0"))
    assert q.majority_holds is False
    assert q.approved is False
    assert q.verdict is Verdict.REJECTED


def test_question_without_any_ballot_is_not_approved_even_with_zero_quorum() -> None:
    q = tally(make_roll("1"), [], [Q], make_rules(quorum="0", majority="1/2", strict=False)).question(Q)
    assert q.quorum_met is True  # 0 >= 0 x 1
    assert q.majority_denominator_weight == Decimal("0")
    assert q.verdict is Verdict.REJECTED


# --- re-votes ----------------------------------------------------------------------------------


def revote_ballots() -> list[Ballot]:
    """Organisation 1 votes approve, then reject, then abstain; organisation 2 votes once. Listed out of order,
    and the clocks disagree with the recording order: the sequence decides."""
    return [
        Ballot(1, Q, R, OPENED + timedelta(minutes=5), sequence=20),
        Ballot(2, Q, A, OPENED, sequence=15),
        Ballot(1, Q, X, OPENED + timedelta(minutes=1), sequence=30),
        Ballot(1, Q, A, OPENED + timedelta(minutes=9), sequence=10),
    ]


def test_last_ballot_counts_under_revote_last_and_earlier_ones_are_superseded() -> None:
    result = tally(make_roll("1", "1"), revote_ballots(), [Q], make_rules(revote="last"))
    q = result.question(Q)
    assert (q.approve.heads, q.reject.heads, q.abstain.heads) == (1, 0, 1)  # organisation 1: abstain (sequence 30)
    assert result.counted == 2
    assert result.superseded == 2


def test_first_ballot_counts_under_revote_first_and_later_ones_are_set_aside() -> None:
    result = tally(make_roll("1", "1"), revote_ballots(), [Q], make_rules(revote=RevotePolicy.FIRST))
    q = result.question(Q)
    assert (q.approve.heads, q.reject.heads, q.abstain.heads) == (2, 0, 0)  # organisation 1: approve (sequence 10)
    assert q.approve.weight == Decimal("2")
    assert result.counted == 2
    assert result.superseded == 2


def test_revote_on_one_question_does_not_touch_another() -> None:
    ballots = [Ballot(1, 1, A, OPENED, 1), Ballot(1, 2, R, OPENED, 2), Ballot(1, 1, R, OPENED, 3)]
    result = tally(make_roll("1"), ballots, [1, 2], make_rules())
    assert result.question(1).reject.heads == 1
    assert result.question(2).reject.heads == 1
    assert (result.counted, result.superseded) == (2, 1)


# --- what is never counted ---------------------------------------------------------------------


def test_ballot_from_organisation_not_on_the_roll_is_ignored_and_reported() -> None:
    ballots = make_ballots({1: R, 99: A})
    result = tally(make_roll("1", "1"), ballots, [Q], make_rules(quorum="1/2"))
    q = result.question(Q)
    assert (q.approve.heads, q.approve.weight) == (0, Decimal("0"))
    assert q.participating.weight == Decimal("1")
    assert result.ignored_not_on_roll == 1
    assert result.counted == 1
    assert q.verdict is Verdict.REJECTED


def test_ballot_for_an_unknown_question_is_ignored_and_reported() -> None:
    ballots = make_ballots({1: A}) + make_ballots({1: A, 2: A}, question_id=77, first_sequence=10)
    result = tally(make_roll("1", "1"), ballots, [Q], make_rules())
    assert [q.question_id for q in result.questions] == [Q]
    assert result.question(Q).approve.heads == 1
    assert result.ignored_unknown_question == 2
    assert result.ignored_not_on_roll == 0


def test_ballot_both_off_roll_and_for_unknown_question_counts_once_as_not_on_roll() -> None:
    result = tally(make_roll("1"), [Ballot(99, 77, A, OPENED, 1)], [Q], make_rules())
    assert (result.ignored_not_on_roll, result.ignored_unknown_question) == (1, 0)


def test_questions_are_reported_in_question_id_order_including_those_without_ballots() -> None:
    ballots = make_ballots({1: A}, question_id=3)
    result = tally(make_roll("1"), ballots, [3, 1, 2], make_rules(quorum="1/2"))
    assert [q.question_id for q in result.questions] == [1, 2, 3]
    assert [q.verdict for q in result.questions] == [Verdict.NO_QUORUM, Verdict.NO_QUORUM, Verdict.APPROVED]
    with pytest.raises(KeyError):
        result.question(4)


# --- binding and verdict -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("binding_level", "votes", "binding", "verdict"),
    [
        (True, {1: A, 2: A}, True, Verdict.APPROVED),
        (True, {1: R, 2: R}, True, Verdict.REJECTED),  # a rejection with quorum binds too
        (False, {1: A, 2: A}, False, Verdict.APPROVED),  # consultative level: approved, not binding
        (True, {1: A}, False, Verdict.NO_QUORUM),  # quorum fails: not binding, whatever the votes
        (False, {1: A}, False, Verdict.NO_QUORUM),
    ],
)
def test_result_binds_only_at_binding_level_with_quorum(
    binding_level: bool, votes: dict[int, Choice], binding: bool, verdict: Verdict
) -> None:
    rules = make_rules(quorum="2/3", binding_level=binding_level)
    q = run(["1", "1", "1"], votes, rules).question(Q)
    assert q.binding is binding
    assert q.verdict is verdict


@pytest.mark.parametrize(
    ("votes", "verdict", "text"),
    [
        ({1: A, 2: A, 3: R}, Verdict.APPROVED, "approved"),
        ({1: A, 2: R, 3: R}, Verdict.REJECTED, "rejected"),
        ({1: A}, Verdict.NO_QUORUM, "no_quorum"),  # unanimous approval, too few taking part
    ],
)
def test_verdict_strings(votes: dict[int, Choice], verdict: Verdict, text: str) -> None:
    result = run(["1", "1", "1"], votes, make_rules(quorum="1/2"))
    q = result.question(Q)
    assert q.verdict is verdict
    assert q.verdict == text
    assert q.approved is (text == "approved")
    assert json.loads(result.to_canonical())["questions"][0]["verdict"] == text


# --- canonical JSON ----------------------------------------------------------------------------


def busy_case() -> tuple[list[RollEntry], list[Ballot], list[int], TallyRules]:
    roll = make_roll("10", "7", "4", "2.5", "0.000001")
    ballots = [
        *make_ballots({1: A, 2: R, 3: X, 4: A, 5: R}, question_id=1, first_sequence=1),
        *make_ballots({1: R, 2: R, 5: A}, question_id=2, first_sequence=100),
        *make_ballots({1: A, 3: A}, question_id=1, first_sequence=200),  # re-votes
        *make_ballots({42: A}, question_id=1, first_sequence=300),  # not on the roll
        *make_ballots({2: A}, question_id=9, first_sequence=400),  # unknown question
    ]
    return roll, ballots, [2, 1], make_rules(quorum="0.3", majority="2/3", strict=False)


def test_canonical_json_is_byte_identical_on_a_rerun_and_with_shuffled_inputs() -> None:
    roll, ballots, questions, rules = busy_case()
    first = tally(roll, ballots, questions, rules)
    assert tally(roll, ballots, questions, rules).to_canonical() == first.to_canonical()
    shuffler = random.Random(2026)
    for _ in range(20):
        shuffled_ballots, shuffled_roll = ballots[:], roll[:]
        shuffler.shuffle(shuffled_ballots)
        shuffler.shuffle(shuffled_roll)
        again = tally(shuffled_roll, iter(shuffled_ballots), list(reversed(questions)), rules)
        assert again.to_canonical() == first.to_canonical()
        assert again.sha256() == first.sha256()
    assert first == tally(roll, ballots, questions, rules)


def test_canonical_json_renders_weights_with_six_places_and_fractions_as_n_over_d() -> None:
    result = tally(make_roll("1", "2"), make_ballots({1: A}, question_id=7), [7], make_rules(quorum="1/2"))
    zero = {"heads": 0, "weight": "0.000000"}
    expected = {
        "roll_size": 2,
        "roll_total_weight": "3.000000",
        "rules": {
            "quorum": "1/2",
            "majority": "1/2",
            "majority_strict": True,
            "abstentions_in_majority": False,
            "binding_level": True,
            "revote": "last",
        },
        "questions": [
            {
                "question_id": 7,
                "approve": {"heads": 1, "weight": "1.000000"},
                "reject": zero,
                "abstain": zero,
                "participating": {"heads": 1, "weight": "1.000000"},
                "quorum_required_weight": "3/2",
                "quorum_met": False,
                "majority_denominator_weight": "1.000000",
                "majority_holds": True,
                "approved": False,
                "binding": False,
                "verdict": "no_quorum",
            }
        ],
        "counted": 1,
        "superseded": 0,
        "ignored_not_on_roll": 0,
        "ignored_unknown_question": 0,
        "not_admitted": {},
    }
    assert result.to_dict() == expected
    assert result.to_canonical() == canonical_json(expected)
    assert result.to_canonical().startswith(b'{"counted":1,"ignored_not_on_roll":0,')
    assert result.sha256() == sha256_hex(canonical_json(expected))


def test_rules_are_echoed_with_exact_fractions() -> None:
    rules = make_rules(quorum=Decimal("0.30"), majority="2/3", strict=False)
    assert rules.to_dict() == {
        "quorum": "3/10",
        "majority": "2/3",
        "majority_strict": False,
        "abstentions_in_majority": False,
        "binding_level": True,
        "revote": "last",
    }


# --- refused inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build_roll",
    [
        pytest.param(lambda: [RollEntry(1, Decimal("1")), RollEntry(1, Decimal("2"))], id="duplicate_organisation"),
        pytest.param(lambda: [RollEntry(1, Decimal("0"))], id="zero_weight"),
        pytest.param(lambda: [RollEntry(1, Decimal("-1"))], id="negative_weight"),
        pytest.param(lambda: [RollEntry(1, Decimal("0.0000001"))], id="seven_decimal_places"),
        pytest.param(lambda: [RollEntry(1, Decimal("NaN"))], id="nan_weight"),
        pytest.param(lambda: [RollEntry(1, 1.5)], id="float_weight"),  # type: ignore[arg-type]
        pytest.param(lambda: [], id="empty_roll"),
    ],
)
def test_invalid_roll_is_refused(build_roll: Any) -> None:
    with pytest.raises(ValueError):
        tally(build_roll(), [], [Q], make_rules())


def test_two_ballots_with_the_same_sequence_are_refused() -> None:
    ballots = [Ballot(1, Q, A, OPENED, 5), Ballot(2, Q, R, OPENED, 5)]
    with pytest.raises(TallyInputError, match="sequence 5"):
        tally(make_roll("1", "1"), ballots, [Q], make_rules())


def test_duplicate_question_ids_are_refused() -> None:
    with pytest.raises(TallyInputError):
        tally(make_roll("1"), [], [1, 1], make_rules())


@pytest.mark.parametrize(
    "bad_ballot",
    [
        pytest.param(lambda: Ballot(1, Q, "maybe", OPENED, 1), id="unknown_choice"),  # type: ignore[arg-type]
        pytest.param(lambda: Ballot(1, Q, A, datetime(2026, 5, 4, 12, 0), 1), id="naive_cast_at"),
    ],
)
def test_malformed_ballot_is_refused(bad_ballot: Any) -> None:
    with pytest.raises(ValueError):
        bad_ballot()


def test_ballot_choice_given_as_text_becomes_a_choice() -> None:
    assert Ballot(1, Q, "reject", OPENED, 1).choice is Choice.REJECT  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"quorum": 0.3}, id="float_quorum"),
        pytest.param({"majority": 0.5}, id="float_majority"),
        pytest.param({"quorum": "1.1"}, id="quorum_above_one"),
        pytest.param({"quorum": "-1/10"}, id="negative_quorum"),
        pytest.param({"majority": "0"}, id="zero_majority"),
        pytest.param({"majority": "3/2"}, id="majority_above_one"),
        pytest.param({"majority": "half"}, id="majority_not_a_number"),
        pytest.param({"revote": "random"}, id="unknown_revote_policy"),
    ],
)
def test_invalid_rules_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_rules(**options)
