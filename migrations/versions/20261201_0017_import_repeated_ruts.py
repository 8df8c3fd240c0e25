"""import_batches.repeated_ruts: the RUTs that several rows of a file carry, with their rows

Found when the file is checked, before any row is applied: none of those rows is applied (each
is rejected, naming the others), where before the first was applied and the later ones refused.
Batches uploaded earlier keep an empty map and the earlier behaviour.

Revision ID: 0017_import_repeated_ruts
Revises: 0016_commitment_record
Create Date: 2026-12-01 06:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_import_repeated_ruts"
down_revision = "0016_commitment_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_batches", sa.Column("repeated_ruts", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("repeated_ruts")
