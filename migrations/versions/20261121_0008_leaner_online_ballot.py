"""online ballots: every check in one statement, no roll-entry lock, one statement for the writes

The function of revision 0007 ran six statements per ballot: the consultation, the roll entry
locked FOR UPDATE, an UPDATE of earlier votes that found nothing for a first ballot, then three
INSERTs. Now the checks are one statement, which also says whether the organisation already has
a ballot (so a first ballot skips the UPDATE), and the ballot, its votes and its audit event are
written by one statement. The roll entry is no longer locked: the unique index of effective
votes already refuses a second effective vote, and a ballot that loses that race is refused as
'concurrent' (see participa.voting.operations.cast_online). Same checks, same order, same answers.

Revision ID: 0008_leaner_online_ballot
Revises: 0007_online_ballot_function
Create Date: 2026-11-21 10:00:00
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0008_leaner_online_ballot"
down_revision = "0007_online_ballot_function"
branch_labels = None
depends_on = None

# The same checks, in the same order and with the same answers, as
# participa.voting.operations.cast_ballot (the SQLite path); the voting tests run on both
# databases. A change to either is a change to both, in a new revision.
CAST_ONLINE_BALLOT = """
CREATE OR REPLACE FUNCTION cast_online_ballot(
    p_consultation integer, p_organisation integer, p_user integer, p_session_version integer,
    p_questions integer[], p_choices text[], p_now timestamp, p_receipt text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c record;
    superseded integer := 0;
BEGIN
    SELECT phase, voting_at, voting_ends_at, roll_frozen_at, revote_policy,
           EXISTS (SELECT 1 FROM users WHERE id = p_user AND active AND session_version = p_session_version)
             AS signed_in,
           (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM consultation_questions
             WHERE consultation_id = p_consultation) AS questions,
           EXISTS (SELECT 1 FROM roll_entries
                    WHERE consultation_id = p_consultation AND organisation_id = p_organisation) AS on_roll,
           EXISTS (SELECT 1 FROM representations
                    WHERE user_id = p_user AND organisation_id = p_organisation AND status = 'approved')
             AS authorised,
           EXISTS (SELECT 1 FROM ballots
                    WHERE consultation_id = p_consultation AND organisation_id = p_organisation) AS voted_before
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
    IF c.phase <> 'voting' OR c.roll_frozen_at IS NULL
       OR NOT (c.voting_at <= p_now AND p_now < c.voting_ends_at) THEN
        RETURN 'closed';
    END IF;
    IF NOT c.on_roll THEN
        RETURN 'not_on_roll';
    END IF;
    IF NOT c.authorised THEN
        RETURN 'not_authorised';
    END IF;
    IF c.questions IS DISTINCT FROM (SELECT coalesce(array_agg(q ORDER BY q), '{}') FROM unnest(p_questions) AS q)
       OR cardinality(p_questions) <> cardinality(p_choices) THEN
        RETURN 'incomplete';
    END IF;
    IF array_position(p_choices, NULL) IS NOT NULL OR NOT p_choices <@ ARRAY['approve', 'reject', 'abstain'] THEN
        RETURN 'bad_choice';
    END IF;
    -- Earlier votes, through the unique index of effective votes (question, organisation). A
    -- ballot committed by someone else since the check above makes the INSERT below fail on
    -- that index: the caller answers 'concurrent'.
    IF c.voted_before THEN
        IF c.revote_policy = 'first' THEN
            PERFORM 1 FROM votes
              WHERE question_id = ANY (p_questions) AND organisation_id = p_organisation AND effective;
            IF FOUND THEN
                RETURN 'already_voted';
            END IF;
        ELSE
            UPDATE votes SET effective = false, superseded_at = p_now
             WHERE question_id = ANY (p_questions) AND organisation_id = p_organisation AND effective;
            GET DIAGNOSTICS superseded = ROW_COUNT;
        END IF;
    END IF;
    -- The choice stays out of the audit log: ballots may be secret.
    WITH ballot AS (
        INSERT INTO ballots (consultation_id, organisation_id, cast_by_id, cast_at, channel, receipt_code)
             VALUES (p_consultation, p_organisation, p_user, p_now, 'online', p_receipt)
          RETURNING id
    ), cast_votes AS (
        INSERT INTO votes (ballot_id, consultation_id, question_id, organisation_id, choice, effective)
             SELECT ballot.id, p_consultation, answer.question, p_organisation, answer.choice, true
               FROM ballot, unnest(p_questions, p_choices) AS answer(question, choice)
              ORDER BY answer.question
    )
    INSERT INTO audit_events (occurred_at, actor_id, action, object_type, object_id, payload)
         VALUES (p_now, p_user, 'voting.ballot_cast', 'consultation', p_consultation::text,
                 json_build_object('organisation', p_organisation, 'receipt', p_receipt,
                                   'superseded', superseded));
    RETURN 'ok';
END
$$
"""


def _previous_function() -> str:
    """The function as revision 0007 created it (its module sits beside this one)."""
    path = next(Path(__file__).parent.glob("*_0007_online_ballot_function.py"))
    spec = importlib.util.spec_from_file_location("participa_revision_0007", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CAST_ONLINE_BALLOT.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CAST_ONLINE_BALLOT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_previous_function())
