"""The regional open-government network (issue #17): members, practices, replications, and the
role network_staff

Revision ID: 0020_network
Revises: 0019_project_location_text
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_network"
down_revision = "0019_project_location_text"
branch_labels = None
depends_on = None

ROLES = [
    "representative", "municipal_staff", "facilitator", "curator", "manager", "certifier", "programme_staff", "admin",
]  # fmt: skip


def _roles(roles: list[str]) -> str:
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def upgrade() -> None:
    op.create_table(
        "network_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comuna_cut", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("liaison_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('municipality', 'council', 'organisation')", name=op.f("ck_network_members_kind_known")
        ),
        sa.CheckConstraint("status IN ('pilot', 'member', 'left')", name=op.f("ck_network_members_status_known")),
        sa.CheckConstraint(
            "kind <> 'municipality' OR comuna_cut IS NOT NULL", name=op.f("ck_network_members_municipality_has_comuna")
        ),
        sa.CheckConstraint("status <> 'left' OR left_on IS NOT NULL", name=op.f("ck_network_members_left_has_date")),
        sa.ForeignKeyConstraint(["comuna_cut"], ["comunas.cut"], name=op.f("fk_network_members_comuna_cut_comunas")),
        sa.ForeignKeyConstraint(["liaison_id"], ["users.id"], name=op.f("fk_network_members_liaison_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_network_members_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_members")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_network_members_organisation_id")),
    )
    op.create_index(op.f("ix_network_members_comuna_cut"), "network_members", ["comuna_cut"], unique=False)
    op.create_index(op.f("ix_network_members_liaison_id"), "network_members", ["liaison_id"], unique=False)
    op.create_table(
        "network_practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("pillar", sa.String(length=16), nullable=False),
        sa.Column("comuna_cut", sa.Integer(), nullable=True),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("how_to_replicate", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("replications", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "pillar IN ('transparency', 'accountability', 'participation')",
            name=op.f("ck_network_practices_pillar_known"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'published', 'refused')", name=op.f("ck_network_practices_status_known")
        ),
        sa.CheckConstraint(
            "status <> 'refused' OR refusal_reason IS NOT NULL", name=op.f("ck_network_practices_refusal_has_reason")
        ),
        sa.ForeignKeyConstraint(["comuna_cut"], ["comunas.cut"], name=op.f("fk_network_practices_comuna_cut_comunas")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["network_members.id"], name=op.f("fk_network_practices_member_id_network_members")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_network_practices_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_network_practices_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_practices")),
    )
    op.create_index(op.f("ix_network_practices_member_id"), "network_practices", ["member_id"], unique=False)
    op.create_index(op.f("ix_network_practices_comuna_cut"), "network_practices", ["comuna_cut"], unique=False)
    op.create_index(op.f("ix_network_practices_status"), "network_practices", ["status"], unique=False)
    op.create_table(
        "network_replications",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["network_members.id"], name=op.f("fk_network_replications_member_id_network_members")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["network_practices.id"],
            name=op.f("fk_network_replications_practice_id_network_practices"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_network_replications_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("practice_id", "member_id", name=op.f("pk_network_replications")),
    )
    op.create_index(op.f("ix_network_replications_member_id"), "network_replications", ["member_id"], unique=False)
    with op.batch_alter_table("role_assignments") as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.create_check_constraint("role_known", _roles([*ROLES, "network_staff"]))


def downgrade() -> None:
    op.execute("DELETE FROM role_assignments WHERE role = 'network_staff'")
    with op.batch_alter_table("role_assignments") as batch_op:
        batch_op.drop_constraint("role_known", type_="check")
        batch_op.create_check_constraint("role_known", _roles(ROLES))
    op.drop_index(op.f("ix_network_replications_member_id"), table_name="network_replications")
    op.drop_table("network_replications")
    op.drop_index(op.f("ix_network_practices_status"), table_name="network_practices")
    op.drop_index(op.f("ix_network_practices_comuna_cut"), table_name="network_practices")
    op.drop_index(op.f("ix_network_practices_member_id"), table_name="network_practices")
    op.drop_table("network_practices")
    op.drop_index(op.f("ix_network_members_liaison_id"), table_name="network_members")
    op.drop_index(op.f("ix_network_members_comuna_cut"), table_name="network_members")
    op.drop_table("network_members")
