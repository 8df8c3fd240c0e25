"""Appending, sealing and verifying the audit log.

Appending is one INSERT in the caller's transaction: no lock, no read of the previous event, so
hundreds of votes a second do not queue behind one another. A worker seals new events into
hash-linked blocks every few seconds (``audit.seal``); only the sealer serialises, and it takes
a lock of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from participa.accounts.rules import Role
from participa.audit import rules
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.core import db
from participa.core.db import utcnow

if TYPE_CHECKING:
    from participa.accounts.models import User

SEAL_BATCH = 5000
SEAL_LOCK_KEY = 7_431_001  # pg advisory lock id of the sealer


def record(
    action: str,
    *,
    actor: Any | None,
    object_type: str,
    object_id: Any | None = None,
    payload: dict[str, Any] | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Append an event to the current transaction. The caller commits."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", actor),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        payload=payload or {},
    )
    sess = session or db.session()
    sess.add(event)
    if current_app.config["TASKS_EAGER"] and session is None:
        # Embedded mode has no beat: seal right after this transaction commits.
        db.after_commit(_seal_after_commit, once=True)
    return event


def _seal_after_commit() -> None:
    from participa.audit.tasks import seal_task

    seal_task.delay()


def _to_record(event: AuditEvent) -> rules.EventRecord:
    return rules.EventRecord(
        id=event.id,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        payload=event.payload,
    )


@dataclass(frozen=True)
class SealResult:
    block_id: int | None
    sealed: int


def _final_unsealed_events(session: Session, cursor_txid: int, cursor_id: int) -> sa.Select[tuple[AuditEvent]]:
    """On PostgreSQL: the unsealed events after the cursor whose transaction can no longer be
    running (below the snapshot's xmin), or that come from before a restore, in transaction
    order (see :func:`seal`)."""
    xmin, current = session.execute(
        sa.text("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint, (pg_current_xact_id()::text)::bigint")
    ).one()
    unsealed = ~sa.exists().where(AuditSeal.event_id == AuditEvent.id)
    after_cursor = sa.tuple_(AuditEvent.txid, AuditEvent.id) > sa.tuple_(sa.literal(cursor_txid), sa.literal(cursor_id))
    final = sa.or_(AuditEvent.txid < xmin, AuditEvent.txid > current)  # done here, or before a restore
    if current < cursor_txid:  # restored into a cluster whose ids restarted below the cursor
        candidates = sa.or_(after_cursor, sa.and_(AuditEvent.id > cursor_id, AuditEvent.txid < xmin))
    else:
        candidates = after_cursor
    return sa.select(AuditEvent).where(candidates, final, unsealed).order_by(AuditEvent.txid, AuditEvent.id)


def seal(session: Session) -> SealResult:
    """Seal committed, unsealed events into one new block. Safe to run concurrently and to
    re-run: a second sealer skips while the first holds the lock, and the cursor stored in each
    block means no event is sealed twice. The caller commits.

    On PostgreSQL only events of transactions that can no longer be running are taken
    (transaction id below the snapshot's xmin), in transaction order: an event whose transaction
    commits late is sealed in a later block, never skipped.

    After a restore into a new cluster the transaction ids start again below the cursor: the
    cluster's own id is then below the cursor's, and the events written since (ids above the
    cursor's, since the sequence was restored) are taken by id among the unsealed ones; events
    written before the dump and never sealed carry ids of the old cluster, above its current
    one, and count as final (issue #11).
    """
    if not db.try_transaction_lock(session, SEAL_LOCK_KEY):
        return SealResult(None, 0)
    postgres = db.is_postgresql(session)
    last = latest_block(session)
    cursor_txid = last.cursor_txid if last else 0
    cursor_id = last.cursor_event_id if last else 0
    if postgres:
        query = _final_unsealed_events(session, cursor_txid, cursor_id)
    else:
        query = sa.select(AuditEvent).where(AuditEvent.id > cursor_id).order_by(AuditEvent.id)
    events = list(session.execute(query.limit(SEAL_BATCH)).scalars())
    if not events:
        return SealResult(None, 0)
    block_id = (last.id + 1) if last else 1
    previous = last.block_hash if last else rules.GENESIS_HASH
    hashes = [rules.event_hash(_to_record(e)) for e in events]
    session.add(
        AuditBlock(
            id=block_id,
            previous_hash=previous,
            block_hash=rules.block_hash(block_id, previous, hashes),
            event_count=len(events),
            cursor_txid=(events[-1].txid or 0) if postgres else 0,
            cursor_event_id=events[-1].id,
        )
    )
    session.flush()
    session.execute(
        sa.insert(AuditSeal),
        [
            {"event_id": e.id, "block_id": block_id, "position": i, "event_hash": h}
            for i, (e, h) in enumerate(zip(events, hashes, strict=True))
        ],
    )
    return SealResult(block_id, len(events))


SealedBlock = tuple[rules.BlockRecord, list[tuple[rules.SealRecord, rules.EventRecord | None]]]


def _blocks(session: Session) -> Iterator[SealedBlock]:
    """Blocks in order with their seals and events, read as plain rows (no identity map), so
    that verifying a long log keeps memory flat."""
    blocks = session.execute(
        sa.select(AuditBlock.id, AuditBlock.previous_hash, AuditBlock.block_hash, AuditBlock.event_count).order_by(
            AuditBlock.id
        )
    ).all()
    for block in blocks:
        yield (
            rules.BlockRecord(block.id, block.previous_hash, block.block_hash, block.event_count),
            _seals_of(session, block.id),
        )


def _seals_of(session: Session, block_id: int) -> list[tuple[rules.SealRecord, rules.EventRecord | None]]:
    """A block's seals in position order, each beside the event it seals (``None`` if gone)."""
    e = AuditEvent.__table__.c
    rows = session.execute(
        sa.select(
            AuditSeal.event_id,
            AuditSeal.position,
            AuditSeal.event_hash,
            e.id.label("found_id"),
            e.occurred_at,
            e.actor_id,
            e.action,
            e.object_type,
            e.object_id,
            e.payload,
        )
        .join_from(AuditSeal, AuditEvent, AuditEvent.id == AuditSeal.event_id, isouter=True)
        .where(AuditSeal.block_id == block_id)
        .order_by(AuditSeal.position)
    ).all()
    return [
        (
            rules.SealRecord(row.event_id, row.position, row.event_hash),
            None
            if row.found_id is None
            else rules.EventRecord(
                row.found_id, row.occurred_at, row.actor_id, row.action, row.object_type, row.object_id, row.payload
            ),
        )
        for row in rows
    ]


def block_of_event(session: Session, event_id: int) -> AuditBlock | None:
    """The sealed block that covers an event, or ``None`` while it is unsealed."""
    return session.execute(
        sa.select(AuditBlock).join(AuditSeal, AuditSeal.block_id == AuditBlock.id).where(AuditSeal.event_id == event_id)
    ).scalar_one_or_none()


BLOCK_MISSING = "missing"
BLOCK_HASH_DIFFERS = "hash_differs"
BLOCK_BROKEN = "broken"
BLOCK_UNLINKED = "unlinked"


def check_block(session: Session, block_id: int, block_hash: str) -> str | None:
    """Whether one block, named by a certificate, is still in the sealed chain with this hash:
    its events against their seals, its hash, its link to the block before and the next
    block's link to it. ``None`` when it holds, else one of ``BLOCK_MISSING``,
    ``BLOCK_HASH_DIFFERS``, ``BLOCK_BROKEN`` (its events, seals, hash or link to the block
    before do not hold) or ``BLOCK_UNLINKED`` (the next block does not link to it). The whole
    chain is checked by ``flask audit verify``."""
    current = current_heads(session, [block_id - 1, block_id, block_id + 1])
    block = current.get(block_id)
    if block is None:
        return BLOCK_MISSING
    if block.block_hash != block_hash:
        return BLOCK_HASH_DIFFERS
    before = current.get(block_id - 1)
    if block_id > 1 and before is None:
        return BLOCK_BROKEN
    previous_hash = before.block_hash if before else rules.GENESIS_HASH
    if rules.block_break(block, _seals_of(session, block_id), previous_hash=previous_hash) is not None:
        return BLOCK_BROKEN
    after = current.get(block_id + 1)
    if after is not None and after.previous_hash != block.block_hash:
        return BLOCK_UNLINKED
    return None


@dataclass(frozen=True)
class Verification:
    ok: bool
    blocks: int
    events: int
    unsealed: int
    head: str
    first_break: rules.Break | None


# Events are sealed within seconds; one still unsealed after this long means sealing stopped (a
# sealer that cannot see them, as after a restore) or someone slipped it in past the sealer.
UNSEALED_GRACE = timedelta(minutes=10)


def verify(session: Session, *, now: datetime | None = None) -> Verification:
    """Check the whole chain and name the first broken link; events left unsealed beyond
    UNSEALED_GRACE also fail it."""
    first_break = next(rules.verify_chain(_blocks(session)), None)
    blocks = session.execute(sa.select(sa.func.count()).select_from(AuditBlock)).scalar_one()
    sealed = session.execute(sa.select(sa.func.count()).select_from(AuditSeal)).scalar_one()
    total = session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    if first_break is None and sealed > total:
        first_break = rules.Break(None, None, "hay sellos de eventos que ya no existen")
    if first_break is None:
        stale = session.execute(
            sa.select(sa.func.min(AuditEvent.id), sa.func.count()).where(
                ~sa.exists().where(AuditSeal.event_id == AuditEvent.id),
                AuditEvent.occurred_at < (now or utcnow()) - UNSEALED_GRACE,
            )
        ).one()
        if stale[1]:
            first_break = rules.Break(
                None,
                stale[0],
                f"{stale[1]} eventos siguen sin sellar después de {int(UNSEALED_GRACE.total_seconds() // 60)} "
                "minutos: el sellado se detuvo o alguien los agregó por fuera",
            )
    return Verification(
        ok=first_break is None,
        blocks=blocks,
        events=sealed,
        unsealed=max(total - sealed, 0),
        head=head(session),
        first_break=first_break,
    )


def recent_events(session: Session, *, actor: User, before: int | None, limit: int) -> list[AuditEvent]:
    """The log's events newest first, below event ``before`` when given: for admins and
    certifiers, who audit it (DESIGN §4, Audit); the public sees the blocks' heads."""
    if not (actor.has_role(Role.ADMIN) or actor.has_role(Role.CERTIFIER)):
        raise PermissionError("forbidden")
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before:
        query = query.where(AuditEvent.id < before)
    return list(session.execute(query).scalars())


def head(session: Session) -> str:
    """The public head: the hash of the newest block."""
    value = session.execute(sa.select(AuditBlock.block_hash).order_by(AuditBlock.id.desc()).limit(1)).scalar()
    return value or rules.GENESIS_HASH


def latest_block(session: Session) -> AuditBlock | None:
    return session.execute(sa.select(AuditBlock).order_by(AuditBlock.id.desc()).limit(1)).scalar()


# --- the public list of blocks and heads saved by anyone ----------------------------------------

BLOCK_COLUMNS = (
    AuditBlock.id,
    AuditBlock.sealed_at,
    AuditBlock.event_count,
    AuditBlock.previous_hash,
    AuditBlock.block_hash,
)


def block_total(session: Session) -> int:
    """How many blocks are sealed. Blocks are numbered 1, 2, 3... with no gap (the verifier
    checks it), so this is the newest block's number: one index lookup, however long the log."""
    return session.execute(sa.select(sa.func.coalesce(sa.func.max(AuditBlock.id), 0))).scalar_one()


def blocks_newest_first(session: Session, *, up_to: int, limit: int) -> list[sa.Row[Any]]:
    """At most ``limit`` blocks numbered ``up_to`` or lower, newest first (a page of the list)."""
    return list(
        session.execute(
            sa.select(*BLOCK_COLUMNS).where(AuditBlock.id <= up_to).order_by(AuditBlock.id.desc()).limit(limit)
        )
    )


def iter_blocks(session: Session, *, after: int = 0, up_to: int, chunk: int = 1000) -> Iterator[sa.Row[Any]]:
    """Blocks numbered above ``after`` and up to ``up_to``, oldest first, read ``chunk`` at a time
    by number (each read is an index range), so that the list streams in flat memory."""
    last = after
    while last < up_to:
        rows = session.execute(
            sa.select(*BLOCK_COLUMNS)
            .where(AuditBlock.id > last, AuditBlock.id <= up_to)
            .order_by(AuditBlock.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def block_item(row: sa.Row[Any]) -> dict[str, Any]:
    """One block as the public JSON carries it: times in UTC, ISO 8601."""
    return {
        "id": row.id,
        "sealed_at": row.sealed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "event_count": row.event_count,
        "previous_hash": row.previous_hash,
        "block_hash": row.block_hash,
    }


def current_heads(session: Session, block_ids: Iterable[int], *, chunk: int = 1000) -> dict[int, rules.BlockRecord]:
    """The blocks with these numbers as they are now (absent ones are left out)."""
    wanted = sorted(set(block_ids))
    found: dict[int, rules.BlockRecord] = {}
    for start in range(0, len(wanted), chunk):
        rows = session.execute(
            sa.select(AuditBlock.id, AuditBlock.previous_hash, AuditBlock.block_hash, AuditBlock.event_count).where(
                AuditBlock.id.in_(wanted[start : start + chunk])
            )
        )
        for row in rows:
            found[row.id] = rules.BlockRecord(row.id, row.previous_hash, row.block_hash, row.event_count)
    return found


def check_saved_heads(session: Session, saved: list[rules.SavedHead]) -> list[rules.HeadMismatch]:
    """Each saved head (what a citizen downloaded earlier) that the chain no longer passes through."""
    return rules.compare_heads(saved, current_heads(session, (head.block_id for head in saved)))
