"""analyze_votes(): the statistics of votes refreshed by the application's restricted role

On PostgreSQL the application runs as a role that does not own the tables (``flask db grant``),
and only a table's owner may ANALYZE it: for any other role ``ANALYZE votes`` is skipped with a
warning. This function runs it as its owner (SECURITY DEFINER, with a fixed search path and
nothing to pass in); only the roles ``flask db grant`` names may call it. Nothing on SQLite.

Revision ID: 0011_analyze_votes
Revises: 0010_login_attempt_step
Create Date: 2026-12-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_analyze_votes"
down_revision = "0010_login_attempt_step"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.dialect.identifier_preparer.quote(bind.execute(sa.text("SELECT current_schema()")).scalar_one())
    op.execute(
        f"""
        CREATE FUNCTION analyze_votes() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            ANALYZE {schema}.votes;
        END
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION analyze_votes() FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS analyze_votes()")
