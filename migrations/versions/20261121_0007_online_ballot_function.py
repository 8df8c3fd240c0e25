"""online ballots in one round trip; receipts mailed by a worker

On PostgreSQL an online ballot is checked and written by one function call, so that a vote costs
the database one round trip instead of a dozen. Ballots remember when their receipt was mailed:
a worker mails the pending ones, the request no longer does.

Revision ID: 0007_online_ballot_function
Revises: 0006_votes_admitted
Create Date: 2026-11-21 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_online_ballot_function"
down_revision = "0006_votes_admitted"
branch_labels = None
depends_on = None

# The same checks, in the same order and with the same answers, as
# participa.voting.operations.cast_ballot (the SQLite path); the voting tests run on both
# databases. A change to either is a change to both, in a new revision.
CAST_ONLINE_BALLOT = """
CREATE FUNCTION cast_online_ballot(
    p_consultation integer, p_organisation integer, p_user integer, p_session_version integer,
    p_questions integer[], p_choices text[], p_now timestamp, p_receipt text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c record;
    entry record;
    superseded integer := 0;
    new_ballot bigint;
BEGIN
    SELECT phase, voting_at, voting_ends_at, roll_frozen_at, revote_policy,
           EXISTS (SELECT 1 FROM users WHERE id = p_user AND active AND session_version = p_session_version)
             AS signed_in,
           (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM consultation_questions
             WHERE consultation_id = p_consultation) AS questions
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
    -- Two ballots of one organisation take turns on its roll entry.
    SELECT EXISTS (SELECT 1 FROM representations WHERE user_id = p_user AND organisation_id = p_organisation
                    AND status = 'approved') AS authorised
      INTO entry FROM roll_entries
     WHERE consultation_id = p_consultation AND organisation_id = p_organisation FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_on_roll';
    END IF;
    IF NOT entry.authorised THEN
        RETURN 'not_authorised';
    END IF;
    IF c.questions IS DISTINCT FROM (SELECT coalesce(array_agg(q ORDER BY q), '{}') FROM unnest(p_questions) AS q)
       OR cardinality(p_questions) <> cardinality(p_choices) THEN
        RETURN 'incomplete';
    END IF;
    IF array_position(p_choices, NULL) IS NOT NULL OR NOT p_choices <@ ARRAY['approve', 'reject', 'abstain'] THEN
        RETURN 'bad_choice';
    END IF;
    -- Through the unique index of effective votes (question, organisation).
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
    INSERT INTO ballots (consultation_id, organisation_id, cast_by_id, cast_at, channel, receipt_code)
         VALUES (p_consultation, p_organisation, p_user, p_now, 'online', p_receipt)
      RETURNING id INTO new_ballot;
    INSERT INTO votes (ballot_id, consultation_id, question_id, organisation_id, choice, effective)
         SELECT new_ballot, p_consultation, answer.question, p_organisation, answer.choice, true
           FROM unnest(p_questions, p_choices) AS answer(question, choice)
          ORDER BY answer.question;
    -- The choice stays out of the audit log: ballots may be secret.
    INSERT INTO audit_events (occurred_at, actor_id, action, object_type, object_id, payload)
         VALUES (p_now, p_user, 'voting.ballot_cast', 'consultation', p_consultation::text,
                 json_build_object('organisation', p_organisation, 'receipt', p_receipt,
                                   'superseded', superseded));
    RETURN 'ok';
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        # Redundant beside ix_ballots_consultation_organisation, and one more write per ballot.
        batch_op.drop_index("ix_ballots_consultation_id")
        batch_op.add_column(sa.Column("receipt_mailed_at", sa.DateTime(), nullable=True))
    # Receipts of ballots cast before this revision were mailed in their request.
    op.execute("UPDATE ballots SET receipt_mailed_at = cast_at")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ballots_receipt_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("receipt_mailed_at IS NULL"),
            postgresql_where=sa.text("receipt_mailed_at IS NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CAST_ONLINE_BALLOT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS cast_online_ballot(integer, integer, integer, integer, integer[], "
            "text[], timestamp, text)"
        )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_ballots_receipt_pending",
            sqlite_where=sa.text("receipt_mailed_at IS NULL"),
            postgresql_where=sa.text("receipt_mailed_at IS NULL"),
        )
        batch_op.drop_column("receipt_mailed_at")
        batch_op.create_index("ix_ballots_consultation_id", ["consultation_id"], unique=False)
