"""the commitment record: each commitment's record, its versions with their fingerprints, documents

- commitments: description, criterion (investment or action), division, milestones, approved
  investment (CLP), beneficiaries, comunas, links, the current version and its fingerprint.
- commitment_versions: every version of a record (who, when, why, what changed, the canonical
  record and its SHA-256, the status and comunas for compliance at a past date).
- commitment_documents: documents kept as evidence, their type read from their content.
- role_assignments: the role programme_staff (GORE staff who keep the record).
The first version of each commitment is written by `flask commitments load`, which every
deployment runs after the upgrade (docker-compose's migrate service, make run).

Revision ID: 0016_commitment_record
Revises: 0015_in_person_sessions
Create Date: 2026-12-01 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_commitment_record"
down_revision = "0015_in_person_sessions"
branch_labels = None
depends_on = None

ROLES = ["representative", "municipal_staff", "facilitator", "curator", "manager", "certifier", "admin"]


def _roles(roles: list[str]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def upgrade() -> None:
    with op.batch_alter_table("commitments") as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("criterion", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("division", sa.String(length=160), server_default="", nullable=False))
        batch_op.add_column(sa.Column("milestones", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("approved_investment_clp", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("beneficiaries", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("comunas", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("links", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            "criterion_known", "criterion IS NULL OR criterion IN ('investment', 'action')"
        )
    op.create_table(
        "commitment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comunas", sa.JSON(), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_commitment_versions_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitments.id"], name=op.f("fk_commitment_versions_commitment_id_commitments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_versions")),
        sa.UniqueConstraint("commitment_id", "version", name=op.f("uq_commitment_versions_commitment_id_version")),
    )
    op.create_index("ix_commitment_versions_recorded_at", "commitment_versions", ["recorded_at"], unique=False)
    op.create_index(op.f("ix_commitment_versions_sha256"), "commitment_versions", ["sha256"], unique=False)
    op.create_table(
        "commitment_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"], ["commitments.id"], name=op.f("fk_commitment_documents_commitment_id_commitments")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_commitment_documents_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_commitment_documents_stored_name")),
    )
    op.create_index(
        op.f("ix_commitment_documents_commitment_id"), "commitment_documents", ["commitment_id"], unique=False
    )
    with op.batch_alter_table("role_assignments") as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.create_check_constraint("role_known", _roles([*ROLES, "programme_staff"]))


def downgrade() -> None:
    op.execute("DELETE FROM role_assignments WHERE role = 'programme_staff'")
    with op.batch_alter_table("role_assignments") as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.create_check_constraint("role_known", _roles(ROLES))
    op.drop_index(op.f("ix_commitment_documents_commitment_id"), table_name="commitment_documents")
    op.drop_table("commitment_documents")
    op.drop_index(op.f("ix_commitment_versions_sha256"), table_name="commitment_versions")
    op.drop_index("ix_commitment_versions_recorded_at", table_name="commitment_versions")
    op.drop_table("commitment_versions")
    with op.batch_alter_table("commitments") as batch_op:
        batch_op.drop_constraint("criterion_known", type_="check")
        for column in (
            "updated_at",
            "fingerprint",
            "version",
            "links",
            "comunas",
            "beneficiaries",
            "approved_investment_clp",
            "milestones",
            "division",
            "criterion",
            "description",
        ):
            batch_op.drop_column(column)
