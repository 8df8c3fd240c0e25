"""projects, commitments, admissibility decisions

Projects that comunas submit (DESIGN §3), the programme's commitments they link to, and the
recorded verdicts of every admissibility rule.

Revision ID: 0003_projects
Revises: 0002_registry
Create Date: 2026-11-21 05:53:34.432728
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_projects"
down_revision = "0002_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admissibility_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("run", sa.String(length=40), nullable=False),
        sa.Column("admissible", sa.Boolean(), nullable=False),
        sa.Column("verdicts", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admissibility_decisions")),
        sa.UniqueConstraint(
            "subject_type", "subject_id", "run", name=op.f("uq_admissibility_decisions_subject_type_subject_id_run")
        ),
    )
    with op.batch_alter_table("admissibility_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_admissibility_decisions_run", ["run", "admissible"], unique=False)
        batch_op.create_index("ix_admissibility_decisions_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("axis", sa.String(length=80), nullable=False),
        sa.Column("sub_axis", sa.String(length=160), nullable=True),
        sa.Column("sub_axis_inferred", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'fulfilled', 'deprioritised')",
            name=op.f("ck_commitments_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
        sa.UniqueConstraint("axis", "number", name=op.f("uq_commitments_axis_number")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comuna_cut", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=600), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("bip_code", sa.String(length=12), nullable=True),
        sa.Column("amount_clp", sa.BigInteger(), nullable=True),
        sa.Column("axis", sa.String(length=80), nullable=False),
        sa.Column("sub_axis", sa.String(length=160), nullable=True),
        sa.Column("rate_status", sa.String(length=4), nullable=False),
        sa.Column("rate_date", sa.Date(), nullable=True),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "rate_status IN ('RS', 'FI', 'OT', 'NV', 'IN', 'none')", name=op.f("ck_projects_rate_status_known")
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'submitted', 'admissible', 'inadmissible', 'in_consultation', 'consulted', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_projects_state_known"),
        ),
        sa.CheckConstraint("amount_clp IS NULL OR amount_clp >= 0", name=op.f("ck_projects_amount_not_negative")),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name=op.f("ck_projects_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name=op.f("ck_projects_longitude_range")
        ),
        sa.ForeignKeyConstraint(["comuna_cut"], ["comunas.cut"], name=op.f("fk_projects_comuna_cut_comunas")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_projects_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_comuna_cut"), ["comuna_cut"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_state"), ["state"], unique=False)

    op.create_table(
        "project_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_attachments_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_project_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_project_attachments_stored_name")),
    )
    with op.batch_alter_table("project_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_attachments_project_id"), ["project_id"], unique=False)

    op.create_table(
        "project_commitments",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitments.id"], name=op.f("fk_project_commitments_commitment_id_commitments")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_commitments_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", "commitment_id", name=op.f("pk_project_commitments")),
    )


def downgrade() -> None:
    op.drop_table("project_commitments")
    with op.batch_alter_table("project_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_attachments_project_id"))

    op.drop_table("project_attachments")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_state"))
        batch_op.drop_index(batch_op.f("ix_projects_comuna_cut"))

    op.drop_table("projects")
    op.drop_table("commitments")
    with op.batch_alter_table("admissibility_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_admissibility_decisions_subject")
        batch_op.drop_index("ix_admissibility_decisions_run")

    op.drop_table("admissibility_decisions")
