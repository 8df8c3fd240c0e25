"""The network's meetings and their registrations (issue #17)

Revision ID: 0021_network_meetings
Revises: 0020_network
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_network_meetings"
down_revision = "0020_network"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.String(length=250), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('training', 'exchange')", name=op.f("ck_network_meetings_kind_known")),
        sa.CheckConstraint("place IS NOT NULL OR link IS NOT NULL", name=op.f("ck_network_meetings_somewhere")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_network_meetings_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_meetings")),
    )
    op.create_index(op.f("ix_network_meetings_starts_at"), "network_meetings", ["starts_at"], unique=False)
    op.create_table(
        "network_meeting_registrations",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["network_meetings.id"],
            name=op.f("fk_network_meeting_registrations_meeting_id_network_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["network_members.id"],
            name=op.f("fk_network_meeting_registrations_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["users.id"], name=op.f("fk_network_meeting_registrations_registered_by_id_users")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_network_meeting_registrations")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("network_meeting_registrations")
    op.drop_index(op.f("ix_network_meetings_starts_at"), table_name="network_meetings")
    op.drop_table("network_meetings")
