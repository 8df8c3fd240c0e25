"""Chilean RUT: módulo 11 check digit and the normalised form ``12345678-K``."""

from __future__ import annotations

import re

_SPACES_AND_DOTS = re.compile(r"[\s.]")
_DASHES = re.compile(r"[\-‐‑–]")
_SHAPE = re.compile(r"^([0-9]{1,9})-?([0-9K])$")


class InvalidRut(ValueError):
    """The text is not a RUT, or its check digit is wrong. ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_digit(number: int) -> str:
    """The módulo 11 check digit of a RUT's number: weights 2..7 from the right."""
    total = 0
    factor = 2
    while number:
        total += (number % 10) * factor
        number //= 10
        factor = 2 if factor == 7 else factor + 1
    remainder = 11 - total % 11
    return {11: "0", 10: "K"}.get(remainder, str(remainder))


def normalize_rut(text: str) -> str:
    """Return ``12345678-K`` from any usual spelling (dots, spaces, dash, lowercase k).

    Raises :class:`InvalidRut` with reason ``format`` or ``check_digit``.
    """
    # A dash may only separate the check digit: "1234567-85" is not a RUT.
    cleaned = _DASHES.sub("-", _SPACES_AND_DOTS.sub("", text or "")).upper()
    match = _SHAPE.fullmatch(cleaned)
    if not match:
        raise InvalidRut("format")
    number = int(match.group(1))
    if number == 0:
        raise InvalidRut("format")
    if check_digit(number) != match.group(2):
        raise InvalidRut("check_digit")
    return f"{number}-{match.group(2)}"


def rut_key(text: str) -> str:
    """A cheap key that every spelling of one RUT shares (:func:`normalize_rut`'s separators
    removed, upper case, no leading zeros), for finding repeats among many rows before
    validating: texts that are not RUTs may share a key, so validate those that do."""
    return _DASHES.sub("", _SPACES_AND_DOTS.sub("", text or "")).upper().lstrip("0")


def format_rut(normalised: str) -> str:
    """``12345678-K`` shown as ``12.345.678-K``."""
    number, digit = normalised.split("-")
    return f"{int(number):,}".replace(",", ".") + "-" + digit
