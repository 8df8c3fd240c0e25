"""tally_groups: the grouped count the database feeds gives the same bytes as the per-ballot
tally over the same effective votes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participa.tally.rules import (
    Ballot,
    ChoiceGroup,
    ChoiceTotal,
    RollEntry,
    TallyInputError,
    TallyRules,
    tally,
    tally_groups,
)

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
RULES = TallyRules(quorum="3/10", majority="1/2", majority_strict=True)


def grouped(roll: list[RollEntry], ballots: list[Ballot]) -> list[ChoiceGroup]:
    weights = {e.organisation_id: e.weight for e in roll}
    counts = Counter((b.question_id, b.choice, weights[b.organisation_id]) for b in ballots)
    return [ChoiceGroup(q, c, w, n) for (q, c, w), n in counts.items()]


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=1, max_size=30),
    data=st.data(),
)
def test_grouped_and_per_ballot_tallies_give_the_same_bytes(weights: list[int], data: st.DataObject) -> None:
    roll = [RollEntry(i, Decimal(w) / Decimal(1000)) for i, w in enumerate(weights)]
    questions = [1, 2]
    ballots, effective = [], {}
    for entry in roll:
        for question in questions:
            # Each organisation answers each question 0 to 3 times; the last answer counts.
            for choice in data.draw(st.lists(st.sampled_from(["approve", "reject", "abstain"]), max_size=3)):
                ballot = Ballot(entry.organisation_id, question, choice, AT, len(ballots) + 1)
                ballots.append(ballot)
                effective[(entry.organisation_id, question)] = ballot
    total = sum((e.weight for e in roll), Decimal(0))
    expected = tally(roll, ballots, questions, RULES)
    superseded = len(ballots) - len(effective)
    actual = tally_groups(
        len(roll), total, grouped(roll, list(effective.values())), questions, RULES, superseded=superseded
    )
    assert actual.to_canonical() == expected.to_canonical()
    assert expected.superseded == superseded


def test_votes_set_aside_at_close_are_published_as_given() -> None:
    groups = [ChoiceGroup(1, "approve", Decimal("2"), 1)]
    result = tally_groups(
        3, Decimal("4"), groups, [1], RULES, superseded=2, not_admitted={"outside_window": 1, "not_authorised": 0}
    )
    data = result.to_dict()
    assert (data["counted"], data["superseded"], data["not_admitted"]) == (1, 2, {"outside_window": 1})


def test_a_negative_count_of_votes_set_aside_is_refused() -> None:
    with pytest.raises(TallyInputError):
        tally_groups(1, Decimal("1"), [], [1], RULES, superseded=-1)
    with pytest.raises(TallyInputError):
        tally_groups(1, Decimal("1"), [], [1], RULES, not_admitted={"outside_window": -2})


def test_groups_cannot_count_more_weight_than_the_roll_holds() -> None:
    with pytest.raises(TallyInputError):
        tally_groups(2, Decimal("2"), [ChoiceGroup(1, "approve", Decimal("1"), 3)], [1], RULES)


def test_a_group_of_an_unknown_question_is_ignored_and_counted_as_such() -> None:
    result = tally_groups(3, Decimal("3"), [ChoiceGroup(9, "approve", Decimal("1"), 2)], [1], RULES)
    assert result.ignored_unknown_question == 2
    assert result.question(1).participating.heads == 0


@pytest.mark.parametrize("heads", [0, -1])
def test_an_empty_or_negative_group_is_refused(heads: int) -> None:
    with pytest.raises(TallyInputError):
        ChoiceGroup(1, "approve", Decimal("1"), heads)


@settings(max_examples=100, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=5_000_000_000), min_size=1, max_size=30),
    data=st.data(),
)
def test_weights_summed_per_question_and_choice_give_the_same_bytes(weights: list[int], data: st.DataObject) -> None:
    """What count() hands over on a large consultation: one total per question and choice, the
    weights summed in millionths, against the per-weight groups."""
    roll = [RollEntry(i, Decimal(w).scaleb(-6)) for i, w in enumerate(weights)]
    ballots = [
        Ballot(entry.organisation_id, question, data.draw(st.sampled_from(["approve", "reject", "abstain"])), AT, n)
        for n, (entry, question) in enumerate((e, q) for e in roll for q in (1, 2))
        if data.draw(st.booleans())
    ]
    total = sum((e.weight for e in roll), Decimal(0))
    by_weight = grouped(roll, ballots)
    summed: dict[tuple[int, str], tuple[int, Decimal]] = {}
    for group in by_weight:
        heads, weight = summed.get((group.question_id, group.choice), (0, Decimal(0)))
        summed[(group.question_id, group.choice)] = (heads + group.heads, weight + group.weight * group.heads)
    totals = [ChoiceTotal(q, c, heads, weight) for (q, c), (heads, weight) in summed.items()]
    assert (
        tally_groups(len(roll), total, totals, [1, 2], RULES).to_canonical()
        == tally_groups(len(roll), total, by_weight, [1, 2], RULES).to_canonical()
        == tally(roll, ballots, [1, 2], RULES).to_canonical()
    )
