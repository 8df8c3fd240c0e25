"""The database function that casts an online ballot on PostgreSQL, generated from the cast rules.

The confirm step of an online vote is the platform's busiest request, so on PostgreSQL its
checks and writes are one call to ``cast_online_ballot``. Its checks are not a second copy of the
rules: :func:`cast_online_ballot` compiles :data:`participa.voting.rules.CAST_RULES` (and
:func:`participa.voting.rules.covers` for the representation) into the function's text, and a
migration installs that text. Changing a cast rule therefore needs a migration that installs the
function again; a test compares the installed function with this module's output, so a rule
changed without one fails the suite.

What only the function does (the channel's own preconditions, not ballot rules): the person is
still signed in with this session, the consultation exists and is not a draft, and the confirm
form's token was not used before.
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from participa.core import db
from participa.voting import rules

SIGNATURE = "cast_online_ballot(integer, integer, integer, integer, integer[], text[], timestamp, text, text, text)"


def _sql(expression: sa.ColumnElement) -> str:
    return str(expression.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _column(name: str) -> sa.ColumnElement:
    return sa.literal_column(name)


def _authorised() -> str:
    """Whether one of the person's representation periods of the organisation covers p_now."""
    covered = db.sql_ops().holds(
        rules.covers(rules.Period(_column("r.approved_at"), _column("r.revoked_at")), _column("p_now"), db.sql_ops())
    )
    # Built from the rule's own compiled text, never from input.
    return (
        "EXISTS (SELECT 1 FROM representations r WHERE r.user_id = p_user "  # noqa: S608
        f"AND r.organisation_id = p_organisation AND {_sql(covered)})"
    )


def refusal_case() -> str:
    """The CASE that gives the code of the first cast rule the facts fail, NULL when all hold."""
    ops = db.sql_ops()
    facts = SimpleNamespace(
        phase=_column("c.phase"),
        roll_frozen_at=_column("c.roll_frozen_at"),
        opens=_column("c.voting_at"),
        closes=_column("c.voting_ends_at"),
        at=_column("p_now"),
        channel=sa.literal("online"),
        policy=_column("c.revote_policy"),
        on_roll=_column("c.on_roll"),
        authorised=_column("c.authorised"),
        complete=_column("complete"),
        choices_known=_column("choices_known"),
        voted=_column("c.voted"),
        voted_in_person=_column("c.voted_in_person"),
    )
    whens = [f"WHEN NOT {_sql(rule.holds(facts, ops))} THEN '{rule.code}'" for rule in rules.CAST_RULES]
    return "CASE " + " ".join(whens) + " END"


# The function's text, with the parts the rules give as {placeholders} (literal braces doubled).
_FUNCTION = """
CREATE FUNCTION cast_online_ballot(
    p_consultation integer, p_organisation integer, p_user integer, p_session_version integer,
    p_questions integer[], p_choices text[], p_now timestamp, p_receipt text, p_tracker text, p_submission text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c record;
    complete boolean;
    choices_known boolean;
    refusal text;
    superseded integer := 0;
BEGIN
    PERFORM 1 FROM ballots WHERE submission = p_submission;
    IF FOUND THEN
        RETURN 'duplicate';
    END IF;
    SELECT phase, voting_at, voting_ends_at, roll_frozen_at, revote_policy,
           EXISTS (SELECT 1 FROM users WHERE id = p_user AND active AND session_version = p_session_version)
             AS signed_in,
           (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM consultation_questions
             WHERE consultation_id = p_consultation) AS questions,
           EXISTS (SELECT 1 FROM roll_entries
                    WHERE consultation_id = p_consultation AND organisation_id = p_organisation) AS on_roll,
           {authorised} AS authorised,
           EXISTS (SELECT 1 FROM ballots
                    WHERE consultation_id = p_consultation AND organisation_id = p_organisation
                      AND channel = 'in_person') AS voted_in_person,
           EXISTS (SELECT 1 FROM votes
                    WHERE question_id = ANY (p_questions) AND organisation_id = p_organisation AND effective)
             AS voted
      INTO c FROM consultations WHERE id = p_consultation;
    IF NOT FOUND THEN
        PERFORM 1 FROM users WHERE id = p_user AND active AND session_version = p_session_version;
        RETURN CASE WHEN FOUND THEN 'not_found' ELSE 'signed_out' END;
    END IF;
    IF NOT c.signed_in THEN
        RETURN 'signed_out';
    END IF;
    IF c.phase = 'draft' THEN
        RETURN 'not_found';
    END IF;
    complete := c.questions IS NOT DISTINCT FROM
                  (SELECT coalesce(array_agg(q ORDER BY q), '{{}}') FROM unnest(p_questions) AS q)
                AND cardinality(p_questions) = cardinality(p_choices);
    choices_known := array_position(p_choices, NULL) IS NULL AND p_choices <@ ARRAY[{choices}];
    refusal := {refusal};
    IF refusal IS NOT NULL THEN
        RETURN refusal;
    END IF;
    IF c.voted THEN
        UPDATE votes SET effective = false, superseded_at = p_now
         WHERE question_id = ANY (p_questions) AND organisation_id = p_organisation AND effective;
        GET DIAGNOSTICS superseded = ROW_COUNT;
    END IF;
    WITH ballot AS (
        INSERT INTO ballots (consultation_id, organisation_id, cast_by_id, cast_at, channel, receipt_code, tracker,
                             submission)
             VALUES (p_consultation, p_organisation, p_user, p_now, 'online', p_receipt, p_tracker, p_submission)
          RETURNING id
    ), cast_votes AS (
        INSERT INTO votes (ballot_id, consultation_id, question_id, organisation_id, choice, effective)
             SELECT ballot.id, p_consultation, answer.question, p_organisation, answer.choice, true
               FROM ballot, unnest(p_questions, p_choices) AS answer(question, choice)
              ORDER BY answer.question
    )
    INSERT INTO audit_events (occurred_at, actor_id, action, object_type, object_id, payload)
         SELECT p_now, p_user, 'voting.ballot_cast', 'consultation', p_consultation::text,
                json_build_object('ballot', ballot.id, 'organisation', p_organisation, 'superseded', superseded)
           FROM ballot;
    RETURN 'ok';
END
$$
"""


def cast_online_ballot() -> str:
    """The ``CREATE FUNCTION`` statement of ``cast_online_ballot``: the channel's preconditions,
    the cast rules, then the writes (earlier effective votes superseded, the ballot, its votes,
    the audit event naming the ballot, never its code or its choice). Built from the rules and
    this module's text, never from input."""
    choices = ", ".join(f"'{choice}'" for choice in rules.CHOICES)
    return _FUNCTION.format(authorised=_authorised(), choices=choices, refusal=refusal_case())
