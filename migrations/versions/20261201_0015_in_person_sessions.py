"""in-person sessions on tablets, and the online ballot function generated from the cast rules

- in_person_sessions: planned by a manager, opened on one tablet (the sync token's SHA-256, the
  salt of the representatives' RUT hashes), closed with the signed acta (canonical JSON, SHA-256).
- session_checkins: attendance as the tablets synced it, one row per tablet UUID.
- sync_refusals: synced items that were not stored and why (a rule, or a UUID sent again with
  other content), one row per UUID, reason and content.
- ballots: session_id, client_uuid (unique), device_seq, device_time, content_sha256, late_sync.
- cast_online_ballot (PostgreSQL): generated from participa.voting.rules.CAST_RULES by
  participa.voting.sql, which adds the in-person precedence (an online ballot after an in-person
  one is refused, 'in_person_recorded') and checks the representation's period against the moment
  of casting, as the close does. Its text is the module's at the time this revision runs; a later
  change of a cast rule comes with a revision that installs the function again (a test compares).

Revision ID: 0015_in_person_sessions
Revises: 0014_close_speed
Create Date: 2026-12-01 05:30:00
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0015_in_person_sessions"
down_revision = "0014_close_speed"
branch_labels = None
depends_on = None

SIGNATURE = "cast_online_ballot(integer, integer, integer, integer, integer[], text[], timestamp, text, text, text)"


def _revision_0012():
    path = next(Path(__file__).parent.glob("*_0012_nothing_lost.py"))
    spec = importlib.util.spec_from_file_location("participa_revision_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    op.create_table(
        "in_person_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("comuna_cut", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("device", sa.String(length=80), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=True),
        sa.Column("token_revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("rut_salt", sa.String(length=32), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("acta_json", sa.Text(), nullable=True),
        sa.Column("acta_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_in_person_sessions_window_ordered")),
        sa.ForeignKeyConstraint(["comuna_cut"], ["comunas.cut"], name=op.f("fk_in_person_sessions_comuna_cut_comunas")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_in_person_sessions_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_in_person_sessions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_in_person_sessions_facilitator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_in_person_sessions_revoked_by_id_users")
        ),
        sa.ForeignKeyConstraint(["signed_by_id"], ["users.id"], name=op.f("fk_in_person_sessions_signed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_in_person_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_in_person_sessions_token_sha256")),
    )
    op.create_index(
        op.f("ix_in_person_sessions_consultation_id"), "in_person_sessions", ["consultation_id"], unique=False
    )
    op.create_index(
        op.f("ix_in_person_sessions_facilitator_id"), "in_person_sessions", ["facilitator_id"], unique=False
    )
    op.create_table(
        "session_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("device_time", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_session_checkins_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["in_person_sessions.id"], name=op.f("fk_session_checkins_session_id_in_person_sessions")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_session_checkins_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_checkins")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_session_checkins_client_uuid")),
    )
    op.create_index(op.f("ix_session_checkins_session_id"), "session_checkins", ["session_id"], unique=False)
    op.create_table(
        "sync_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["in_person_sessions.id"], name=op.f("fk_sync_refusals_session_id_in_person_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_refusals")),
        sa.UniqueConstraint(
            "client_uuid", "reason", "content_sha256", name=op.f("uq_sync_refusals_client_uuid_reason_content_sha256")
        ),
    )
    op.create_index(op.f("ix_sync_refusals_session_id"), "sync_refusals", ["session_id"], unique=False)
    # Plain ADD COLUMN on both databases: rebuilding ballots on SQLite would drop its triggers.
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("ballots", sa.Column("session_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_ballots_session_id_in_person_sessions"), "ballots", "in_person_sessions", ["session_id"], ["id"]
        )
    else:
        op.execute(
            "ALTER TABLE ballots ADD COLUMN session_id INTEGER "
            "CONSTRAINT fk_ballots_session_id_in_person_sessions REFERENCES in_person_sessions (id)"
        )
    op.add_column("ballots", sa.Column("client_uuid", sa.String(length=36), nullable=True))
    op.add_column("ballots", sa.Column("device_seq", sa.Integer(), nullable=True))
    op.add_column("ballots", sa.Column("device_time", sa.DateTime(), nullable=True))
    op.add_column("ballots", sa.Column("content_sha256", sa.String(length=64), nullable=True))
    op.add_column("ballots", sa.Column("late_sync", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(op.f("uq_ballots_client_uuid"), "ballots", ["client_uuid"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        from participa.voting import sql

        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(sql.cast_online_ballot())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(_revision_0012()._function())
    op.drop_index(op.f("uq_ballots_client_uuid"), table_name="ballots")
    columns = ("late_sync", "content_sha256", "device_time", "device_seq", "client_uuid", "session_id")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_ballots_session_id_in_person_sessions"), "ballots", type_="foreignkey")
        for column in columns:
            op.drop_column("ballots", column)
    else:
        # SQLite drops no column named in a foreign key: the table is rebuilt, and its triggers
        # (which a rebuild drops) are created again as they were.
        triggers = (
            op.get_bind()
            .execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ballots'"))
            .scalars()
            .all()
        )
        with op.batch_alter_table("ballots", recreate="always") as batch_op:
            for column in columns:
                batch_op.drop_column(column)
        for trigger in triggers:
            op.execute(trigger)
    op.drop_index(op.f("ix_sync_refusals_session_id"), table_name="sync_refusals")
    op.drop_table("sync_refusals")
    op.drop_index(op.f("ix_session_checkins_session_id"), table_name="session_checkins")
    op.drop_table("session_checkins")
    op.drop_index(op.f("ix_in_person_sessions_facilitator_id"), table_name="in_person_sessions")
    op.drop_index(op.f("ix_in_person_sessions_consultation_id"), table_name="in_person_sessions")
    op.drop_table("in_person_sessions")
