"""login attempts record their step; proposal texts stored as sanitised

Sign-in throttling is now keyed on the e-mail and the client together for passwords, and on the
account for the second factor: each attempt says which step it was (password, second_factor, or
reset, a password reset that ends a run of failures). Existing rows were password attempts,
except the resets, written with the address "password-reset".

Proposal titles, bodies, answers and moderation reasons are now stored exactly as nh3 returns
them (HTML-escaped, no tags) instead of decoded back to raw text: existing ones are cleaned the
same way.

Revision ID: 0010_login_attempt_step
Revises: 0009_secret_ballot
Create Date: 2026-12-01 00:00:00
"""

import nh3
import sqlalchemy as sa
from alembic import op

revision = "0010_login_attempt_step"
down_revision = "0009_secret_ballot"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts") as batch_op:
        batch_op.add_column(sa.Column("step", sa.String(length=14), nullable=False, server_default="password"))
    op.execute("UPDATE login_attempts SET step = 'reset' WHERE ip = 'password-reset'")
    with op.batch_alter_table("login_attempts") as batch_op:
        batch_op.create_check_constraint("step_known", "step IN ('password', 'second_factor', 'reset')")
    bind = op.get_bind()
    for row in bind.execute(sa.text("SELECT id, title, body, answer, hidden_reason FROM proposals")).mappings().all():
        cleaned = {
            key: None if row[key] is None else nh3.clean(row[key], tags=set(), attributes={}, strip_comments=True)
            for key in ("title", "body", "answer", "hidden_reason")
        }
        bind.execute(
            sa.text(
                "UPDATE proposals SET title = :title, body = :body, answer = :answer, "
                "hidden_reason = :hidden_reason WHERE id = :id"
            ),
            {**cleaned, "id": row["id"]},
        )


def downgrade() -> None:
    with op.batch_alter_table("login_attempts") as batch_op:
        batch_op.drop_constraint("step_known", type_="check")
        batch_op.drop_column("step")
