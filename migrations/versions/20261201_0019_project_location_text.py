"""projects.location_text: a project's place in words, shown beside its map (issue #16)

Revision ID: 0019_project_location_text
Revises: 0018_data_requests
Create Date: 2026-12-01 09:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_project_location_text"
down_revision = "0018_data_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("location_text", sa.String(length=250), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("location_text")
