"""consultations, roll, power index, ballots, votes, tally results

Consultations with their phases and counting rules, the frozen roll, ballots and votes (one
effective vote per organisation and question, held by a partial unique index) and results.

Revision ID: 0004_consultations_voting
Revises: 0003_projects
Create Date: 2026-11-21 05:58:34.307186
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_consultations_voting"
down_revision = "0003_projects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("participation_level", sa.String(length=12), nullable=False),
        sa.Column("phase", sa.String(length=14), nullable=False),
        sa.Column("information_at", sa.DateTime(), nullable=False),
        sa.Column("proposals_at", sa.DateTime(), nullable=False),
        sa.Column("voting_at", sa.DateTime(), nullable=False),
        sa.Column("voting_ends_at", sa.DateTime(), nullable=False),
        sa.Column("electorate_comunas", sa.JSON(), nullable=False),
        sa.Column("electorate_types", sa.JSON(), nullable=False),
        sa.Column("cutoff_date", sa.Date(), nullable=False),
        sa.Column("weight_scheme", sa.JSON(), nullable=False),
        sa.Column("quorum", sa.Numeric(precision=7, scale=6), nullable=False),
        sa.Column("majority_numerator", sa.Integer(), nullable=False),
        sa.Column("majority_denominator", sa.Integer(), nullable=False),
        sa.Column("majority_strict", sa.Boolean(), nullable=False),
        sa.Column("abstentions_in_majority", sa.Boolean(), nullable=False),
        sa.Column("revote_policy", sa.String(length=8), nullable=False),
        sa.Column("secrecy", sa.String(length=8), nullable=False),
        sa.Column("secrecy_k", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("roll_frozen_at", sa.DateTime(), nullable=True),
        sa.Column("roll_hash", sa.String(length=64), nullable=True),
        sa.Column("roll_total_weight", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.CheckConstraint(
            "participation_level IN ('information', 'consultation', 'binding')",
            name=op.f("ck_consultations_level_known"),
        ),
        sa.CheckConstraint(
            "phase IN ('draft', 'information', 'proposals', 'voting', 'counting', 'certification', 'published')",
            name=op.f("ck_consultations_phase_known"),
        ),
        sa.CheckConstraint("revote_policy IN ('last', 'first')", name=op.f("ck_consultations_revote_known")),
        sa.CheckConstraint("secrecy IN ('secret', 'named')", name=op.f("ck_consultations_secrecy_known")),
        sa.CheckConstraint(
            "information_at <= proposals_at AND proposals_at <= voting_at AND voting_at < voting_ends_at",
            name=op.f("ck_consultations_schedule_in_order"),
        ),
        sa.CheckConstraint(
            "majority_numerator > 0 AND majority_denominator > majority_numerator",
            name=op.f("ck_consultations_majority_fraction"),
        ),
        sa.CheckConstraint("quorum >= 0 AND quorum <= 1", name=op.f("ck_consultations_quorum_fraction")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_consultations_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultations_phase"), ["phase"], unique=False)

    op.create_table(
        "consultation_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_questions_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_consultation_questions_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_questions")),
        sa.UniqueConstraint(
            "consultation_id", "project_id", name=op.f("uq_consultation_questions_consultation_id_project_id")
        ),
    )
    with op.batch_alter_table("consultation_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_questions_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "power_indices",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("error_bound", sa.String(length=20), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_power_indices_consultation_id_consultations")
        ),
        sa.PrimaryKeyConstraint("consultation_id", name=op.f("pk_power_indices")),
    )
    op.create_table(
        "tally_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("canonical_json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("receipts_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_tally_results_consultation_id_consultations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tally_results")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_tally_results_consultation_id")),
    )
    op.create_table(
        "ballots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("cast_by_id", sa.Integer(), nullable=False),
        sa.Column("cast_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("receipt_code", sa.String(length=24), nullable=False),
        sa.CheckConstraint("channel IN ('online', 'in_person')", name=op.f("ck_ballots_channel_known")),
        sa.ForeignKeyConstraint(["cast_by_id"], ["users.id"], name=op.f("fk_ballots_cast_by_id_users")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_ballots_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_ballots_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
        sa.UniqueConstraint("receipt_code", name=op.f("uq_ballots_receipt_code")),
    )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballots_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(
            "ix_ballots_consultation_organisation", ["consultation_id", "organisation_id"], unique=False
        )

    op.create_table(
        "roll_entries",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_roll_entries_weight_positive")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_roll_entries_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_roll_entries_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("consultation_id", "organisation_id", name=op.f("pk_roll_entries")),
    )
    op.create_table(
        "votes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ballot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("effective", sa.Boolean(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("choice IN ('approve', 'reject', 'abstain')", name=op.f("ck_votes_choice_known")),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"], name=op.f("fk_votes_ballot_id_ballots")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_votes_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_votes_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["consultation_questions.id"], name=op.f("fk_votes_question_id_consultation_questions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_ballot_id"), ["ballot_id"], unique=False)
        batch_op.create_index("ix_votes_consultation_effective", ["consultation_id", "effective"], unique=False)
        batch_op.create_index(
            "uq_votes_one_effective",
            ["question_id", "organisation_id"],
            unique=True,
            sqlite_where=sa.text("effective"),
            postgresql_where=sa.text("effective"),
        )


def downgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_votes_one_effective", sqlite_where=sa.text("effective"), postgresql_where=sa.text("effective")
        )
        batch_op.drop_index("ix_votes_consultation_effective")
        batch_op.drop_index(batch_op.f("ix_votes_ballot_id"))

    op.drop_table("votes")
    op.drop_table("roll_entries")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_index("ix_ballots_consultation_organisation")
        batch_op.drop_index(batch_op.f("ix_ballots_consultation_id"))

    op.drop_table("ballots")
    op.drop_table("tally_results")
    op.drop_table("power_indices")
    with op.batch_alter_table("consultation_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_questions_consultation_id"))

    op.drop_table("consultation_questions")
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultations_phase"))

    op.drop_table("consultations")
