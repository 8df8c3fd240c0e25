"""vote_decisions: a narrow row per vote and count round; votes leave room for their verdict

A close records every vote's admissibility decision. In admissibility_decisions (shared with
projects and proposals: a run name, a subject type, a timestamp and the verdicts as JSON per row,
three indexes over strings) a million votes took 17 s to write; vote_decisions keeps the
consultation, the count round, the vote id (together the key), whether it is admitted, its first
reason and every failed rule's reason. Earlier vote decisions are copied over (the originals stay
where they are, as every decision does). Once a consultation is certified its vote decisions can
be neither changed nor deleted nor added to (triggers, as in revision 0013).

At close every vote receives its verdict (``votes.admitted``, ``votes.refusal``) in one UPDATE.
Neither column is indexed, so PostgreSQL can write each new row version on the same page without
touching the four indexes of votes (a HOT update), but only if the page has room for it: with the
default fill factor of 100 it has none and each of a million updates also inserts into every
index. A fill factor of 50 keeps room for one new version of every row (measured on 1,000,000
votes: 12.5 s down to 4.0 s for that UPDATE; the table takes twice the pages). It applies to the
pages written from now on.

analyze_votes() (revision 0011) now also analyzes vote_decisions, so that the UPDATE that
copies a million just-written decisions onto the votes is planned as a hash join, not as a million
index probes, and roll_entries: a close now ends before autovacuum has looked at the roll frozen
hours earlier, and the count, expecting 81 roll entries instead of 50,000, sorted a million
votes instead of hashing them (1.1 s instead of 0.5 s). Nothing on SQLite.

Revision ID: 0014_close_speed
Revises: 0013_certification
Create Date: 2026-12-01 03:10:00
"""

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0014_close_speed"
down_revision = "0013_certification"
branch_labels = None
depends_on = None


def _analyze_function(tables: tuple[str, ...]) -> None:
    bind = op.get_bind()
    schema = bind.dialect.identifier_preparer.quote(bind.execute(sa.text("SELECT current_schema()")).scalar_one())
    statements = "\n".join(f"            ANALYZE {schema}.{table};" for table in tables)
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION analyze_votes() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
{statements}
        END
        $$
        """
    )


# An earlier close's run: close-<consultation>, or close-<consultation>-r<round> for a recount.
RUN = re.compile(r"^close-(\d+)(?:-r(\d+))?$")


def _copy_earlier_decisions() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT subject_id, run, admissible, reason, verdicts FROM admissibility_decisions "
            "WHERE subject_type = 'vote' ORDER BY id"
        )
    )
    batch: list[dict[str, object]] = []
    insert = sa.text(
        "INSERT INTO vote_decisions (consultation_id, count_round, vote_id, admissible, reason, failed) "
        "VALUES (:consultation_id, :count_round, :vote_id, :admissible, :reason, :failed)"
    )
    for vote_id, run, admissible, reason, verdicts in rows:
        match = RUN.match(run or "")
        if match is None:
            continue
        listed = json.loads(verdicts) if isinstance(verdicts, str) else verdicts
        failed = [v.get("reason") or v.get("rule") for v in listed or [] if not v.get("ok")]
        batch.append(
            {
                "consultation_id": int(match.group(1)),
                "count_round": int(match.group(2) or 1),
                "vote_id": vote_id,
                "admissible": bool(admissible),
                "reason": reason,
                "failed": ",".join(failed) or None,
            }
        )
        if len(batch) >= 5000:
            bind.execute(insert, batch)
            batch.clear()
    if batch:
        bind.execute(insert, batch)


def _certified(alias: str) -> str:
    return f"EXISTS (SELECT 1 FROM consultations c WHERE c.id = {alias}.consultation_id AND c.certified_at IS NOT NULL)"


def _triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The functions of revision 0013: per statement for the bulk writes, per row for a delete.
        op.execute(
            "CREATE TRIGGER vote_decisions_certified_insert AFTER INSERT ON vote_decisions "
            "REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION refuse_if_certified()"
        )
        op.execute(
            "CREATE TRIGGER vote_decisions_certified_update AFTER UPDATE ON vote_decisions "
            "REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_if_certified()"
        )
        op.execute(
            "CREATE TRIGGER vote_decisions_certified_delete BEFORE DELETE ON vote_decisions "
            "FOR EACH ROW EXECUTE FUNCTION refuse_row_if_certified()"
        )
        return
    for verb, condition in (
        ("INSERT", _certified("NEW")),
        ("UPDATE", f"{_certified('OLD')} OR {_certified('NEW')}"),
        ("DELETE", _certified("OLD")),
    ):
        op.execute(
            f"CREATE TRIGGER vote_decisions_certified_{verb.lower()} BEFORE {verb} ON vote_decisions "
            f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'certified: {verb} on vote_decisions refused'); END"
        )


def upgrade() -> None:
    op.create_table(
        "vote_decisions",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("count_round", sa.SmallInteger(), nullable=False),
        sa.Column("vote_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("admissible", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("failed", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("consultation_id", "count_round", "vote_id", name=op.f("pk_vote_decisions")),
    )
    _copy_earlier_decisions()
    _triggers()
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE votes SET (fillfactor = 50)")
    _analyze_function(("votes", "vote_decisions", "roll_entries"))


# The vote rules and their reasons when this revision was written, in order: a downgrade writes
# each decision made since back as admissibility_decisions verdicts.
RULES = (
    ("effective", "superseded"),
    ("within_window", "outside_window"),
    ("on_roll", "not_on_roll"),
    ("authorised", "not_authorised"),
    ("in_person_precedence", "overridden_in_person"),
)


def _copy_back_later_decisions() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT d.consultation_id, d.count_round, d.vote_id, d.admissible, d.reason, d.failed "
            "FROM vote_decisions d ORDER BY d.consultation_id, d.count_round, d.vote_id"
        )
    ).all()
    known = {
        (run, subject)
        for run, subject in bind.execute(
            sa.text("SELECT run, subject_id FROM admissibility_decisions WHERE subject_type = 'vote'")
        )
    }
    insert = sa.text(
        "INSERT INTO admissibility_decisions (subject_type, subject_id, run, admissible, reason, verdicts, decided_at) "
        "VALUES ('vote', :subject_id, :run, :admissible, :reason, :verdicts, CURRENT_TIMESTAMP)"
    )
    batch = []
    for consultation_id, count_round, vote_id, admissible, reason, failed in rows:
        run = f"close-{consultation_id}" if count_round == 1 else f"close-{consultation_id}-r{count_round}"
        if (run, vote_id) in known:
            continue
        reasons = set((failed or "").split(","))
        verdicts = [
            {"rule": rule, "ok": why not in reasons, "reason": why if why in reasons else None, "detail": None}
            for rule, why in RULES
        ]
        batch.append(
            {
                "subject_id": vote_id,
                "run": run,
                "admissible": admissible,
                "reason": reason,
                "verdicts": json.dumps(verdicts),
            }
        )
    if batch:
        bind.execute(insert, batch)


def downgrade() -> None:
    # Decisions made since the upgrade go back where revision 0013 keeps them (a certified
    # consultation's triggers there refuse them: a downgrade after certification stops here).
    _copy_back_later_decisions()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE votes RESET (fillfactor)")
        _analyze_function(("votes",))
    op.drop_table("vote_decisions")
