"""two-person certification, and nothing that fed a certified result can change

- consultations.count_round: the count's round (a certifier's refusal sends the consultation back
  for a recount after a correction); consultations.certified_at: when it became binding.
- tally_results.count_round: one result per consultation and round, so a refused result is kept
  beside its recount.
- certification_decisions: each certifier's approval or refusal (with its reason) of one round;
  one per certifier and round.
- certifications: the certificate of a certified result (code, the three hashes, the audit block
  that covers the consultation's last event).
- commitment_evidence: what a commitment's record holds as evidence (a certified result, for now).
- Triggers, on PostgreSQL and SQLite: once a consultation is certified, its row (rules, schedule,
  phase), questions, roll entries, ballots (but for the receipt e-mail's mark), votes, vote
  admissibility decisions and results can be neither changed nor deleted, nor added to;
  certificates and decisions are append-only.

Revision ID: 0013_certification
Revises: 0012_nothing_lost
Create Date: 2026-12-01 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_certification"
down_revision = "0012_nothing_lost"
branch_labels = None
depends_on = None

# Tables whose rows belong to one consultation through their consultation_id.
BY_CONSULTATION = ("consultation_questions", "roll_entries", "ballots", "votes", "tally_results")
ROW_CHECKED = ("consultation_questions", "roll_entries", "tally_results")
STATEMENT_CHECKED = ("ballots", "votes")
APPEND_ONLY = ("certifications", "certification_decisions")
BALLOT_FROZEN = (
    "consultation_id",
    "organisation_id",
    "cast_by_id",
    "cast_at",
    "channel",
    "receipt_code",
    "tracker",
    "submission",
    "verdict",
    "refusal",
)

# Statement-level triggers with transition tables (one per event, as PostgreSQL requires): a
# close writes a million votes' verdicts in a few statements, and a row trigger would run a
# function and a lookup a million times. Each checks the statement's rows at once and refuses the
# whole statement if one of them belongs to a certified consultation.
PG_FUNCTIONS = """
CREATE FUNCTION refuse_row_if_certified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP <> 'DELETE' AND EXISTS (SELECT 1 FROM consultations
                                      WHERE id = NEW.consultation_id AND certified_at IS NOT NULL))
       OR (TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM consultations
                                         WHERE id = OLD.consultation_id AND certified_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'a consultation is certified: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION refuse_if_certified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM consultations c WHERE c.certified_at IS NOT NULL
                   AND c.id IN (SELECT n.consultation_id FROM changed_new n)) THEN
            RAISE EXCEPTION 'a consultation is certified: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM consultations c WHERE c.certified_at IS NOT NULL
                   AND c.id IN (SELECT o.consultation_id FROM changed_old o)) THEN
            RAISE EXCEPTION 'a consultation is certified: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

-- A ballot's receipt e-mail may still be marked sent after certification: an update is refused
-- only when it changes one of the frozen columns.
CREATE FUNCTION refuse_ballot_change_if_certified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Transition tables have no statistics: the old and new rows are joined on their id only
    -- (a hash join), and only when the statement touched a certified consultation at all.
    IF EXISTS (SELECT 1 FROM consultations c WHERE c.certified_at IS NOT NULL
               AND (c.id IN (SELECT o.consultation_id FROM changed_old o)
                    OR c.id IN (SELECT n.consultation_id FROM changed_new n))) THEN
        IF EXISTS (SELECT 1 FROM changed_old o JOIN changed_new n ON n.id = o.id
                   WHERE (o.@FROZEN_OLD@) IS DISTINCT FROM (n.@FROZEN_NEW@)
                   AND (o.consultation_id IN (SELECT id FROM consultations WHERE certified_at IS NOT NULL)
                        OR n.consultation_id IN (SELECT id FROM consultations WHERE certified_at IS NOT NULL))) THEN
            RAISE EXCEPTION 'a consultation is certified: UPDATE on ballots refused'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION refuse_vote_decision_if_certified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM consultations c JOIN votes v ON v.consultation_id = c.id
                   JOIN changed_new d ON d.subject_type = 'vote' AND d.subject_id = v.id
                   WHERE c.certified_at IS NOT NULL) THEN
            RAISE EXCEPTION 'the vote''s consultation is certified: % on admissibility_decisions refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM consultations c JOIN votes v ON v.consultation_id = c.id
                   JOIN changed_old d ON d.subject_type = 'vote' AND d.subject_id = v.id
                   WHERE c.certified_at IS NOT NULL) THEN
            RAISE EXCEPTION 'the vote''s consultation is certified: % on admissibility_decisions refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION refuse_certified_consultation_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.certified_at IS NOT NULL THEN
        RAISE EXCEPTION 'consultation % is certified: % refused', OLD.id, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION refuse_certification_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'certifications are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""
TRANSITIONS = {
    "INSERT": "REFERENCING NEW TABLE AS changed_new",
    "UPDATE": "REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new",
    "DELETE": "REFERENCING OLD TABLE AS changed_old",
}


def _statement_trigger(table: str, verb: str, function: str) -> None:
    op.execute(
        f"CREATE TRIGGER {table}_certified_{verb.lower()} AFTER {verb} ON {table} {TRANSITIONS[verb]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def _postgresql_triggers() -> None:
    frozen = ", ".join(BALLOT_FROZEN)
    op.execute(
        PG_FUNCTIONS.replace("@FROZEN_OLD@", frozen.replace(", ", ", o.")).replace(
            "@FROZEN_NEW@", frozen.replace(", ", ", n.")
        )
    )
    # Small tables: a row trigger, which refuses before a foreign key can answer instead.
    for table in ROW_CHECKED:
        op.execute(
            f"CREATE TRIGGER {table}_certified BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_row_if_certified()"
        )
    # Ballots and votes are written in bulk (a close updates a million votes): inserts and
    # updates are checked per statement; a delete, which never happens in bulk, per row, before a
    # foreign key could answer instead.
    for table in STATEMENT_CHECKED:
        _statement_trigger(table, "INSERT", "refuse_if_certified")
        _statement_trigger(
            table, "UPDATE", "refuse_ballot_change_if_certified" if table == "ballots" else "refuse_if_certified"
        )
        op.execute(
            f"CREATE TRIGGER {table}_certified_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_row_if_certified()"
        )
    for verb in ("INSERT", "UPDATE", "DELETE"):
        _statement_trigger("admissibility_decisions", verb, "refuse_vote_decision_if_certified")
    op.execute(
        "CREATE TRIGGER consultations_certified BEFORE UPDATE OR DELETE ON consultations "
        "FOR EACH ROW EXECUTE FUNCTION refuse_certified_consultation_change()"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_certification_change()"
        )


def _certified(alias: str) -> str:
    return f"EXISTS (SELECT 1 FROM consultations c WHERE c.id = {alias}.consultation_id AND c.certified_at IS NOT NULL)"


def _sqlite_triggers() -> None:
    def trigger(name: str, when: str, on: str, condition: str, message: str) -> None:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {when} ON {on} WHEN {condition} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )

    for table in BY_CONSULTATION:
        update = f"UPDATE OF {', '.join(BALLOT_FROZEN)}" if table == "ballots" else "UPDATE"
        trigger(
            f"{table}_certified_insert", "INSERT", table, _certified("NEW"), f"certified: INSERT on {table} refused"
        )
        trigger(
            f"{table}_certified_update",
            update,
            table,
            f"{_certified('OLD')} OR {_certified('NEW')}",
            f"certified: UPDATE on {table} refused",
        )
        trigger(
            f"{table}_certified_delete", "DELETE", table, _certified("OLD"), f"certified: DELETE on {table} refused"
        )
    vote_certified = (
        "EXISTS (SELECT 1 FROM votes v JOIN consultations c ON c.id = v.consultation_id "
        "WHERE v.id = {row}.subject_id AND c.certified_at IS NOT NULL) AND {row}.subject_type = 'vote'"
    )
    for verb, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
        trigger(
            f"admissibility_decisions_certified_{verb.lower()}",
            verb,
            "admissibility_decisions",
            vote_certified.format(row=row),
            f"certified: {verb} on admissibility_decisions refused",
        )
    trigger(
        "consultations_certified_update",
        "UPDATE",
        "consultations",
        "OLD.certified_at IS NOT NULL",
        "certified: UPDATE on consultations refused",
    )
    trigger(
        "consultations_certified_delete",
        "DELETE",
        "consultations",
        "OLD.certified_at IS NOT NULL",
        "certified: DELETE on consultations refused",
    )
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            trigger(f"{table}_no_{verb.lower()}", verb, table, "1", f"append-only: {verb} on {table} refused")


def upgrade() -> None:
    with op.batch_alter_table("consultations") as batch_op:
        batch_op.add_column(sa.Column("count_round", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("certified_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("tally_results") as batch_op:
        batch_op.add_column(sa.Column("count_round", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_constraint("uq_tally_results_consultation_id", type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_tally_results_consultation_id_count_round"), ["consultation_id", "count_round"]
        )
    op.create_table(
        "certification_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("count_round", sa.Integer(), nullable=False),
        sa.Column("certifier_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("decision IN ('approve', 'refuse')", name=op.f("ck_certification_decisions_decision_known")),
        sa.CheckConstraint(
            "decision = 'approve' OR length(reason) >= 10", name=op.f("ck_certification_decisions_refusal_has_reason")
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_certification_decisions_consultation_id_consultations"),
        ),
        sa.ForeignKeyConstraint(
            ["certifier_id"], ["users.id"], name=op.f("fk_certification_decisions_certifier_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_decisions")),
        sa.UniqueConstraint(
            "consultation_id",
            "count_round",
            "certifier_id",
            name=op.f("uq_certification_decisions_consultation_id_count_round_certifier_id"),
        ),
    )
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=11), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("roll_hash", sa.String(length=64), nullable=False),
        sa.Column("trackers_hash", sa.String(length=64), nullable=False),
        sa.Column("audit_block_id", sa.Integer(), nullable=False),
        sa.Column("audit_block_hash", sa.String(length=64), nullable=False),
        sa.Column("certified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_certifications_consultation_id_consultations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_certifications_consultation_id")),
        sa.UniqueConstraint("code", name=op.f("uq_certifications_code")),
    )
    op.create_table(
        "commitment_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("certification_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitments.id"], name=op.f("fk_commitment_evidence_commitment_id_commitments")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_commitment_evidence_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_commitment_evidence_certification_id_certifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_evidence")),
    )
    op.create_index("ix_commitment_evidence_commitment_id", "commitment_evidence", ["commitment_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ROW_CHECKED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_certified ON {table}")
        for table in (*STATEMENT_CHECKED, "admissibility_decisions"):
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_certified_{verb} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS consultations_certified ON consultations")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        for function in (
            "refuse_row_if_certified",
            "refuse_if_certified",
            "refuse_ballot_change_if_certified",
            "refuse_vote_decision_if_certified",
            "refuse_certified_consultation_change",
            "refuse_certification_change",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        names = [
            row[0]
            for row in bind.execute(
                sa.text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE '%certified%' "
                    "OR name LIKE 'certification%')"
                )
            )
        ]
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_commitment_evidence_commitment_id", table_name="commitment_evidence")
    op.drop_table("commitment_evidence")
    op.drop_table("certifications")
    op.drop_table("certification_decisions")
    # One result per consultation again: the latest round's.
    op.execute(
        "DELETE FROM tally_results WHERE count_round < (SELECT max(t.count_round) FROM tally_results t "
        "WHERE t.consultation_id = tally_results.consultation_id)"
    )
    with op.batch_alter_table("tally_results") as batch_op:
        batch_op.drop_constraint("uq_tally_results_consultation_id_count_round", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_tally_results_consultation_id"), ["consultation_id"])
        batch_op.drop_column("count_round")
    with op.batch_alter_table("consultations") as batch_op:
        batch_op.drop_column("certified_at")
        batch_op.drop_column("count_round")
