"""participa.core.canonical: the byte-exact JSON that audit hashes are computed over."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participa.core.canonical import canonical_json, sha256_hex

CHILE_SUMMER = timezone(timedelta(hours=-3))
CHILE_WINTER = timezone(timedelta(hours=-4))


class Colour(Enum):
    RED = "red"
    THREE = 3


class Kind(StrEnum):
    VOTE = "vote"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": 2}, b'{"a":2,"b":1}'),
        ({"z": {"y": 1, "x": 2}, "a": [3, 2, 1]}, b'{"a":[3,2,1],"z":{"x":2,"y":1}}'),
        ({"B": 1, "a": 2, "A": 3}, b'{"A":3,"B":1,"a":2}'),  # code point order, uppercase first
        ({"10": 1, "9": 2, "1": 3}, b'{"1":3,"10":1,"9":2}'),  # string order, not numeric
    ],
)
def test_canonical_json_sorts_keys_at_every_level(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 2, 3], b"[1,2,3]"),
        ({"a": [1, {"b": None}]}, b'{"a":[1,{"b":null}]}'),
        ({"k": "a b"}, b'{"k":"a b"}'),  # spaces inside strings are data, kept
        ([], b"[]"),
        ({}, b"{}"),
        ([True, False, None], b"[true,false,null]"),
    ],
)
def test_canonical_json_has_no_insignificant_whitespace(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_canonical_json_keeps_non_ascii_as_utf8_not_escapes() -> None:
    out = canonical_json({"comuna": "Ñuñoa", "nota": "año 2025 — €"})
    assert out == '{"comuna":"Ñuñoa","nota":"año 2025 — €"}'.encode()
    assert b"\\u" not in out
    assert "Ñuñoa".encode() in out


def test_canonical_json_returns_bytes() -> None:
    assert isinstance(canonical_json({"a": 1}), bytes)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.10"), b'"1.10"'),  # trailing zero kept: the exact decimal, not a float
        (Decimal("0.1"), b'"0.1"'),
        (Decimal("-12345678901234567890.123456789"), b'"-12345678901234567890.123456789"'),
        (Decimal("1E+2"), b'"1E+2"'),
        ({"monto": Decimal("1500000")}, b'{"monto":"1500000"}'),
    ],
)
def test_canonical_json_writes_decimals_as_strings(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2025, 1, 1, 12, 0, tzinfo=UTC), b'"2025-01-01T12:00:00Z"'),
        (datetime(2025, 1, 1, 9, 0, tzinfo=CHILE_SUMMER), b'"2025-01-01T12:00:00Z"'),
        (datetime(2025, 7, 1, 20, 30, tzinfo=CHILE_WINTER), b'"2025-07-02T00:30:00Z"'),
        (datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC), b'"2025-01-01T12:00:00.123456Z"'),
        (datetime(2025, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), b'"2025-01-01T12:00:00Z"'),
    ],
)
def test_canonical_json_writes_aware_datetimes_in_utc_with_z(value: datetime, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_canonical_json_gives_the_same_bytes_for_the_same_instant_in_any_zone() -> None:
    instant = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert canonical_json({"at": instant}) == canonical_json({"at": instant.astimezone(CHILE_WINTER)})


def test_canonical_json_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical_json({"at": datetime(2025, 1, 1, 12, 0)})


def test_canonical_json_writes_dates_in_iso_form() -> None:
    assert canonical_json({"d": date(2025, 2, 3)}) == b'{"d":"2025-02-03"}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Colour.RED, b'"red"'), (Colour.THREE, b"3"), (Kind.VOTE, b'"vote"')],
)
def test_canonical_json_writes_enums_as_their_value(value: Enum, expected: bytes) -> None:
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {1, 2},
        object(),
        b"bytes",
        {"nested": {"deeper": frozenset()}},
        [complex(1, 2)],
    ],
    ids=["set", "object", "bytes", "nested-frozenset", "complex"],
)
def test_canonical_json_rejects_unknown_types(value: Any) -> None:
    with pytest.raises(TypeError, match="not serialisable in canonical JSON"):
        canonical_json(value)


# --- determinism -----------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones())
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=25,
)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same data with every dict rebuilt in a random insertion order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def test_canonical_json_of_a_whole_record_is_exactly_these_bytes() -> None:
    # Every rule at once, spelled out byte by byte: a change of form anywhere changes every
    # hash already published, so it must show here.
    record = {
        "consultation": 12,
        "organisation": 345,
        "at": datetime(2025, 7, 1, 20, 30, 5, 250000, tzinfo=CHILE_WINTER),
        "answers": {"9": "abstain", "10": "approve"},
        "weight": Decimal("3.162278"),
        "comuna": "Ñuñoa",
        "nota": "año — €",
        "by": None,
        "flags": [True, False],
        "kind": Kind.VOTE,
        "cutoff": date(2025, 6, 30),
    }
    assert canonical_json(record) == (
        b'{"answers":{"10":"approve","9":"abstain"},"at":"2025-07-02T00:30:05.250000Z","by":null,'
        b'"comuna":"\xc3\x91u\xc3\xb1oa","consultation":12,"cutoff":"2025-06-30","flags":[true,false],'
        b'"kind":"vote","nota":"a\xc3\xb1o \xe2\x80\x94 \xe2\x82\xac","organisation":345,"weight":"3.162278"}'
    )


@given(json_values, st.randoms(use_true_random=False))
def test_canonical_json_ignores_dict_insertion_order(value: Any, rng: random.Random) -> None:
    assert canonical_json(_shuffled(value, rng)) == canonical_json(value)


@given(json_values)
def test_canonical_json_is_valid_utf8_json_and_a_fixed_point(value: Any) -> None:
    out = canonical_json(value)
    reparsed = json.loads(out.decode("utf-8"))
    # Once decimals and datetimes are strings, canonicalising again changes nothing.
    assert canonical_json(reparsed) == out


# --- sha256_hex ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "digest"),
    [
        (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ],
)
def test_sha256_hex_matches_published_test_vectors(data: bytes, digest: str) -> None:
    assert sha256_hex(data) == digest
