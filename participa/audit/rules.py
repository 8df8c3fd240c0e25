"""How events and blocks are hashed, and how a chain is checked. Pure functions.

An event's hash covers its sequence number, time, actor, action, object and payload. A block's
hash covers its number, the previous block's hash and its events' hashes in order, so changing,
removing or reordering any sealed event breaks its block, and rewriting a block breaks every
later one (DESIGN §4, Audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from participa.core.canonical import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class EventRecord:
    id: int
    occurred_at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class SealRecord:
    event_id: int
    position: int
    event_hash: str


@dataclass(frozen=True)
class BlockRecord:
    id: int
    previous_hash: str
    block_hash: str
    event_count: int


@dataclass(frozen=True)
class Break:
    """The first broken link: where, and why in one sentence."""

    block_id: int | None
    event_id: int | None
    reason: str


def event_hash(event: EventRecord) -> str:
    return sha256_hex(
        canonical_json(
            {
                "id": event.id,
                "at": event.occurred_at,
                "actor": event.actor_id,
                "action": event.action,
                "object": [event.object_type, event.object_id],
                "payload": event.payload,
            }
        )
    )


def block_hash(block_id: int, previous_hash: str, event_hashes: Iterable[str]) -> str:
    body = f"{block_id}\n{previous_hash}\n" + "\n".join(event_hashes)
    return sha256_hex(body.encode("ascii"))


def verify_chain(
    blocks: Iterable[tuple[BlockRecord, list[tuple[SealRecord, EventRecord | None]]]],
) -> Iterator[Break]:
    """Yield the breaks of a chain, in order; the first one is the first broken link.

    ``blocks`` gives each block, in block order, with its seals in position order, each beside the
    event it seals (``None`` when that event no longer exists).
    """
    previous = GENESIS_HASH
    expected_id = 1
    for block, seals in blocks:
        if block.id != expected_id:
            yield Break(block.id, None, f"falta el bloque {expected_id}")
            return
        if block.previous_hash != previous:
            yield Break(block.id, None, "el enlace con el bloque anterior no coincide")
            return
        if len(seals) != block.event_count:
            yield Break(block.id, None, "el número de eventos del bloque no coincide")
            return
        for seal, event in seals:
            if event is None:
                yield Break(block.id, seal.event_id, "el evento sellado ya no existe")
                return
            if event_hash(event) != seal.event_hash:
                yield Break(block.id, event.id, "el contenido del evento no coincide con su sello")
                return
        if block_hash(block.id, block.previous_hash, (s.event_hash for s, _ in seals)) != block.block_hash:
            yield Break(block.id, None, "el hash del bloque no coincide con sus eventos")
            return
        previous = block.block_hash
        expected_id += 1
