"""participa.core.rut: módulo 11 check digit, normalisation to ``12345678-K``, display form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participa.core.rut import InvalidRut, check_digit, format_rut, normalize_rut

MAX_NUMBER = 999_999_999  # the normaliser accepts up to nine digits before the check digit


def oracle_check_digit(number: int) -> str:
    """An independent, deliberately plain módulo 11: weights 2, 3, 4, 5, 6, 7, 2, 3, ... applied
    to the digits read from the right; 11 - (sum mod 11), where 11 is written 0 and 10 is K."""
    digits = [int(c) for c in reversed(str(number))]
    weights = [2, 3, 4, 5, 6, 7]
    total = sum(d * weights[i % 6] for i, d in enumerate(digits))
    value = 11 - (total % 11)
    if value == 11:
        return "0"
    if value == 10:
        return "K"
    return str(value)


# Each case worked out by hand (digits from the right times 2, 3, 4, 5, 6, 7, 2, 3, 4):
HAND_COMPUTED = [
    # 1*2 = 2; 2 mod 11 = 2; 11 - 2 = 9
    (1, "9"),
    # 5*2 = 10; 11 - 10 = 1
    (5, "1"),
    # 6*2 = 12; 12 mod 11 = 1; 11 - 1 = 10 -> K
    (6, "K"),
    # 1*(2+3+4+5+6+7+2+3) = 32; 32 mod 11 = 10; 11 - 10 = 1
    (11_111_111, "1"),
    # 2*32 = 64; 64 mod 11 = 9; 11 - 9 = 2
    (22_222_222, "2"),
    # 8*2+7*3+6*4+5*5+4*6+3*7+2*2+1*3 = 16+21+24+25+24+21+4+3 = 138; 138 mod 11 = 6; 11 - 6 = 5
    (12_345_678, "5"),
    # 8*2+2*3+4*4+6*5+8*6+0*7+6*2+7*3 = 16+6+16+30+48+0+12+21 = 149; 149 mod 11 = 6; 11 - 6 = 5
    (76_086_428, "5"),
    # 4*2 + 1*3 = 11; 11 mod 11 = 0; 11 - 0 = 11 -> 0
    (10_000_004, "0"),
    # 3*2 + 1*3 + 1*3 = 12; 12 mod 11 = 1; 11 - 1 = 10 -> K
    (10_000_013, "K"),
    # 9*2+8*3+7*4+6*5+5*6+4*7+3*2+2*3+1*4 = 18+24+28+30+30+28+6+6+4 = 174; 174 mod 11 = 9; 11 - 9 = 2
    (123_456_789, "2"),
]


# --- check_digit -----------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "digit"), HAND_COMPUTED)
def test_check_digit_matches_hand_computed_value(number: int, digit: str) -> None:
    assert check_digit(number) == digit


@pytest.mark.parametrize(("number", "digit"), HAND_COMPUTED)
def test_oracle_agrees_with_hand_computed_value(number: int, digit: str) -> None:
    # Guards the oracle used by the property tests below.
    assert oracle_check_digit(number) == digit


@given(st.integers(min_value=1, max_value=MAX_NUMBER))
def test_check_digit_matches_independent_modulo_11(number: int) -> None:
    assert check_digit(number) == oracle_check_digit(number)


@given(st.integers(min_value=0, max_value=10**15))
def test_check_digit_is_always_a_single_digit_or_uppercase_k(number: int) -> None:
    assert check_digit(number) in set("0123456789K")


# --- normalize_rut: accepted spellings -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.345.678-5", "12345678-5"),
        ("12345678-5", "12345678-5"),
        ("123456785", "12345678-5"),
        ("12 345 678 5", "12345678-5"),
        ("  12.345.678-5  ", "12345678-5"),
        ("\t12.345.678-5\n", "12345678-5"),
        ("12.345.678\u20105", "12345678-5"),  # hyphen
        ("12.345.678\u20115", "12345678-5"),  # non-breaking hyphen
        ("12.345.678\u20135", "12345678-5"),  # en dash
        ("11.111.111-1", "11111111-1"),
        ("76.086.428-5", "76086428-5"),
        ("10.000.013-K", "10000013-K"),
        ("10.000.013-k", "10000013-K"),
        ("10000013k", "10000013-K"),
        ("6-k", "6-K"),
        ("10.000.004-0", "10000004-0"),
        ("1-9", "1-9"),
        ("123.456.789-2", "123456789-2"),
        # Leading zeros are dropped while the number still fits in nine digits.
        ("012.345.678-5", "12345678-5"),
        ("000000001-9", "1-9"),
    ],
)
def test_normalize_rut_accepts_usual_spellings(text: str, expected: str) -> None:
    assert normalize_rut(text) == expected


@pytest.mark.parametrize(("number", "digit"), HAND_COMPUTED)
def test_normalize_rut_of_hand_computed_rut_is_number_dash_digit(number: int, digit: str) -> None:
    assert normalize_rut(f"{number}-{digit}") == f"{number}-{digit}"


# --- normalize_rut: rejected text ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "   ",
        "-",
        ".",
        "5",  # a check digit with no number
        "K",
        "0-0",  # the number zero is not a RUT, even though 0 has check digit 0
        "000-0",
        "12.345.678-X",
        "12.345.678-KK",
        "12,345,678-5",
        "12/345/678-5",
        "12_345_678-5",
        "12.345.678-5a",
        "abc",
        "K5",
        "1234567890-1",  # ten digits before the check digit
        "0012345678-5",  # ten characters before the check digit, even if they are zeros
    ],
)
def test_normalize_rut_rejects_malformed_text_with_reason_format(text: str | None) -> None:
    with pytest.raises(InvalidRut) as caught:
        normalize_rut(text)  # type: ignore[arg-type]
    assert caught.value.reason == "format"


@pytest.mark.parametrize(
    "text",
    [
        "12.345.678-4",
        "12.345.678-K",
        "12.345.678-0",
        "11.111.111-0",
        "76.086.428-4",
        "10.000.013-0",
        "10.000.004-K",
        "6-9",
        "1-K",
    ],
)
def test_normalize_rut_rejects_wrong_check_digit_with_reason_check_digit(text: str) -> None:
    with pytest.raises(InvalidRut) as caught:
        normalize_rut(text)
    assert caught.value.reason == "check_digit"


def test_invalid_rut_is_a_value_error_carrying_its_reason_as_message() -> None:
    error = InvalidRut("format")
    assert isinstance(error, ValueError)
    assert error.reason == "format"
    assert str(error) == "format"


# --- normalize_rut: properties ---------------------------------------------------------------


@given(st.integers(min_value=1, max_value=MAX_NUMBER))
def test_normalize_rut_accepts_every_number_with_its_true_check_digit(number: int) -> None:
    digit = oracle_check_digit(number)
    assert normalize_rut(f"{number}-{digit}") == f"{number}-{digit}"


@given(st.integers(min_value=1, max_value=MAX_NUMBER), st.sampled_from(list("0123456789Kk")))
def test_normalize_rut_rejects_every_other_check_digit(number: int, digit: str) -> None:
    if digit.upper() == oracle_check_digit(number):
        assert normalize_rut(f"{number}-{digit}") == f"{number}-{digit.upper()}"
    else:
        with pytest.raises(InvalidRut) as caught:
            normalize_rut(f"{number}-{digit}")
        assert caught.value.reason == "check_digit"


@given(
    st.integers(min_value=1, max_value=MAX_NUMBER),
    st.sampled_from(["-", " - ", "", " ", "\u2010", "\u2013"]),
    st.booleans(),
    st.booleans(),
)
def test_normalize_rut_gives_the_same_result_for_any_usual_spelling(
    number: int, dash: str, with_dots: bool, lowercase: bool
) -> None:
    digit = oracle_check_digit(number)
    body = f"{number:,}".replace(",", ".") if with_dots else str(number)
    shown_digit = digit.lower() if lowercase else digit
    assert normalize_rut(f"{body}{dash}{shown_digit}") == f"{number}-{digit}"


@given(st.integers(min_value=1, max_value=MAX_NUMBER))
def test_normalize_rut_is_idempotent(number: int) -> None:
    once = normalize_rut(f"{number}{oracle_check_digit(number)}")
    assert normalize_rut(once) == once


# --- format_rut ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("normalised", "shown"),
    [
        ("1-9", "1-9"),
        ("6-K", "6-K"),
        ("999-K", "999-K"),
        ("1000-6", "1.000-6"),
        ("11111111-1", "11.111.111-1"),
        ("12345678-5", "12.345.678-5"),
        ("76086428-5", "76.086.428-5"),
        ("10000013-K", "10.000.013-K"),
        ("10000004-0", "10.000.004-0"),
        ("123456789-2", "123.456.789-2"),
    ],
)
def test_format_rut_groups_thousands_with_dots(normalised: str, shown: str) -> None:
    assert format_rut(normalised) == shown


@given(st.integers(min_value=1, max_value=MAX_NUMBER))
def test_format_rut_round_trips_through_normalize_rut(number: int) -> None:
    normalised = f"{number}-{oracle_check_digit(number)}"
    shown = format_rut(normalised)
    assert normalize_rut(shown) == normalised
    assert "," not in shown
    assert shown.endswith("-" + normalised[-1])


def test_every_spelling_of_a_rut_shares_its_cheap_key() -> None:
    from participa.core.rut import rut_key

    spellings = ["12.345.678-5", "012345678-5", "12345678 5", "12345678‐5", " 12.345.678 - 5 "]
    assert {rut_key(s) for s in spellings} == {"123456785"}
    assert rut_key("7.654.321-k") == rut_key("7654321K") == "7654321K"
    assert rut_key("12.345.678-5") != rut_key("12.345.679-5")
