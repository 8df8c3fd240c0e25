"""data_requests and data_request_supports: the public's requests for datasets (issue #15)

Revision ID: 0018_data_requests
Revises: 0017_import_repeated_ruts
Create Date: 2026-12-01 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_data_requests"
down_revision = "0017_import_repeated_ruts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("supports", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_data_requests_requested_by_id_users")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], name=op.f("fk_data_requests_answered_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    op.create_index(op.f("ix_data_requests_requested_by_id"), "data_requests", ["requested_by_id"], unique=False)
    op.create_index(op.f("ix_data_requests_status"), "data_requests", ["status"], unique=False)
    op.create_table(
        "data_request_supports",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_requests.id"],
            name=op.f("fk_data_request_supports_request_id_data_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_data_request_supports_user_id_users")),
        sa.PrimaryKeyConstraint("request_id", "user_id", name=op.f("pk_data_request_supports")),
    )


def downgrade() -> None:
    op.drop_table("data_request_supports")
    op.drop_index(op.f("ix_data_requests_status"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_requested_by_id"), table_name="data_requests")
    op.drop_table("data_requests")
