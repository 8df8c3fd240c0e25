"""In-person session rules as plain functions (issue #13): the window decides, never the device."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from participa.facilitation import rules

STARTS = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=3)


@pytest.mark.parametrize(
    ("received", "counted", "late"),
    [
        (STARTS + timedelta(hours=1), STARTS + timedelta(hours=1), False),
        (STARTS - timedelta(minutes=10), STARTS, False),  # a tablet opened early
        (ENDS, ENDS - timedelta(microseconds=1), True),
        (ENDS + timedelta(hours=5), ENDS - timedelta(microseconds=1), True),
    ],
)
def test_a_vote_counts_at_the_servers_moment_inside_the_sessions_window(received, counted, late) -> None:
    assert rules.moment_of(received, STARTS, ENDS) == counted
    assert STARTS <= rules.moment_of(received, STARTS, ENDS) < ENDS
    assert rules.is_late(received, ENDS) is late


def test_a_sync_is_refused_when_revoked_not_open_or_after_the_grace() -> None:
    assert rules.sync_refusal(rules.OPEN, ENDS + rules.SYNC_GRACE - timedelta(seconds=1), ENDS) is None
    assert rules.sync_refusal(rules.OPEN, ENDS + rules.SYNC_GRACE, ENDS) == "too_late"
    assert rules.sync_refusal(rules.REVOKED, STARTS, ENDS) == "revoked"
    assert rules.sync_refusal(rules.CLOSED, STARTS, ENDS) == "not_open"
    assert rules.sync_refusal(rules.PLANNED, STARTS, ENDS) == "not_open"


def test_a_sessions_state_follows_its_opening_revocation_and_closing() -> None:
    assert rules.session_state(None, None, None) == rules.PLANNED
    assert rules.session_state(STARTS, None, None) == rules.OPEN
    assert rules.session_state(STARTS, STARTS, None) == rules.REVOKED
    assert rules.session_state(STARTS, None, ENDS) == rules.CLOSED


def test_a_session_opens_from_some_hours_before_until_its_end_once() -> None:
    assert rules.may_open(rules.PLANNED, STARTS - rules.OPEN_AHEAD, STARTS, ENDS) is None
    assert rules.may_open(rules.PLANNED, STARTS - rules.OPEN_AHEAD - timedelta(seconds=1), STARTS, ENDS) == "too_early"
    assert rules.may_open(rules.PLANNED, ENDS, STARTS, ENDS) == "over"
    assert rules.may_open(rules.OPEN, STARTS, STARTS, ENDS) == "already_open"
    assert rules.may_open(rules.REVOKED, STARTS, STARTS, ENDS) is None  # on another tablet
    assert rules.may_open(rules.CLOSED, STARTS, STARTS, ENDS) == "closed"


def test_a_session_is_planned_in_order_inside_the_voting_window() -> None:
    voting = (STARTS - timedelta(days=1), ENDS + timedelta(days=1))
    assert rules.plan_problems(STARTS, ENDS, *voting) == []
    assert rules.plan_problems(ENDS, STARTS, *voting) == ["window_order"]
    assert rules.plan_problems(STARTS, ENDS + timedelta(days=2), *voting) == ["outside_voting"]
    assert rules.plan_problems(voting[0] - timedelta(seconds=1), ENDS, *voting) == ["outside_voting"]


def test_the_receipt_is_a_keyed_hash_of_the_ballot_printed_like_an_online_receipt() -> None:
    key = rules.receipt_key("secret", 7, "salt")
    message = rules.ballot_message(7, "0b5c2b52-6d51-4b1c-9a53-6f5bd4d6a0b9", 12, {20: "reject", 3: "approve"})
    assert message == "7|0b5c2b52-6d51-4b1c-9a53-6f5bd4d6a0b9|12|3=approve;20=reject"
    code = rules.receipt_code(key, message)
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code)
    assert rules.receipt_code(key, message.replace("reject", "abstain")) != code
    assert rules.receipt_code(rules.receipt_key("other secret", 7, "salt"), message) != code
    assert rules.receipt_key("secret", 7, "new salt") != key  # a new opening, a new key


def test_the_content_hash_ignores_key_order_but_not_values() -> None:
    item = {"uuid": "u", "kind": "vote", "answers": {"1": "approve"}, "seq": 3}
    same = {"seq": 3, "answers": {"1": "approve"}, "kind": "vote", "uuid": "u"}
    assert rules.content_sha256(item) == rules.content_sha256(same)
    assert rules.content_sha256({**item, "seq": 4}) != rules.content_sha256(item)


def test_a_ruts_hash_depends_on_the_sessions_salt() -> None:
    assert rules.rut_hash("a", "12345678-5") != rules.rut_hash("b", "12345678-5")
    assert len(rules.rut_hash("a", "12345678-5")) == 64


def test_the_acta_adds_up_only_when_every_recorded_vote_was_stored_or_refused() -> None:
    counts = rules.ActaCounts(organisations=3, representatives=2, recorded=5, stored=3, refused={"not_on_roll": 2})
    assert (counts.refused_total, counts.adds_up, counts.missing) == (2, True, 0)
    short = rules.ActaCounts(organisations=3, representatives=2, recorded=7, stored=3, refused={"not_on_roll": 2})
    assert (short.adds_up, short.missing) == (False, 2)
    acta = rules.acta_record(short, session={"session": 1}, signed_by="F", signed_at=ENDS)
    assert acta["votes"]["missing"] == 2 and acta["votes"]["adds_up"] is False
