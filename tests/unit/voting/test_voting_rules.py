"""Voting rules as plain functions (DESIGN §4, Votes): trackers, authorisation over time, vote
admissibility at close, a ballot's public status, and what a secret ballot's totals reveal."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participa.voting.rules import (
    VoteFacts,
    authorised_at,
    ballot_status,
    disclosure_estimate,
    normalise_receipt,
    revealed_choices,
    tracker_of,
    vote_verdicts,
)

OPENS = datetime(2026, 11, 1, 12, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=10)
MIDDLE = OPENS + timedelta(days=5)


def facts(**overrides: object) -> VoteFacts:
    values: dict[str, object] = {
        "vote_id": 1,
        "organisation_id": 7,
        "question_id": 3,
        "channel": "online",
        "cast_at": MIDDLE,
        "on_roll": True,
        "authorised": True,
        "effective": True,
    }
    values.update(overrides)
    return VoteFacts(**values)  # type: ignore[arg-type]


# --- trackers ---------------------------------------------------------------------------------


def test_a_tracker_is_the_sha256_of_the_printed_code() -> None:
    code = "ABCD-EFGH-IJKL-MNOP"
    assert tracker_of(code) == hashlib.sha256(b"ABCD-EFGH-IJKL-MNOP").hexdigest()
    assert tracker_of(normalise_receipt("abcd efgh ijkl mnop")) == tracker_of(code)


def test_different_codes_have_different_trackers() -> None:
    assert tracker_of("ABCD-EFGH-IJKL-MNOP") != tracker_of("ABCD-EFGH-IJKL-MNOQ")


def test_a_code_of_the_wrong_length_normalises_to_nothing() -> None:
    assert normalise_receipt("ABCD-EFGH") == ""
    assert normalise_receipt("") == ""


# --- authorisation over time --------------------------------------------------------------------


def test_a_vote_cast_while_authorised_counts_even_if_revoked_later() -> None:
    assert authorised_at([(OPENS, MIDDLE + timedelta(hours=1))], MIDDLE)
    assert authorised_at([(OPENS, None)], MIDDLE)


def test_a_vote_cast_before_approval_or_after_revocation_does_not() -> None:
    assert not authorised_at([(MIDDLE + timedelta(seconds=1), None)], MIDDLE)
    assert not authorised_at([(OPENS, MIDDLE)], MIDDLE), "revoked at the very moment of the vote"
    assert not authorised_at([(None, None)], MIDDLE), "never approved"
    assert not authorised_at([], MIDDLE)


def test_any_of_several_periods_is_enough() -> None:
    periods = [(OPENS, OPENS + timedelta(days=1)), (MIDDLE - timedelta(hours=1), None)]
    assert authorised_at(periods, MIDDLE)
    assert not authorised_at(periods, OPENS + timedelta(days=2))


# --- vote admissibility at close ------------------------------------------------------------------


def reasons(vote: VoteFacts) -> list[str]:
    return [v.reason for v in vote_verdicts(vote, voting_at=OPENS, voting_ends_at=CLOSES) if not v.ok]


def test_an_effective_authorised_vote_on_the_roll_within_the_window_is_admitted() -> None:
    verdicts = vote_verdicts(facts(), voting_at=OPENS, voting_ends_at=CLOSES)
    assert all(v.ok for v in verdicts)
    assert [v.rule for v in verdicts] == ["in_person_precedence", "effective", "within_window", "on_roll", "authorised"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"effective": False}, ["superseded"]),
        ({"cast_at": CLOSES}, ["outside_window"]),
        ({"cast_at": OPENS - timedelta(seconds=1)}, ["outside_window"]),
        ({"on_roll": False}, ["not_on_roll"]),
        ({"authorised": False}, ["not_authorised"]),
        ({"in_person_conflict": True}, ["overridden_in_person"]),
        ({"effective": False, "authorised": False}, ["superseded", "not_authorised"]),
        # An online vote an in-person ballot replaced says so before "superseded".
        ({"effective": False, "in_person_conflict": True}, ["overridden_in_person", "superseded"]),
        ({"effective": False, "in_person_conflict": True, "channel": "in_person"}, ["superseded"]),
    ],
)
def test_each_rule_refuses_with_its_reason_in_the_rules_order(overrides: dict, expected: list[str]) -> None:
    assert reasons(facts(**overrides)) == expected


def test_an_in_person_vote_is_not_overridden_by_its_own_conflict() -> None:
    assert reasons(facts(channel="in_person", in_person_conflict=True)) == []


# --- a ballot's public status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective", "admitted", "refusal", "expected"),
    [
        (True, None, None, ("received", None)),
        (False, None, None, ("superseded", "superseded")),
        (True, True, None, ("counted", None)),
        (False, False, "superseded", ("superseded", "superseded")),
        (True, False, "not_authorised", ("not_admitted", "not_authorised")),
        (True, False, "outside_window", ("not_admitted", "outside_window")),
        (True, False, None, ("not_admitted", "not_admitted")),
    ],
)
def test_ballot_status(effective: bool, admitted: bool | None, refusal: str | None, expected: tuple) -> None:
    assert ballot_status(effective, admitted, refusal) == expected


# --- what totals reveal -------------------------------------------------------------------------


def test_equal_weights_identify_nobody() -> None:
    estimate = disclosure_estimate([Decimal(1)] * 6)
    assert (estimate.unique_weight, estimate.unique_pairs, estimate.pairs) == (0, 0, 15)
    assert not estimate.at_risk


def test_distinct_weights_identify_single_organisations_and_most_pairs() -> None:
    weights = [Decimal(w) for w in ("1.414214", "1.732051", "2.236068", "2.645751")]
    estimate = disclosure_estimate(weights)
    assert estimate.unique_weight == 4
    assert (estimate.pairs, estimate.unique_pairs) == (6, 6)
    assert estimate.at_risk and estimate.unique_pairs_percent == 100


def test_pairs_that_add_up_alike_do_not_identify() -> None:
    # 1 + 4 = 2 + 3: a total of 5 could be either pair.
    estimate = disclosure_estimate([Decimal(1), Decimal(2), Decimal(3), Decimal(4)])
    assert estimate.unique_pairs == 4  # 3, 4, 6 and 7 have one pair each; 5 has two


def test_a_roll_of_one_is_all_risk() -> None:
    assert disclosure_estimate([Decimal(3)]).unique_weight == 1


def totals(**choices: tuple[int, str]) -> dict[str, tuple[int, Decimal]]:
    base = {c: (0, Decimal(0)) for c in ("approve", "reject", "abstain")}
    base.update({c: (heads, Decimal(weight)) for c, (heads, weight) in choices.items()})
    return base


def test_a_total_that_only_one_organisation_can_make_is_revealed() -> None:
    participants = [Decimal(2), Decimal(3), Decimal(4)]
    answer = revealed_choices(participants, totals(approve=(2, "5"), reject=(1, "4")))
    assert answer == {"approve": True, "reject": True, "abstain": False}


def test_totals_with_several_possible_groups_are_not_revealed() -> None:
    participants = [Decimal(1)] * 4
    answer = revealed_choices(participants, totals(approve=(2, "2"), reject=(2, "2")))
    assert answer == {"approve": False, "reject": False, "abstain": False}


def test_a_unanimous_choice_is_revealed() -> None:
    answer = revealed_choices([Decimal(1)] * 3, totals(approve=(3, "3")))
    assert answer["approve"] is True


def test_when_all_options_but_one_are_revealed_so_is_the_last() -> None:
    participants = [Decimal(w) for w in ("1.1", "2.2", "3.3", "4.4", "5.5", "6.6", "7.7")]
    # approve: three organisations (not estimated alone); reject: the one of weight 7.7;
    # abstain: the pair 1.1 + 2.2 (3.3 alone would also make 3.3, but heads say two).
    answer = revealed_choices(participants, totals(approve=(4, "19.8"), reject=(1, "7.7"), abstain=(2, "3.3")))
    assert answer["reject"] is True and answer["abstain"] is True
    assert answer["approve"] is True


def test_large_groups_on_both_sides_are_not_estimated() -> None:
    participants = [Decimal(n) for n in range(1, 11)]
    answer = revealed_choices(participants, totals(approve=(5, "15"), reject=(5, "40")))
    assert answer["approve"] is None and answer["reject"] is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=50), min_size=2, max_size=12), st.data())
def test_revealed_means_exactly_one_group_fits(weights: list[int], data: st.DataObject) -> None:
    """Checked against brute force over every group of one or two organisations."""
    from itertools import combinations

    participants = [Decimal(w) for w in weights]
    size = data.draw(st.integers(min_value=1, max_value=min(2, len(weights) - 1)))
    chosen = data.draw(st.sets(st.integers(min_value=0, max_value=len(weights) - 1), min_size=size, max_size=size))
    weight = sum(weights[i] for i in chosen)
    rest = [i for i in range(len(weights)) if i not in chosen]
    answer = revealed_choices(
        participants,
        {
            "approve": (size, Decimal(weight)),
            "reject": (len(rest), Decimal(sum(weights[i] for i in rest))),
            "abstain": (0, Decimal(0)),
        },
    )
    groups = sum(1 for combo in combinations(range(len(weights)), size) if sum(weights[i] for i in combo) == weight)
    assert answer["approve"] == (groups == 1)
