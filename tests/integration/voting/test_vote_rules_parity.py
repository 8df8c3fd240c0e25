"""Rules written once and evaluated two ways, on this leg's database, missing values (NULL)
included: the vote admissibility rules (participa.voting.rules.VOTE_RULES, covers), in Python by
vote_verdicts and in SQL by judge_votes at close; the cast rules (CAST_RULES), in Python by
cast_refusal and in the CASE compiled into the database function cast_online_ballot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from participa.core import db
from participa.core.db import UTCDateTime
from participa.voting import rules, sql

OPENS = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CLOSES = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)
# The instants where a comparison can go either way, and some in between.
INSTANTS = [
    OPENS - timedelta(days=1),
    OPENS - timedelta(microseconds=1),
    OPENS,
    OPENS + timedelta(microseconds=1),
    OPENS + timedelta(days=3),
    CLOSES - timedelta(microseconds=1),
    CLOSES,
    CLOSES + timedelta(seconds=1),
]
CHECKS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

facts_rows = st.lists(
    st.fixed_dictionaries(
        {
            "effective": st.booleans(),
            "cast_at": st.sampled_from(INSTANTS),
            "channel": st.sampled_from(["online", "in_person"]),
            "on_roll": st.booleans(),
            "authorised": st.booleans(),
            "in_person_conflict": st.booleans(),
        }
    ),
    min_size=1,
    max_size=25,
)
period_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(INSTANTS)),
        st.one_of(st.none(), st.sampled_from(INSTANTS)),
        st.sampled_from(INSTANTS),
    ),
    min_size=1,
    max_size=25,
)


def as_rows(values: list[dict[str, object]], types: dict[str, sa.types.TypeEngine]) -> sa.Subquery:
    """The rows as a derived table (a UNION ALL of one-row SELECTs: both databases read it)."""
    selects = [
        sa.select(
            sa.literal(i).label("n"), *(sa.literal(row[name], type_).label(name) for name, type_ in types.items())
        )
        for i, row in enumerate(values)
    ]
    return sa.union_all(*selects).subquery("facts")


@CHECKS
@given(rows=facts_rows)
def test_every_vote_rule_gives_the_same_verdict_in_python_and_in_sql(session, rows) -> None:
    types = {
        "effective": sa.Boolean(),
        "cast_at": UTCDateTime(),
        "channel": sa.String(),
        "on_roll": sa.Boolean(),
        "authorised": sa.Boolean(),
        "in_person_conflict": sa.Boolean(),
    }
    table = as_rows(rows, types)
    window = rules.Window(
        sa.bindparam("opens", OPENS, type_=UTCDateTime()), sa.bindparam("closes", CLOSES, type_=UTCDateTime())
    )
    ops = db.sql_ops()
    query = sa.select(table.c.n, *(rule.holds(table.c, window, ops) for rule in rules.VOTE_RULES)).order_by(table.c.n)
    in_sql = [[bool(ok) for ok in row[1:]] for row in session.execute(query)]
    in_python = [
        [
            verdict.ok
            for verdict in rules.vote_verdicts(
                rules.VoteFacts(vote_id=i, organisation_id=1, question_id=1, **row),
                voting_at=OPENS,
                voting_ends_at=CLOSES,
            )
        ]
        for i, row in enumerate(rows)
    ]
    assert in_sql == in_python


@CHECKS
@given(rows=period_rows)
def test_a_period_covers_a_moment_the_same_in_python_and_in_sql_missing_dates_included(session, rows) -> None:
    values = [{"approved_at": a, "revoked_at": r, "moment": m} for a, r, m in rows]
    table = as_rows(values, {"approved_at": UTCDateTime(), "revoked_at": UTCDateTime(), "moment": UTCDateTime()})
    ops = db.sql_ops()
    covered = ops.holds(rules.covers(rules.Period(table.c.approved_at, table.c.revoked_at), table.c.moment, ops))
    in_sql = [bool(ok) for _n, ok in session.execute(sa.select(table.c.n, covered).order_by(table.c.n))]
    in_python = [rules.authorised_at([(a, r)], m) for a, r, m in rows]
    assert in_sql == in_python


def test_the_rules_are_the_ones_the_design_names_in_their_order() -> None:
    assert [(rule.name, rule.reason) for rule in rules.VOTE_RULES] == [
        ("in_person_precedence", "overridden_in_person"),
        ("effective", "superseded"),
        ("within_window", "outside_window"),
        ("on_roll", "not_on_roll"),
        ("authorised", "not_authorised"),
    ]


# --- the cast rules: the Python path and the database function's CASE -------------------------

cast_rows = st.lists(
    st.fixed_dictionaries(
        {
            "phase": st.sampled_from(["voting", "counting", "proposals"]),
            "roll_frozen_at": st.one_of(st.none(), st.just(OPENS - timedelta(hours=1))),
            "at": st.sampled_from(INSTANTS),
            "channel": st.sampled_from(["online", "in_person"]),
            "policy": st.sampled_from(["last", "first"]),
            "on_roll": st.booleans(),
            "authorised": st.booleans(),
            "complete": st.booleans(),
            "choices_known": st.booleans(),
            "voted": st.booleans(),
            "voted_in_person": st.booleans(),
        }
    ),
    min_size=1,
    max_size=25,
)


@CHECKS
@given(rows=cast_rows)
def test_every_cast_rule_refuses_the_same_in_python_and_in_sql(session, rows) -> None:
    """The CASE compiled into cast_online_ballot (participa.voting.sql) gives, for any facts, the
    refusal that cast_refusal gives in Python (the check_ballot path and the in-person sync)."""
    types = {
        "phase": sa.String(),
        "roll_frozen_at": UTCDateTime(),
        "at": UTCDateTime(),
        "channel": sa.String(),
        "policy": sa.String(),
        "on_roll": sa.Boolean(),
        "authorised": sa.Boolean(),
        "complete": sa.Boolean(),
        "choices_known": sa.Boolean(),
        "voted": sa.Boolean(),
        "voted_in_person": sa.Boolean(),
    }
    table = as_rows(rows, types)
    ops = db.sql_ops()
    facts = SimpleNamespace(
        **{name: table.c[name] for name in types},
        opens=sa.bindparam("opens", OPENS, type_=UTCDateTime()),
        closes=sa.bindparam("closes", CLOSES, type_=UTCDateTime()),
    )
    refusal = sa.case(*((sa.not_(rule.holds(facts, ops)), rule.code) for rule in rules.CAST_RULES))
    in_sql = [code for _n, code in session.execute(sa.select(table.c.n, refusal).order_by(table.c.n))]
    in_python = [rules.cast_refusal(SimpleNamespace(**row, opens=OPENS, closes=CLOSES)) for row in rows]
    assert in_sql == in_python


def test_the_cast_rules_are_the_ones_the_design_names_in_their_order() -> None:
    assert [rule.code for rule in rules.CAST_RULES] == [
        "closed",
        "not_on_roll",
        "not_authorised",
        "incomplete",
        "bad_choice",
        "in_person_recorded",
        "already_voted",
    ]


def test_the_installed_online_ballot_function_is_the_one_generated_from_the_rules(session) -> None:
    """A cast rule changed without a migration that installs the function again fails here."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the database function exists on PostgreSQL only")
    installed = session.execute(sa.text("SELECT prosrc FROM pg_proc WHERE proname = 'cast_online_ballot'")).scalar_one()
    generated = sql.cast_online_ballot()
    assert installed.strip() == generated.split("$$")[1].strip()
