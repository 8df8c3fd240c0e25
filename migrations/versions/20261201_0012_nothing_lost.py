"""nothing lost on faults: a task outbox, a mail queue, one ballot per confirmation

- task_outbox: tasks asked for by a change are written in its transaction and published after
  the commit, or by a sweeper once the broker is back (participa/core/outbox.py).
- mail_messages: each message is written in the transaction that asked for it and marked sent
  only once delivered (participa/mail).
- ballots.verdict / refusal: each ballot's verdict copied at close (the trackers list reads the
  ballots alone instead of grouping every vote); filled in for closed consultations.
- ballots.submission: the confirm form's one-time token; cast_online_ballot answers 'duplicate'
  for a token already used, so a double click or a retried request casts one ballot. The function
  is revision 0009's with that one check first and the token stored.

Revision ID: 0012_nothing_lost
Revises: 0011_analyze_votes
Create Date: 2026-12-01 01:00:00
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0012_nothing_lost"
down_revision = "0011_analyze_votes"
branch_labels = None
depends_on = None

SIGNATURE_0009 = "cast_online_ballot(integer, integer, integer, integer, integer[], text[], timestamp, text, text)"
SIGNATURE = "cast_online_ballot(integer, integer, integer, integer, integer[], text[], timestamp, text, text, text)"


def _revision_0009():
    path = next(Path(__file__).parent.glob("*_0009_secret_ballot_public_recount.py"))
    spec = importlib.util.spec_from_file_location("participa_revision_0009", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _function() -> str:
    """Revision 0009's function, with the submission token checked first and stored."""
    text = _revision_0009().CAST_ONLINE_BALLOT
    edits = [
        ("p_receipt text, p_tracker text\n)", "p_receipt text, p_tracker text, p_submission text\n)"),
        (
            "BEGIN\n    SELECT phase,",
            "BEGIN\n    PERFORM 1 FROM ballots WHERE submission = p_submission;\n"
            "    IF FOUND THEN\n        RETURN 'duplicate';\n    END IF;\n    SELECT phase,",
        ),
        (
            "channel, receipt_code, tracker)\n             VALUES (p_consultation, p_organisation, p_user, p_now, "
            "'online', p_receipt, p_tracker)",
            "channel, receipt_code, tracker, submission)\n             VALUES (p_consultation, p_organisation, "
            "p_user, p_now, 'online', p_receipt, p_tracker, p_submission)",
        ),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def upgrade() -> None:
    op.create_table(
        "task_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_outbox")),
    )
    op.create_index(
        "ix_task_outbox_pending",
        "task_outbox",
        ["id"],
        unique=False,
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("message_key", name=op.f("uq_mail_messages_message_key")),
    )
    op.create_index(
        "ix_mail_messages_unsent",
        "mail_messages",
        ["id"],
        unique=False,
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.add_column(sa.Column("submission", sa.String(length=43), nullable=True))
        batch_op.add_column(sa.Column("verdict", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("refusal", sa.String(length=30), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_ballots_submission"), ["submission"])
        batch_op.create_check_constraint(
            "verdict_known", "verdict IS NULL OR verdict IN ('counted', 'superseded', 'not_admitted')"
        )
    # Ballots of consultations already closed get the verdict of their votes.
    refused = "(SELECT min(v.refusal) FROM votes v WHERE v.ballot_id = ballots.id AND NOT v.admitted)"
    op.execute(
        f"UPDATE ballots SET refusal = {refused}, verdict = CASE WHEN {refused} IS NULL THEN 'counted' "
        f"WHEN {refused} = 'superseded' THEN 'superseded' ELSE 'not_admitted' END "
        "WHERE NOT EXISTS (SELECT 1 FROM votes v WHERE v.ballot_id = ballots.id AND v.admitted IS NULL)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE_0009}")
        op.execute(_function())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(_revision_0009().CAST_ONLINE_BALLOT)
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.drop_constraint("verdict_known", type_="check")
        batch_op.drop_constraint(batch_op.f("uq_ballots_submission"), type_="unique")
        batch_op.drop_column("refusal")
        batch_op.drop_column("verdict")
        batch_op.drop_column("submission")
    op.drop_index("ix_mail_messages_unsent", table_name="mail_messages")
    op.drop_table("mail_messages")
    op.drop_index("ix_task_outbox_pending", table_name="task_outbox")
    op.drop_table("task_outbox")
