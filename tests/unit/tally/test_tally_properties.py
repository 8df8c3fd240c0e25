"""participa.tally.rules: properties that hold for any roll, any ballots and any rules."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participa.tally.rules import Ballot, Choice, RevotePolicy, RollEntry, TallyRules, Verdict, tally

Case = tuple[list[RollEntry], list[Ballot], list[int], TallyRules]

MODEST = settings(max_examples=200, deadline=None)
OFF_ROLL_IDS = (900, 901)
UNKNOWN_QUESTION_IDS = (90,)

# Weights in millionths: mostly small so that ties and thresholds come up, sometimes large.
weights = st.one_of(st.integers(1, 5), st.integers(1, 10**10)).map(lambda micro: Decimal(micro).scaleb(-6))
cast_times = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))


@st.composite
def rolls(draw: st.DrawFn) -> list[RollEntry]:
    ids = draw(st.lists(st.integers(1, 40), min_size=1, max_size=10, unique=True))
    return [RollEntry(organisation_id=org, weight=draw(weights)) for org in ids]


@st.composite
def tally_rules(draw: st.DrawFn) -> TallyRules:
    return TallyRules(
        quorum=draw(st.fractions(min_value=0, max_value=1, max_denominator=10)),
        majority=draw(st.fractions(min_value=Fraction(1, 6), max_value=1, max_denominator=6)),
        majority_strict=draw(st.booleans()),
        abstentions_in_majority=draw(st.booleans()),
        binding_level=draw(st.booleans()),
        revote=draw(st.sampled_from(RevotePolicy)),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    roll = draw(rolls())
    question_ids = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3, unique=True))
    organisations = [entry.organisation_id for entry in roll]
    # Few organisations and questions against up to 40 ballots: re-votes are the rule, not the exception.
    raw = draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(organisations), st.sampled_from(OFF_ROLL_IDS)),
                st.one_of(st.sampled_from(question_ids), st.sampled_from(UNKNOWN_QUESTION_IDS)),
                st.sampled_from(Choice),
                cast_times,
            ),
            max_size=40,
        )
    )
    sequences = draw(st.lists(st.integers(1, 10**9), min_size=len(raw), max_size=len(raw), unique=True))
    ballots = [
        Ballot(org, question, choice, cast_at, seq)
        for (org, question, choice, cast_at), seq in zip(raw, sequences, strict=True)
    ]
    return roll, ballots, question_ids, draw(tally_rules())


def voters_per_question(roll: list[RollEntry], ballots: list[Ballot]) -> dict[int, set[int]]:
    """Organisations on the roll with at least one ballot on each question, worked out independently."""
    on_roll = {entry.organisation_id for entry in roll}
    voters: dict[int, set[int]] = defaultdict(set)
    for ballot in ballots:
        if ballot.organisation_id in on_roll:
            voters[ballot.question_id].add(ballot.organisation_id)
    return voters


@MODEST
@given(case=cases(), data=st.data())
def test_result_does_not_depend_on_the_order_of_ballots_roll_or_questions(case: Case, data: st.DataObject) -> None:
    roll, ballots, question_ids, rules = case
    expected = tally(roll, ballots, question_ids, rules).to_canonical()
    shuffled = tally(
        data.draw(st.permutations(roll)),
        iter(data.draw(st.permutations(ballots))),
        data.draw(st.permutations(question_ids)),
        rules,
    )
    assert shuffled.to_canonical() == expected


@MODEST
@given(case=cases())
def test_counted_weight_is_the_roll_weight_of_the_organisations_that_voted_and_never_exceeds_the_total(
    case: Case,
) -> None:
    roll, ballots, question_ids, rules = case
    result = tally(roll, ballots, question_ids, rules)
    weight_of = {entry.organisation_id: entry.weight for entry in roll}
    voters = voters_per_question(roll, ballots)
    assert result.roll_total_weight == sum(weight_of.values())
    for question in result.questions:
        counted = question.approve.weight + question.reject.weight + question.abstain.weight
        assert counted == question.participating.weight
        assert counted == sum((weight_of[org] for org in voters[question.question_id]), Decimal(0))
        assert counted <= result.roll_total_weight


@MODEST
@given(case=cases())
def test_head_counts_are_the_distinct_organisations_on_the_roll_that_voted(case: Case) -> None:
    roll, ballots, question_ids, rules = case
    result = tally(roll, ballots, question_ids, rules)
    voters = voters_per_question(roll, ballots)
    for question in result.questions:
        heads = question.approve.heads + question.reject.heads + question.abstain.heads
        assert heads == question.participating.heads == len(voters[question.question_id])
    assert result.counted == sum(len(voters[q]) for q in question_ids)
    # Every ballot is accounted for exactly once.
    assert result.counted + result.superseded + result.ignored_not_on_roll + result.ignored_unknown_question == len(
        ballots
    )


@pytest.mark.parametrize("policy", list(RevotePolicy))
@MODEST
@given(case=cases(), data=st.data())
def test_changing_ballots_the_revote_policy_sets_aside_never_changes_the_result(
    policy: RevotePolicy, case: Case, data: st.DataObject
) -> None:
    roll, ballots, question_ids, rules = case
    rules = dataclasses.replace(rules, revote=policy)
    keeps = max if policy is RevotePolicy.LAST else min
    on_roll = {entry.organisation_id for entry in roll}
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for ballot in ballots:
        if ballot.organisation_id in on_roll and ballot.question_id in question_ids:
            groups[(ballot.organisation_id, ballot.question_id)].append(ballot.sequence)
    effective = {keeps(sequences) for sequences in groups.values()}

    changed = [
        ballot
        if ballot.sequence in effective
        else dataclasses.replace(ballot, choice=data.draw(st.sampled_from(Choice)), cast_at=data.draw(cast_times))
        for ballot in ballots
    ]
    assert (
        tally(roll, changed, question_ids, rules).to_canonical()
        == tally(roll, ballots, question_ids, rules).to_canonical()
    )


@MODEST
@given(case=cases(), data=st.data())
def test_turning_an_effective_reject_into_approve_never_undoes_an_approval(case: Case, data: st.DataObject) -> None:
    roll, ballots, question_ids, rules = case
    rules = dataclasses.replace(rules, revote=RevotePolicy.LAST)
    on_roll = {entry.organisation_id for entry in roll}
    last: dict[tuple[int, int], Ballot] = {}
    for ballot in sorted(ballots, key=lambda b: b.sequence):
        if ballot.organisation_id in on_roll and ballot.question_id in question_ids:
            last[(ballot.organisation_id, ballot.question_id)] = ballot
    rejects = [ballot for ballot in last.values() if ballot.choice is Choice.REJECT]
    if not rejects:
        # No effective reject drawn: add one as the newest ballot of an organisation on the roll, rather than
        # filtering the case out (most drawn cases have none, which starves Hypothesis).
        newest = Ballot(
            data.draw(st.sampled_from(sorted(on_roll))),
            data.draw(st.sampled_from(question_ids)),
            Choice.REJECT,
            data.draw(cast_times),
            max((b.sequence for b in ballots), default=0) + 1,
        )
        ballots = [*ballots, newest]
        rejects = [newest]
    flipped = data.draw(st.sampled_from(rejects))
    changed = [dataclasses.replace(b, choice=Choice.APPROVE) if b is flipped else b for b in ballots]
    before = tally(roll, ballots, question_ids, rules).question(flipped.question_id)
    after = tally(roll, changed, question_ids, rules).question(flipped.question_id)
    assert after.participating == before.participating
    assert after.quorum_met == before.quorum_met
    if before.verdict is Verdict.APPROVED:
        assert after.verdict is Verdict.APPROVED
