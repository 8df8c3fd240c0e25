"""secret ballot and public recount: trackers, representation history, refusal reasons, frozen roll names

- ballots.tracker: SHA-256 of the receipt code, the ballot's public name (the code itself is the
  organisation's secret and is never listed); filled in for existing ballots.
- representations.approved_at / revoked_at: a vote counts when it was cast while its representative
  was authorised, whatever happened later. Filled in from the audit log's approval events; an
  approval with no such event takes its decision time (for a revoked one, its revocation time:
  nothing cast under it counted before this revision either).
- admissibility_decisions.reason and votes.refusal: the first rule a refused subject fails, so that
  public tables show why a vote was not counted; filled in from the recorded verdicts.
- roll_entries.rut / legal_name / comuna_cut: the organisation as it stood when the roll was frozen
  (the public roll never changes with the registry); filled in from the registry.
- tally_results.receipts_hash becomes trackers_hash (results computed before this revision keep the
  hash they published).
- consultations.secrecy_k goes: a secret ballot publishes no breakdown by weight at all.
- cast_online_ballot takes the tracker and no longer writes the receipt code into the audit log.

Revision ID: 0009_secret_ballot
Revises: 0008_leaner_online_ballot
Create Date: 2026-11-30 22:00:00
"""

import hashlib
import importlib.util
import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0009_secret_ballot"
down_revision = "0008_leaner_online_ballot"
branch_labels = None
depends_on = None

# The same checks, in the same order and with the same answers, as revision 0008's function and
# participa.voting.operations.cast_ballot; the ballot gets its tracker, and the audit event names
# the ballot, never its code or its choice.
CAST_ONLINE_BALLOT = """
CREATE FUNCTION cast_online_ballot(
    p_consultation integer, p_organisation integer, p_user integer, p_session_version integer,
    p_questions integer[], p_choices text[], p_now timestamp, p_receipt text, p_tracker text
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
    WITH ballot AS (
        INSERT INTO ballots (consultation_id, organisation_id, cast_by_id, cast_at, channel, receipt_code, tracker)
             VALUES (p_consultation, p_organisation, p_user, p_now, 'online', p_receipt, p_tracker)
          RETURNING id
    ), cast_votes AS (
        INSERT INTO votes (ballot_id, consultation_id, question_id, organisation_id, choice, effective)
             SELECT ballot.id, p_consultation, answer.question, p_organisation, answer.choice, true
               FROM ballot, unnest(p_questions, p_choices) AS answer(question, choice)
              ORDER BY answer.question
    )
    INSERT INTO audit_events (occurred_at, actor_id, action, object_type, object_id, payload)
         SELECT p_now, p_user, 'voting.ballot_cast', 'consultation', p_consultation::text,
                json_build_object('organisation', p_organisation, 'ballot', ballot.id, 'superseded', superseded)
           FROM ballot;
    RETURN 'ok';
END
$$
"""
OLD_SIGNATURE = "cast_online_ballot(integer, integer, integer, integer, integer[], text[], timestamp, text)"
NEW_SIGNATURE = "cast_online_ballot(integer, integer, integer, integer, integer[], text[], timestamp, text, text)"


def _revision_0008_function() -> str:
    path = next(Path(__file__).parent.glob("*_0008_leaner_online_ballot.py"))
    spec = importlib.util.spec_from_file_location("participa_revision_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CAST_ONLINE_BALLOT


def _first_reason(verdicts) -> str | None:
    if isinstance(verdicts, str):
        verdicts = json.loads(verdicts)
    for verdict in verdicts or []:
        if not verdict.get("ok"):
            return verdict.get("reason") or verdict.get("rule")
    return None


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"

    # Representation history.
    with op.batch_alter_table("representations") as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
    approvals = dict(
        bind.execute(
            sa.text(
                "SELECT object_id, min(occurred_at) FROM audit_events "
                "WHERE action = 'registry.representation_approved' GROUP BY object_id"
            )
        ).all()
    )
    for rep_id, status, decided_at in bind.execute(
        sa.text("SELECT id, status, decided_at FROM representations WHERE status IN ('approved', 'revoked')")
    ).all():
        approved_at = approvals.get(str(rep_id)) or decided_at
        bind.execute(
            sa.text("UPDATE representations SET approved_at = :a, revoked_at = :r WHERE id = :id"),
            {"a": approved_at, "r": decided_at if status == "revoked" else None, "id": rep_id},
        )
    with op.batch_alter_table("representations") as batch_op:
        batch_op.create_check_constraint(
            "approval_time_kept", "status NOT IN ('approved', 'revoked') OR approved_at IS NOT NULL"
        )
        batch_op.create_check_constraint("revocation_time_kept", "status <> 'revoked' OR revoked_at IS NOT NULL")

    # Trackers.
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.add_column(sa.Column("tracker", sa.String(length=64), nullable=True))
    for ballot_id, code in bind.execute(sa.text("SELECT id, receipt_code FROM ballots")).all():
        bind.execute(
            sa.text("UPDATE ballots SET tracker = :t WHERE id = :id"),
            {"t": hashlib.sha256(code.encode("utf-8")).hexdigest(), "id": ballot_id},
        )
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.alter_column("tracker", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_ballots_tracker"), ["tracker"])

    # Refusal reasons.
    with op.batch_alter_table("admissibility_decisions") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=30), nullable=True))
    with op.batch_alter_table("votes") as batch_op:
        batch_op.add_column(sa.Column("refusal", sa.String(length=30), nullable=True))
    refused = bind.execute(
        sa.text("SELECT id, subject_type, subject_id, run, verdicts FROM admissibility_decisions WHERE NOT admissible")
    ).all()
    for decision_id, subject_type, subject_id, run, verdicts in refused:
        reason = _first_reason(verdicts)
        bind.execute(
            sa.text("UPDATE admissibility_decisions SET reason = :r WHERE id = :id"), {"r": reason, "id": decision_id}
        )
        if subject_type == "vote" and run.startswith("close-"):
            bind.execute(sa.text("UPDATE votes SET refusal = :r WHERE id = :id"), {"r": reason, "id": subject_id})

    # The roll as frozen.
    with op.batch_alter_table("roll_entries") as batch_op:
        batch_op.add_column(sa.Column("rut", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("legal_name", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("comuna_cut", sa.Integer(), nullable=True))
    for column in ("rut", "legal_name", "comuna_cut"):
        bind.execute(
            sa.text(
                f"UPDATE roll_entries SET {column} = "
                f"(SELECT o.{column} FROM organisations o WHERE o.id = roll_entries.organisation_id)"
            )
        )
    with op.batch_alter_table("roll_entries") as batch_op:
        batch_op.alter_column("rut", existing_type=sa.String(length=12), nullable=False)
        batch_op.alter_column("legal_name", existing_type=sa.String(length=250), nullable=False)
        batch_op.alter_column("comuna_cut", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_roll_entries_comuna_cut_comunas"), "comunas", ["comuna_cut"], ["cut"]
        )

    with op.batch_alter_table("tally_results") as batch_op:
        batch_op.alter_column("receipts_hash", new_column_name="trackers_hash", existing_type=sa.String(length=64))
    with op.batch_alter_table("consultations") as batch_op:
        batch_op.drop_column("secrecy_k")

    if postgresql:
        op.execute(f"DROP FUNCTION {OLD_SIGNATURE}")
        op.execute(CAST_ONLINE_BALLOT)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {NEW_SIGNATURE}")
        op.execute(_revision_0008_function())
    with op.batch_alter_table("consultations") as batch_op:
        batch_op.add_column(sa.Column("secrecy_k", sa.Integer(), nullable=False, server_default="5"))
    with op.batch_alter_table("consultations") as batch_op:
        batch_op.alter_column("secrecy_k", existing_type=sa.Integer(), server_default=None)
    with op.batch_alter_table("tally_results") as batch_op:
        batch_op.alter_column("trackers_hash", new_column_name="receipts_hash", existing_type=sa.String(length=64))
    with op.batch_alter_table("roll_entries") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_roll_entries_comuna_cut_comunas"), type_="foreignkey")
        batch_op.drop_column("comuna_cut")
        batch_op.drop_column("legal_name")
        batch_op.drop_column("rut")
    with op.batch_alter_table("votes") as batch_op:
        batch_op.drop_column("refusal")
    with op.batch_alter_table("admissibility_decisions") as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ballots_tracker"), type_="unique")
        batch_op.drop_column("tracker")
    with op.batch_alter_table("representations") as batch_op:
        batch_op.drop_constraint("revocation_time_kept", type_="check")
        batch_op.drop_constraint("approval_time_kept", type_="check")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("approved_at")
