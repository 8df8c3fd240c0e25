"""participa.certification.rules: who may certify, what decisions lead to, certificate codes, a
certified question's consequence for its project."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participa.certification import rules
from participa.certification.rules import (
    CertificationError,
    Conflict,
    Decision,
    Outcome,
    PriorDecision,
    ProjectOutcome,
    Refusal,
)

SHA = "a" * 64
OTHER = "b" * 64


def conflicts(person: int, **kwargs: object) -> list[Conflict]:
    values: dict[str, object] = {"created_by_id": 1, "managers": [], "facilitators": [], "voters": []}
    values.update(kwargs)
    return rules.conflicts_of(person, **values)  # type: ignore[arg-type]


def test_a_certifier_with_no_part_in_the_consultation_has_no_conflict() -> None:
    assert conflicts(9, managers=[2, 3], facilitators=[4], voters=[5]) == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"created_by_id": 9}, [Conflict.MANAGED]),
        ({"managers": [9]}, [Conflict.MANAGED]),
        ({"facilitators": [9]}, [Conflict.FACILITATED]),
        ({"voters": [9]}, [Conflict.VOTED]),
        (
            {"created_by_id": 9, "facilitators": [9], "voters": [9]},
            [Conflict.MANAGED, Conflict.FACILITATED, Conflict.VOTED],
        ),
    ],
)
def test_managing_facilitating_or_voting_bars_a_certifier(kwargs: dict, expected: list[Conflict]) -> None:
    assert conflicts(9, **kwargs) == expected


def check(decision: Decision = Decision.APPROVE, reason: str | None = None, **kwargs: object) -> None:
    values: dict[str, object] = {"seen_sha256": SHA, "current_sha256": SHA, "prior": [], "conflicts": []}
    values.update(kwargs)
    rules.check_decision(7, decision, reason, **values)  # type: ignore[arg-type]


def refused(**kwargs: object) -> Refusal:
    with pytest.raises(CertificationError) as caught:
        check(**kwargs)
    return caught.value.code


def test_a_first_approval_of_the_result_seen_is_accepted() -> None:
    check()
    check(Decision.REFUSE, "El padrón tiene una organización disuelta.")


def test_no_result_no_decision() -> None:
    assert refused(current_sha256=None) == Refusal.NO_RESULT


def test_a_result_recomputed_while_the_page_was_open_is_not_decided_unseen() -> None:
    assert refused(seen_sha256=OTHER) == Refusal.STALE_RESULT


def test_the_same_person_cannot_decide_twice_in_a_round() -> None:
    assert refused(prior=[PriorDecision(7, Decision.APPROVE, SHA)]) == Refusal.ALREADY_DECIDED
    assert refused(prior=[PriorDecision(7, Decision.REFUSE, SHA)], decision=Decision.REFUSE) == Refusal.ALREADY_DECIDED


def test_a_conflict_is_refused_with_its_reasons() -> None:
    with pytest.raises(CertificationError) as caught:
        check(conflicts=[Conflict.MANAGED, Conflict.VOTED])
    assert caught.value.code == Refusal.CONFLICT
    assert caught.value.detail == "managed,voted"


@pytest.mark.parametrize("reason", [None, "", "   ", "mal", " corto  "])
def test_a_refusal_says_why(reason: str | None) -> None:
    assert refused(decision=Decision.REFUSE, reason=reason) == Refusal.REASON_TOO_SHORT


def test_an_approval_needs_no_reason() -> None:
    check(Decision.APPROVE, None)


def test_two_different_people_approving_the_same_result_certify_it() -> None:
    one = PriorDecision(1, Decision.APPROVE, SHA)
    assert rules.outcome([one], SHA) == Outcome.PENDING
    assert rules.outcome([one, PriorDecision(2, Decision.APPROVE, SHA)], SHA) == Outcome.CERTIFIED


def test_the_same_person_twice_does_not_make_two_approvals() -> None:
    one = PriorDecision(1, Decision.APPROVE, SHA)
    assert rules.outcome([one, one], SHA) == Outcome.PENDING


def test_approvals_of_another_result_do_not_count() -> None:
    decisions = [PriorDecision(1, Decision.APPROVE, OTHER), PriorDecision(2, Decision.APPROVE, SHA)]
    assert rules.outcome(decisions, SHA) == Outcome.PENDING


def test_one_refusal_sends_the_result_back_whatever_the_approvals() -> None:
    decisions = [
        PriorDecision(1, Decision.APPROVE, SHA),
        PriorDecision(2, Decision.APPROVE, SHA),
        PriorDecision(3, Decision.REFUSE, SHA),
    ]
    assert rules.outcome(decisions, SHA) == Outcome.RECOUNT
    assert rules.outcome([PriorDecision(3, Decision.REFUSE, SHA)], SHA) == Outcome.RECOUNT


def test_codes_are_two_groups_of_five_unambiguous_characters() -> None:
    codes = {rules.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert set(code.replace("-", "")) <= set(rules.ALPHABET)
        assert not set(code) & set("ILOU")


@given(st.text(alphabet=rules.ALPHABET, min_size=10, max_size=10))
def test_a_code_typed_loosely_reads_back_as_printed(raw: str) -> None:
    printed = f"{raw[:5]}-{raw[5:]}"
    assert rules.normalise_code(printed) == printed
    loose = " ".join([raw[:3].lower(), raw[3:]]).replace("0", "o").replace("1", "l")
    assert rules.normalise_code(loose) == printed


@pytest.mark.parametrize("text", [None, "", "ABCDE-1234", "ABCDE-123456", "ABCDE-1234U", "ABCDE_12345", "ÁBCDE-12345"])
def test_what_cannot_be_a_code_is_none(text: str | None) -> None:
    assert rules.normalise_code(text) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ({"binding": True, "verdict": "approved"}, ProjectOutcome.APPROVED),
        ({"binding": True, "verdict": "rejected"}, ProjectOutcome.REJECTED),
        ({"binding": False, "verdict": "approved"}, ProjectOutcome.CONSULTED),  # consultative level
        ({"binding": False, "verdict": "no_quorum"}, ProjectOutcome.CONSULTED),
        ({}, ProjectOutcome.CONSULTED),
    ],
)
def test_a_certified_question_moves_its_project(question: dict, expected: ProjectOutcome) -> None:
    assert rules.project_outcome(question) == expected


def test_every_check_must_match() -> None:
    good = rules.compare(rules.Check.RESULT, SHA, SHA)
    bad = rules.compare(rules.Check.ROLL, SHA, OTHER)
    missing = rules.compare(rules.Check.TRACKERS, SHA, None)
    assert good.ok and not bad.ok and not missing.ok and missing.found == ""
    assert rules.all_match([good])
    assert not rules.all_match([good, bad])
    assert not rules.all_match([])
