"""A practice's documents (issue #17, item 2)

Revision ID: 0022_practice_documents
Revises: 0021_network_meetings
Create Date: 2026-12-01 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_practice_documents"
down_revision = "0021_network_meetings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_practice_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["network_practices.id"],
            name=op.f("fk_network_practice_documents_practice_id_network_practices"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_network_practice_documents_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_practice_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_network_practice_documents_stored_name")),
    )
    op.create_index(
        op.f("ix_network_practice_documents_practice_id"), "network_practice_documents", ["practice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_network_practice_documents_practice_id"), table_name="network_practice_documents")
    op.drop_table("network_practice_documents")
