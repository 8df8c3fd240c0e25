"""votes admitted at close

Each vote carries its admissibility verdict once voting closes, so that the count reads the votes
alone.

Revision ID: 0006_votes_admitted
Revises: 0005_proposals
Create Date: 2026-11-21 06:47:10.404330
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_votes_admitted"
down_revision = "0005_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admitted", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_column("admitted")
