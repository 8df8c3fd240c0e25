"""proposals and supports

Proposals and observations on a consultation's projects and other organisations' supports.

Revision ID: 0005_proposals
Revises: 0004_consultations_voting
Create Date: 2026-11-21 06:01:52.637334
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_proposals"
down_revision = "0004_consultations_voting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=600), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('proposal', 'observation')", name=op.f("ck_proposals_kind_known")),
        sa.CheckConstraint(
            "status IN ('pending', 'admissible', 'inadmissible')", name=op.f("ck_proposals_status_known")
        ),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], name=op.f("fk_proposals_answered_by_id_users")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_proposals_author_id_users")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_proposals_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(["hidden_by_id"], ["users.id"], name=op.f("fk_proposals_hidden_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_proposals_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["consultation_questions.id"], name=op.f("fk_proposals_question_id_consultation_questions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_consultation_id"), ["consultation_id"], unique=False)

    op.create_table(
        "proposal_supports",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("supported_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_proposal_supports_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_supports_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supported_by_id"], ["users.id"], name=op.f("fk_proposal_supports_supported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "organisation_id", name=op.f("pk_proposal_supports")),
    )


def downgrade() -> None:
    op.drop_table("proposal_supports")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_consultation_id"))

    op.drop_table("proposals")
