"""participa.audit.rules: event and block hashes, and checking the hash chain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from participa.audit.rules import (
    GENESIS_HASH,
    BlockRecord,
    Break,
    EventRecord,
    SealRecord,
    block_hash,
    event_hash,
    verify_chain,
)

T0 = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)

Chain = list[tuple[BlockRecord, list[tuple[SealRecord, EventRecord | None]]]]

TAMPERED = "el contenido del evento no coincide con su sello"
MISSING_EVENT = "el evento sellado ya no existe"
BAD_LINK = "el enlace con el bloque anterior no coincide"
BAD_COUNT = "el número de eventos del bloque no coincide"
BAD_BLOCK_HASH = "el hash del bloque no coincide con sus eventos"


def make_event(event_id: int, **changes: Any) -> EventRecord:
    event = EventRecord(
        id=event_id,
        occurred_at=T0 + timedelta(seconds=event_id),
        actor_id=7,
        action="project.submitted",
        object_type="project",
        object_id=str(100 + event_id),
        payload={"comuna": "Ñuñoa", "monto": "1500000", "n": event_id},
    )
    return replace(event, **changes)


def build_chain(sizes: list[int]) -> Chain:
    """A well-formed chain: block i+1 holds sizes[i] events, ids counting up from 1."""
    chain: Chain = []
    previous = GENESIS_HASH
    next_event = 1
    for block_id, size in enumerate(sizes, start=1):
        events = [make_event(next_event + k) for k in range(size)]
        next_event += size
        seals = [SealRecord(e.id, pos, event_hash(e)) for pos, e in enumerate(events)]
        digest = block_hash(block_id, previous, [s.event_hash for s in seals])
        block = BlockRecord(block_id, previous, digest, len(seals))
        chain.append((block, list(zip(seals, events, strict=True))))
        previous = digest
    return chain


def breaks(chain: Chain) -> list[Break]:
    return list(verify_chain(chain))


# --- event_hash ------------------------------------------------------------------------------


def test_event_hash_is_64_lowercase_hex() -> None:
    digest = event_hash(make_event(1))
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_event_hash_is_sha256_of_the_events_canonical_json() -> None:
    # Written out, so that a change of what an event's hash covers, or of its form, shows here.
    covered = (
        '{"action":"project.submitted","actor":7,"at":"2025-05-01T10:00:01Z","id":1,'
        '"object":["project","101"],"payload":{"comuna":"Ñuñoa","monto":"1500000","n":1}}'
    )
    assert event_hash(make_event(1)) == hashlib.sha256(covered.encode("utf-8")).hexdigest()


def test_event_hash_ignores_payload_key_order() -> None:
    a = make_event(1, payload={"a": 1, "b": 2})
    b = make_event(1, payload={"b": 2, "a": 1})
    assert event_hash(a) == event_hash(b)


def test_event_hash_depends_on_the_instant_not_the_time_zone() -> None:
    chile = timezone(timedelta(hours=-4))
    assert event_hash(make_event(1, occurred_at=T0)) == event_hash(make_event(1, occurred_at=T0.astimezone(chile)))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 2},
        {"occurred_at": T0 + timedelta(seconds=1, microseconds=1)},
        {"actor_id": 8},
        {"actor_id": None},
        {"action": "project.approved"},
        {"object_type": "vote"},
        {"object_id": "999"},
        {"object_id": None},
        {"payload": {}},
        {"payload": {"comuna": "Ñuñoa", "monto": "1500001", "n": 1}},
        {"payload": {"comuna": "Nunoa", "monto": "1500000", "n": 1}},
        {"payload": {"comuna": "Ñuñoa", "monto": "1500000", "n": 1, "extra": None}},
    ],
    ids=lambda c: ",".join(c),
)
def test_event_hash_changes_when_any_field_changes(changes: dict[str, Any]) -> None:
    original = make_event(1)
    assert event_hash(replace(original, **changes)) != event_hash(original)


def test_event_hash_keeps_object_type_and_id_apart() -> None:
    # The object is hashed as a pair, so moving characters between its parts changes the hash.
    a = make_event(1, object_type="project", object_id="12")
    b = make_event(1, object_type="project1", object_id="2")
    assert event_hash(a) != event_hash(b)


def test_event_hash_rejects_naive_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        event_hash(make_event(1, occurred_at=datetime(2025, 5, 1, 10, 0)))


# --- block_hash ------------------------------------------------------------------------------

H1, H2, H3 = ("a" * 64, "b" * 64, "c" * 64)


def test_block_hash_is_sha256_of_number_previous_and_event_hashes_one_per_line() -> None:
    body = f"3\n{GENESIS_HASH}\n{H1}\n{H2}".encode("ascii")
    assert block_hash(3, GENESIS_HASH, [H1, H2]) == hashlib.sha256(body).hexdigest()


def test_block_hash_of_an_empty_block_covers_number_and_previous() -> None:
    expected = hashlib.sha256(f"1\n{GENESIS_HASH}\n".encode("ascii")).hexdigest()
    assert block_hash(1, GENESIS_HASH, []) == expected


def test_block_hash_is_deterministic_and_accepts_any_iterable() -> None:
    assert block_hash(1, GENESIS_HASH, [H1, H2]) == block_hash(1, GENESIS_HASH, iter((H1, H2)))


@pytest.mark.parametrize(
    ("block_id", "previous", "hashes"),
    [
        (2, GENESIS_HASH, [H1, H2]),  # another number
        (1, "f" * 64, [H1, H2]),  # another previous block
        (1, GENESIS_HASH, [H2, H1]),  # events reordered
        (1, GENESIS_HASH, [H1]),  # an event removed
        (1, GENESIS_HASH, [H1, H2, H3]),  # an event added
        (1, GENESIS_HASH, [H1, H3]),  # an event replaced
        (1, GENESIS_HASH, []),
    ],
)
def test_block_hash_changes_with_number_previous_or_events(block_id: int, previous: str, hashes: list[str]) -> None:
    assert block_hash(block_id, previous, hashes) != block_hash(1, GENESIS_HASH, [H1, H2])


def test_the_first_block_links_to_64_zeros_as_published() -> None:
    # /auditoria/bloques tells whoever checks the chain that the first block links to 64 zeros.
    zeros = "0" * 64
    event = make_event(1)
    seal = SealRecord(event.id, 0, event_hash(event))
    block = BlockRecord(1, zeros, block_hash(1, zeros, [seal.event_hash]), 1)
    assert breaks([(block, [(seal, event)])]) == []


# --- verify_chain: well-formed chains ---------------------------------------------------------


@pytest.mark.parametrize("sizes", [[], [1], [3], [2, 0, 4], [1, 1, 1, 1, 1], [5, 3, 1]])
def test_verify_chain_finds_no_break_in_a_well_formed_chain(sizes: list[int]) -> None:
    assert breaks(build_chain(sizes)) == []


def test_build_chain_links_each_block_to_the_previous_one() -> None:
    # Guards the helper: a chain that is not actually linked would make the tests vacuous.
    chain = build_chain([2, 2, 2])
    assert chain[0][0].previous_hash == GENESIS_HASH
    assert chain[1][0].previous_hash == chain[0][0].block_hash
    assert chain[2][0].previous_hash == chain[1][0].block_hash


def test_verify_chain_accepts_a_generator() -> None:
    assert list(verify_chain(iter(build_chain([2, 2])))) == []


# --- verify_chain: breaks --------------------------------------------------------------------


def _with_block(chain: Chain, index: int, block: BlockRecord) -> Chain:
    chain = list(chain)
    chain[index] = (block, chain[index][1])
    return chain


def _with_seals(chain: Chain, index: int, seals: list[tuple[SealRecord, EventRecord | None]]) -> Chain:
    chain = list(chain)
    chain[index] = (chain[index][0], seals)
    return chain


def test_verify_chain_names_block_and_event_of_a_tampered_event() -> None:
    chain = build_chain([2, 3, 2])
    seals = chain[1][1]
    seal, event = seals[1]
    assert event is not None
    tampered = replace(event, payload={**event.payload, "monto": "9999999"})
    chain = _with_seals(chain, 1, [seals[0], (seal, tampered), seals[2]])
    assert breaks(chain) == [Break(2, event.id, TAMPERED)]


@pytest.mark.parametrize(
    "changes",
    [{"actor_id": 1}, {"action": "vote.cast"}, {"occurred_at": T0}, {"object_id": "x"}],
    ids=lambda c: ",".join(c),
)
def test_verify_chain_detects_a_change_to_any_event_field(changes: dict[str, Any]) -> None:
    chain = build_chain([3])
    seals = chain[0][1]
    seal, event = seals[2]
    assert event is not None
    chain = _with_seals(chain, 0, [*seals[:2], (seal, replace(event, **changes))])
    assert breaks(chain) == [Break(1, event.id, TAMPERED)]


def test_verify_chain_names_block_and_sealed_event_id_when_an_event_is_missing() -> None:
    chain = build_chain([2, 3])
    seals = chain[1][1]
    seal, _ = seals[0]
    chain = _with_seals(chain, 1, [(seal, None), *seals[1:]])
    assert breaks(chain) == [Break(2, seal.event_id, MISSING_EVENT)]


def test_verify_chain_detects_a_wrong_previous_hash() -> None:
    chain = build_chain([1, 1, 1])
    block = chain[1][0]
    chain = _with_block(chain, 1, replace(block, previous_hash="f" * 64))
    assert breaks(chain) == [Break(2, None, BAD_LINK)]


def test_verify_chain_requires_the_first_block_to_follow_genesis() -> None:
    chain = build_chain([1, 1])
    chain = _with_block(chain, 0, replace(chain[0][0], previous_hash="1" * 64))
    assert breaks(chain) == [Break(1, None, BAD_LINK)]


@pytest.mark.parametrize("declared", [0, 1, 3, 4])
def test_verify_chain_detects_a_wrong_event_count(declared: int) -> None:
    chain = build_chain([2, 2])
    chain = _with_block(chain, 1, replace(chain[1][0], event_count=declared))
    assert breaks(chain) == [Break(2, None, BAD_COUNT)]


def test_verify_chain_detects_a_removed_seal_through_the_event_count() -> None:
    chain = build_chain([3])
    chain = _with_seals(chain, 0, chain[0][1][:2])
    assert breaks(chain) == [Break(1, None, BAD_COUNT)]


def test_verify_chain_detects_a_wrong_block_hash() -> None:
    chain = build_chain([2, 2, 2])
    chain = _with_block(chain, 2, replace(chain[2][0], block_hash="e" * 64))
    assert breaks(chain) == [Break(3, None, BAD_BLOCK_HASH)]


def test_verify_chain_detects_reordered_events_through_the_block_hash() -> None:
    chain = build_chain([3])
    seals = chain[0][1]
    chain = _with_seals(chain, 0, [seals[1], seals[0], seals[2]])
    assert breaks(chain) == [Break(1, None, BAD_BLOCK_HASH)]


def test_verify_chain_detects_a_resealed_event_in_the_block_hash() -> None:
    # An event edited and its seal recomputed, but the block hash left alone.
    chain = build_chain([2])
    seals = chain[0][1]
    seal, event = seals[0]
    assert event is not None
    edited = replace(event, action="project.deleted")
    chain = _with_seals(chain, 0, [(replace(seal, event_hash=event_hash(edited)), edited), seals[1]])
    assert breaks(chain) == [Break(1, None, BAD_BLOCK_HASH)]


def test_rewriting_a_whole_block_breaks_the_link_of_the_next_one() -> None:
    chain = build_chain([2, 2, 2])
    block, seals = chain[0]
    seal, event = seals[0]
    assert event is not None
    edited = replace(event, payload={"forged": True})
    new_seal = replace(seal, event_hash=event_hash(edited))
    new_digest = block_hash(1, GENESIS_HASH, [new_seal.event_hash, seals[1][0].event_hash])
    chain = list(chain)
    chain[0] = (replace(block, block_hash=new_digest), [(new_seal, edited), seals[1]])
    assert breaks(chain) == [Break(2, None, BAD_LINK)]


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        ([0, 2], Break(3, None, "falta el bloque 2")),  # a block removed from the middle
        ([1, 2], Break(2, None, "falta el bloque 1")),  # the first block removed
        ([0, 1, 1], Break(2, None, "falta el bloque 3")),  # a block repeated
        ([0, 2, 1], Break(3, None, "falta el bloque 2")),  # blocks out of order
    ],
)
def test_verify_chain_detects_a_missing_block_number(keep: list[int], expected: Break) -> None:
    chain = build_chain([1, 1, 1])
    assert breaks([chain[i] for i in keep]) == [expected]


def test_verify_chain_does_not_notice_blocks_cut_from_the_end() -> None:
    # Documents the contract: a chain is checked as far as it goes.
    assert breaks(build_chain([1, 1, 1])[:2]) == []


def test_verify_chain_reports_only_the_first_break() -> None:
    chain = build_chain([2, 2, 2, 2])
    # Break block 2 (missing event), block 3 (bad block hash) and block 4 (bad link).
    seal, _ = chain[1][1][0]
    chain = _with_seals(chain, 1, [(seal, None), chain[1][1][1]])
    chain = _with_block(chain, 2, replace(chain[2][0], block_hash="e" * 64))
    chain = _with_block(chain, 3, replace(chain[3][0], previous_hash="d" * 64))
    assert breaks(chain) == [Break(2, seal.event_id, MISSING_EVENT)]


def test_verify_chain_reports_the_first_broken_event_within_a_block() -> None:
    chain = build_chain([3])
    seals = chain[0][1]
    first_seal, _ = seals[1]
    last_seal, last_event = seals[2]
    assert last_event is not None
    chain = _with_seals(chain, 0, [seals[0], (first_seal, None), (last_seal, replace(last_event, actor_id=None))])
    assert breaks(chain) == [Break(1, first_seal.event_id, MISSING_EVENT)]


def test_verify_chain_stops_reading_blocks_after_the_first_break() -> None:
    chain = build_chain([1, 1, 1])
    chain = _with_block(chain, 0, replace(chain[0][0], block_hash="e" * 64))
    read: list[int] = []

    def blocks() -> Iterator[tuple[BlockRecord, list[tuple[SealRecord, EventRecord | None]]]]:
        for item in chain:
            read.append(item[0].id)
            yield item

    assert list(verify_chain(blocks())) == [Break(1, None, BAD_BLOCK_HASH)]
    assert read == [1]
