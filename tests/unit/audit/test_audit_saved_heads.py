"""participa.audit.rules: reading heads that someone saved and checking that the chain still
passes through them."""

from __future__ import annotations

import json

import pytest

from participa.audit.rules import (
    GENESIS_HASH,
    HEAD_DIFFERENT,
    HEAD_MISSING,
    HEAD_PREVIOUS_DIFFERENT,
    BlockRecord,
    HeadMismatch,
    SavedHead,
    SavedHeadsError,
    block_hash,
    compare_heads,
    parse_saved_heads,
)


def chain(count: int) -> dict[int, BlockRecord]:
    """Blocks 1..count, linked, as they are now in the database."""
    blocks: dict[int, BlockRecord] = {}
    previous = GENESIS_HASH
    for block_id in range(1, count + 1):
        digest = block_hash(block_id, previous, [f"{block_id:064x}"])
        blocks[block_id] = BlockRecord(block_id, previous, digest, 1)
        previous = digest
    return blocks


def saved_from(blocks: dict[int, BlockRecord], *ids: int, with_previous: bool = False) -> list[SavedHead]:
    return [
        SavedHead(i, blocks[i].block_hash, blocks[i].previous_hash if with_previous else None) for i in (ids or blocks)
    ]


def download(blocks: dict[int, BlockRecord]) -> str:
    """The JSON of /auditoria/bloques.json for these blocks."""
    return json.dumps(
        {
            "format": "participa-audit-blocks/1",
            "genesis_hash": GENESIS_HASH,
            "block_count": len(blocks),
            "blocks": [
                {
                    "id": b.id,
                    "sealed_at": "2026-12-01T15:04:05.123456Z",
                    "event_count": b.event_count,
                    "previous_hash": b.previous_hash,
                    "block_hash": b.block_hash,
                }
                for b in blocks.values()
            ],
        }
    )


# --- compare_heads -----------------------------------------------------------------------------


def test_heads_saved_from_the_same_chain_all_match() -> None:
    blocks = chain(5)
    assert compare_heads(saved_from(blocks), blocks) == []
    assert compare_heads(saved_from(blocks, with_previous=True), blocks) == []


def test_an_older_head_still_matches_after_the_chain_grew() -> None:
    # A citizen saved block 3 when it was the newest; the chain went on to block 9.
    then = chain(3)
    now = chain(9)
    assert compare_heads(saved_from(then, 3), now) == []


def test_a_rewritten_and_resealed_chain_is_caught_at_the_saved_head() -> None:
    """Whoever rewrites block 2 and re-seals every later block gets a chain that verifies; the
    heads saved before the rewrite no longer match from block 2 on."""
    original = chain(4)
    rewritten = dict(original)
    previous = original[1].block_hash
    for block_id in range(2, 5):
        digest = block_hash(block_id, previous, ["f" * 64])
        rewritten[block_id] = BlockRecord(block_id, previous, digest, 1)
        previous = digest
    found = compare_heads(saved_from(original), rewritten)
    assert [(m.block_id, m.reason) for m in found] == [(2, HEAD_DIFFERENT), (3, HEAD_DIFFERENT), (4, HEAD_DIFFERENT)]
    assert found[0] == HeadMismatch(2, HEAD_DIFFERENT, original[2].block_hash, rewritten[2].block_hash)


def test_a_saved_block_that_no_longer_exists_is_missing() -> None:
    original = chain(4)
    shorter = {i: original[i] for i in (1, 2)}
    found = compare_heads(saved_from(original, 1, 3, 4), shorter)
    assert found == [
        HeadMismatch(3, HEAD_MISSING, original[3].block_hash, None),
        HeadMismatch(4, HEAD_MISSING, original[4].block_hash, None),
    ]


def test_a_changed_link_to_the_previous_block_is_named_when_the_saved_copy_has_it() -> None:
    blocks = chain(3)
    relinked = dict(blocks)
    relinked[2] = BlockRecord(2, "e" * 64, blocks[2].block_hash, 1)
    found = compare_heads(saved_from(blocks, 2, with_previous=True), relinked)
    assert found == [HeadMismatch(2, HEAD_PREVIOUS_DIFFERENT, blocks[1].block_hash, "e" * 64)]
    # Without the saved link, only the block's own hash is compared.
    assert compare_heads(saved_from(blocks, 2), relinked) == []


def test_only_the_blocks_saved_need_to_be_given() -> None:
    blocks = chain(6)
    assert compare_heads(saved_from(blocks, 5), {5: blocks[5]}) == []


def test_mismatches_come_in_block_order_once_each() -> None:
    blocks = chain(3)
    wrong = SavedHead(2, "a" * 64)
    found = compare_heads([SavedHead(3, "b" * 64), wrong, wrong], blocks)
    assert [m.block_id for m in found] == [2, 3]


def test_two_saved_copies_that_disagree_are_each_checked() -> None:
    blocks = chain(2)
    found = compare_heads([SavedHead(2, blocks[2].block_hash), SavedHead(2, "c" * 64)], blocks)
    assert found == [HeadMismatch(2, HEAD_DIFFERENT, "c" * 64, blocks[2].block_hash)]


def test_nothing_saved_nothing_to_report() -> None:
    assert compare_heads([], chain(2)) == []


# --- parse_saved_heads -------------------------------------------------------------------------


def test_reads_the_json_download() -> None:
    blocks = chain(3)
    assert parse_saved_heads(download(blocks)) == saved_from(blocks, with_previous=True)


def test_reads_a_list_of_block_objects_and_the_block_id_spelling() -> None:
    blocks = chain(2)
    text = json.dumps([{"block_id": 2, "block_hash": blocks[2].block_hash}])
    assert parse_saved_heads(text) == [SavedHead(2, blocks[2].block_hash)]


def test_reads_lines_of_number_and_hash_with_comments_blank_lines_and_separators() -> None:
    h1, h2, h3 = "a" * 64, "B" * 64, "c" * 64
    text = f"\ufeff# saved on 1 December\n\n1 {h1}\n  2\t{h2}  # the newest then\n3,{h3}\r\n"
    assert parse_saved_heads(text) == [SavedHead(1, h1), SavedHead(2, "b" * 64), SavedHead(3, h3)]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("1 abc", "línea 1"),
        (f"x {'a' * 64}", "línea 1"),
        (f"0 {'a' * 64}", "línea 1"),
        (f"-2 {'a' * 64}", "línea 1"),
        (f"1 {'a' * 64}\n2 {'g' * 64}", "línea 2"),
        (f"1 {'a' * 64} extra", "línea 1"),
        ("1", "línea 1"),
        (json.dumps({"blocks": [{"id": 1}]}), "bloque 1 de la lista"),
        (json.dumps({"blocks": [{"id": "uno", "block_hash": "a" * 64}]}), "bloque 1 de la lista"),
        (json.dumps({"blocks": [{"id": True, "block_hash": "a" * 64}]}), "bloque 1 de la lista"),
        (json.dumps([{"id": 1, "block_hash": "a" * 64}, {"id": 2, "block_hash": "a" * 63}]), "bloque 2 de la lista"),
        (json.dumps([{"id": 1, "block_hash": "a" * 64, "previous_hash": 5}]), "bloque 1 de la lista"),
        (json.dumps({"heads": []}), "/auditoria/bloques.json"),
        ("{not json", "JSON válido"),
    ],
)
def test_a_malformed_file_is_refused_naming_where(text: str, where: str) -> None:
    with pytest.raises(SavedHeadsError, match=where):
        parse_saved_heads(text)


@pytest.mark.parametrize("text", ["", "\n# nothing saved\n", json.dumps({"blocks": []}), "[]"])
def test_a_file_with_no_head_is_refused(text: str) -> None:
    with pytest.raises(SavedHeadsError, match="ninguna cabeza"):
        parse_saved_heads(text)


def test_unicode_digits_are_not_block_numbers() -> None:
    with pytest.raises(SavedHeadsError, match="línea 1"):
        parse_saved_heads(f"² {'a' * 64}")
