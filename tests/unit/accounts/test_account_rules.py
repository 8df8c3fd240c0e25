"""participa.accounts.rules: second factor, password policy, e-mail normalisation, lockout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participa.accounts.rules import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    STAFF_ROLES,
    Role,
    locked_until,
    needs_second_factor,
    normalize_email,
    password_problem,
)

# --- needs_second_factor ---------------------------------------------------------------------


def test_representative_is_the_only_role_without_second_factor() -> None:
    assert set(Role) - STAFF_ROLES == {Role.REPRESENTATIVE}


@pytest.mark.parametrize(
    "role",
    ["municipal_staff", "facilitator", "curator", "manager", "certifier", "admin"],
)
def test_every_staff_role_needs_second_factor(role: str) -> None:
    assert needs_second_factor([role]) is True


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([], False),
        (["representative"], False),
        ([Role.REPRESENTATIVE], False),
        (["representative", "curator"], True),
        (["curator", "representative"], True),
        ([Role.ADMIN], True),
        (("facilitator",), True),
        ({"manager", "representative"}, True),
        (["unknown_role"], False),
        (["ADMIN"], False),  # role names are exact, lowercase
        (["admin "], False),
        ([""], False),
    ],
)
def test_needs_second_factor_when_any_role_is_staff(roles: object, expected: bool) -> None:
    assert needs_second_factor(roles) is expected  # type: ignore[arg-type]


def test_needs_second_factor_accepts_a_one_shot_iterator() -> None:
    assert needs_second_factor(iter(["representative", "admin"])) is True
    assert needs_second_factor(r for r in ["representative"]) is False


# --- password_problem ------------------------------------------------------------------------

GOOD = "caballo correcto batería grapa"


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", "too_short"),
        ("abcdefghi", "too_short"),  # 9 characters
        ("a" * (PASSWORD_MIN_LENGTH - 1), "too_short"),
        ("qz7-lupa-rio", None),  # 11 characters, not guessable
        ("tQ4-vn" + "x" * 194, None),  # exactly the maximum, 200
        ("abcd" * 50 + "e", "too_long"),  # 201
        ("x" * 10_000, "too_long"),
        (GOOD, None),
    ],
)
def test_password_problem_length_limits(password: str, expected: str | None) -> None:
    assert password_problem(password) == expected


def test_length_limits_are_ten_and_two_hundred() -> None:
    assert (PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH) == (10, 200)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("aaaaaaaaaa", "too_simple"),  # one character repeated
        ("AaAaAaAaAa", "too_simple"),  # case does not count as variety
        ("ababababab", "too_simple"),
        ("abcabcabca", "too_simple"),  # three distinct characters
        ("1111122222", "too_simple"),
        ("abcdabcdab", "guessable"),  # four distinct characters pass this rule, not the estimator
    ],
)
def test_password_problem_rejects_fewer_than_four_distinct_characters(password: str, expected: str | None) -> None:
    assert password_problem(password) == expected


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        ("mi correo maria.perez@example.cl", "maria.perez@example.cl", ""),
        ("MARIA.PEREZ@EXAMPLE.CL!!", "maria.perez@example.cl", ""),  # case-insensitive
        ("xx maria.perez@example.cl", "Maria.Perez@Example.CL", ""),
        ("clave-maria.perez-2025", "maria.perez@example.cl", ""),  # the local part
        ("clave-MARIA.PEREZ-2025", "maria.perez@example.cl", ""),
        ("soy maría josé y ya", "", "María José"),  # the name, case-insensitive
        ("pedrito1234!", "", "Pedr"),  # four characters is enough to count
        ("xx-juan-2025-xx", "juan@example.cl", ""),
    ],
)
def test_password_problem_rejects_email_local_part_or_name(password: str, email: str, name: str) -> None:
    assert password_problem(password, email=email, name=name) == "personal"


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        (GOOD, "maria.perez@example.cl", "María Pérez"),
        ("ana-y-su-clave-9", "ana@example.cl", "Ana"),  # under four characters: not checked
        ("jo-jo-jo-largo-1", "jo@example.cl", "Jo"),
        (GOOD, "", ""),
        ("perez-maria-2025", "maria.perez@example.cl", "María Pérez"),  # not contiguous
    ],
)
def test_password_problem_allows_passwords_without_personal_data(password: str, email: str, name: str) -> None:
    assert password_problem(password, email=email, name=name) is None


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("ana", "too_short"),  # short wins over personal
        ("ana" * 100, "too_long"),  # long wins over too simple and personal
        ("anaanaanaa", "too_simple"),  # simple wins over personal
    ],
)
def test_password_problem_reports_length_then_simplicity_then_personal(password: str, expected: str) -> None:
    assert password_problem(password, email="anaa@example.cl", name="anaa") == expected


@settings(deadline=None)  # the strength estimator may take a few hundred ms on odd Unicode
@given(st.text(min_size=PASSWORD_MIN_LENGTH, max_size=PASSWORD_MAX_LENGTH))
def test_password_problem_returns_a_known_reason_or_none(password: str) -> None:
    problem = password_problem(password, email="someone@example.cl", name="Some One")
    assert problem in {None, "too_simple", "personal", "guessable"}
    if len(set(password.lower())) < 4:
        assert problem == "too_simple"


@pytest.mark.parametrize(
    "guessable",
    [
        "1234567890",
        "password123",
        "qwertyuiop",
        "contraseña2024",
        "Colocolo1234",
        "santiago2026!",
        "abcdefghij",
        "juntadevecinos1",
        "0987654321",
    ],
)
def test_common_and_guessable_passwords_are_refused(guessable: str) -> None:
    assert password_problem(guessable) == "guessable"


# --- normalize_email -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("user@example.cl", "user@example.cl"),
        ("User@Example.CL", "user@example.cl"),
        ("  user@example.cl  ", "user@example.cl"),
        ("\tUSER@EXAMPLE.CL\n", "user@example.cl"),
        ("", ""),
        (None, ""),
        ("   ", ""),
    ],
)
def test_normalize_email_trims_and_lowercases(raw: str | None, expected: str) -> None:
    assert normalize_email(raw) == expected  # type: ignore[arg-type]


@given(st.text())
def test_normalize_email_is_idempotent(raw: str) -> None:
    once = normalize_email(raw)
    assert normalize_email(once) == once


# --- locked_until ----------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LOCKOUT = timedelta(minutes=15)
MAX = 5


def _minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def _locked(failures: list[datetime], now: datetime = NOW) -> datetime | None:
    return locked_until(failures, now=now, max_failures=MAX, lockout=LOCKOUT)


@pytest.mark.parametrize("count", [0, 1, 4])
def test_not_locked_below_threshold(count: int) -> None:
    assert _locked(_minutes_ago(*range(count))) is None


def test_locked_exactly_at_threshold_until_lockout_after_the_last_failure() -> None:
    failures = _minutes_ago(5, 4, 3, 2, 1)
    assert _locked(failures) == NOW - timedelta(minutes=1) + LOCKOUT


def test_locked_above_threshold_uses_the_latest_failure() -> None:
    failures = _minutes_ago(10, 9, 8, 7, 6, 5, 4, 3)
    assert _locked(failures) == NOW - timedelta(minutes=3) + LOCKOUT


def test_locked_until_does_not_depend_on_the_order_of_failures() -> None:
    failures = _minutes_ago(2, 5, 1, 4, 3)
    assert _locked(failures) == NOW - timedelta(minutes=1) + LOCKOUT
    assert _locked(list(reversed(failures))) == NOW - timedelta(minutes=1) + LOCKOUT


def test_failures_spread_wider_than_one_window_do_not_lock() -> None:
    # Four recent failures plus three old ones: no five of them fall within 15 minutes.
    failures = _minutes_ago(1, 2, 3, 4, 20, 40, 60 * 24)
    assert _locked(failures) is None


def test_five_failures_spanning_exactly_one_window_lock() -> None:
    assert _locked(_minutes_ago(1, 2, 3, 4, 16)) == NOW - timedelta(minutes=1) + LOCKOUT
    assert _locked(_minutes_ago(1, 2, 3, 4, 16.01)) is None


def test_lock_holds_until_just_before_it_expires_and_lifts_at_expiry() -> None:
    at = NOW - timedelta(minutes=1)
    failures = [at] * MAX
    until = at + LOCKOUT
    assert _locked(failures, now=until - timedelta(microseconds=1)) == until
    assert _locked(failures, now=until) is None
    assert _locked(failures, now=until + timedelta(hours=1)) is None


@pytest.mark.parametrize(
    ("max_failures", "count", "locked"),
    [(1, 1, True), (1, 0, False), (3, 2, False), (3, 3, True), (10, 9, False), (10, 10, True)],
)
def test_threshold_is_max_failures(max_failures: int, count: int, locked: bool) -> None:
    failures = [NOW - timedelta(seconds=s) for s in range(count)]
    result = locked_until(failures, now=NOW, max_failures=max_failures, lockout=LOCKOUT)
    assert (result is not None) is locked


@given(
    st.lists(st.integers(min_value=0, max_value=60 * 60), max_size=12),
    st.integers(min_value=1, max_value=6),
)
def test_locked_until_is_none_or_in_the_future_after_the_last_recent_failure(
    seconds_ago: list[int], max_failures: int
) -> None:
    failures = sorted(NOW - timedelta(seconds=s) for s in seconds_ago)
    result = locked_until(failures, now=NOW, max_failures=max_failures, lockout=LOCKOUT)
    # Oracle: every run of max_failures failures within one lockout period locks until one
    # lockout period after its last failure.
    ends = [
        failures[i] + LOCKOUT
        for i in range(max_failures - 1, len(failures))
        if failures[i] - failures[i - max_failures + 1] <= LOCKOUT
    ]
    expected = max(ends) if ends and max(ends) > NOW else None
    assert result == expected
    assert result is None or result > NOW


def test_lock_lasts_until_the_time_it_announced_when_failures_are_spread_out() -> None:
    t0 = NOW
    failures = [t0 + timedelta(minutes=m) for m in range(MAX)]  # t0, t0+1m, ..., t0+4m
    announced = _locked(failures, now=t0 + timedelta(minutes=4))
    assert announced == t0 + timedelta(minutes=4) + LOCKOUT  # t0 + 19m
    # Still before the announced time, no new attempts in between.
    assert _locked(failures, now=t0 + timedelta(minutes=16)) == announced
