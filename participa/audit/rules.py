"""How events and blocks are hashed, and how a chain is checked. Pure functions.

An event's hash covers its sequence number, time, actor, action, object and payload. A block's
hash covers its number, the previous block's hash and its events' hashes in order, so changing,
removing or reordering any sealed event breaks its block, and rewriting a block breaks every
later one (DESIGN §4, Audit).

Whoever holds the database could still rewrite an event and re-seal every block from there on:
the chain would check as intact. Every block's head is public (/auditoria/bloques), so a head
saved earlier by anyone catches that: :func:`compare_heads` names each saved head the chain no
longer passes through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
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
        broken = block_break(block, seals, previous_hash=previous)
        if broken is not None:
            yield broken
            return
        previous = block.block_hash
        expected_id += 1


def block_break(
    block: BlockRecord, seals: list[tuple[SealRecord, EventRecord | None]], *, previous_hash: str
) -> Break | None:
    """What is wrong with one block, given the hash of the block before it: its link, its
    events against their seals, its own hash; ``None`` when it holds."""
    if block.previous_hash != previous_hash:
        return Break(block.id, None, "el enlace con el bloque anterior no coincide")
    if len(seals) != block.event_count:
        return Break(block.id, None, "el número de eventos del bloque no coincide")
    for seal, event in seals:
        if event is None:
            return Break(block.id, seal.event_id, "el evento sellado ya no existe")
        if event_hash(event) != seal.event_hash:
            return Break(block.id, event.id, "el contenido del evento no coincide con su sello")
    if block_hash(block.id, block.previous_hash, (s.event_hash for s, _ in seals)) != block.block_hash:
        return Break(block.id, None, "el hash del bloque no coincide con sus eventos")
    return None


# --- heads that someone saved ------------------------------------------------------------------

HEAD_MISSING = "el bloque ya no existe en la cadena"
HEAD_DIFFERENT = "el hash del bloque no coincide con el guardado"
HEAD_PREVIOUS_DIFFERENT = "el enlace con el bloque anterior no coincide con el guardado"

_HEX = frozenset("0123456789abcdef")


class SavedHeadsError(ValueError):
    """A file of saved heads that cannot be read; the message says where and why."""


@dataclass(frozen=True)
class SavedHead:
    """A block head that someone saved: the block's number, its hash and, when the saved copy
    carries it (the JSON download does), the hash of the block before it."""

    block_id: int
    block_hash: str
    previous_hash: str | None = None


@dataclass(frozen=True)
class HeadMismatch:
    """A saved head the chain no longer passes through: which block, why, and both hashes."""

    block_id: int
    reason: str
    saved: str
    current: str | None


def _hash(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value.strip()) != 64 or not set(value.strip().lower()) <= _HEX:
        raise SavedHeadsError(f"{where}: el hash debe tener 64 caracteres hexadecimales")
    return value.strip().lower()


def _block_id(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SavedHeadsError(f"{where}: el número de bloque debe ser un entero positivo")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SavedHeadsError(f"{where}: el número de bloque debe ser un entero positivo")
    return int(text)


def _heads_from_json(data: Any) -> list[SavedHead]:
    items = data.get("blocks") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise SavedHeadsError('el JSON debe ser el de /auditoria/bloques.json (un objeto con "blocks") o una lista')
    heads = []
    for index, item in enumerate(items, start=1):
        where = f"bloque {index} de la lista"
        if not isinstance(item, dict) or "block_hash" not in item or not ("id" in item or "block_id" in item):
            raise SavedHeadsError(f'{where}: se esperaba un objeto con "id" y "block_hash"')
        previous = item.get("previous_hash")
        heads.append(
            SavedHead(
                block_id=_block_id(item.get("id", item.get("block_id")), where),
                block_hash=_hash(item["block_hash"], where),
                previous_hash=None if previous is None else _hash(previous, where),
            )
        )
    return heads


def _heads_from_lines(text: str) -> list[SavedHead]:
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        fields = content.replace(",", " ").replace(";", " ").split()
        where = f"línea {number}"
        if len(fields) != 2:
            raise SavedHeadsError(f"{where}: se esperaba «número_de_bloque hash»")
        heads.append(SavedHead(_block_id(fields[0], where), _hash(fields[1], where)))
    return heads


def parse_saved_heads(text: str) -> list[SavedHead]:
    """Read saved heads: the JSON of /auditoria/bloques.json (or a list of its block objects), or
    lines ``block_id hash`` (blank lines and ``#`` comments are skipped). Raises
    :class:`SavedHeadsError` naming the line or list item that is wrong, or when there is none."""
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SavedHeadsError(f"el archivo no es un JSON válido: {error}") from None
        heads = _heads_from_json(data)
    else:
        heads = _heads_from_lines(text)
    if not heads:
        raise SavedHeadsError("el archivo no contiene ninguna cabeza guardada")
    return heads


def compare_heads(saved: Iterable[SavedHead], current: Mapping[int, BlockRecord]) -> list[HeadMismatch]:
    """Each saved head the chain does not pass through, in block order: the block is missing,
    its hash differs or (when the saved copy has it) the hash it links to differs.

    ``current`` maps block numbers to the blocks as they are now; it needs to hold only the
    saved numbers. An empty answer means the chain still passes through every saved head."""
    mismatches: set[HeadMismatch] = set()
    for head in saved:
        block = current.get(head.block_id)
        if block is None:
            mismatches.add(HeadMismatch(head.block_id, HEAD_MISSING, head.block_hash, None))
        elif block.block_hash != head.block_hash:
            mismatches.add(HeadMismatch(head.block_id, HEAD_DIFFERENT, head.block_hash, block.block_hash))
        elif head.previous_hash is not None and block.previous_hash != head.previous_hash:
            mismatches.add(
                HeadMismatch(head.block_id, HEAD_PREVIOUS_DIFFERENT, head.previous_hash, block.previous_hash)
            )
    return sorted(mismatches, key=lambda m: (m.block_id, m.reason, m.saved))
