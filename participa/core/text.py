"""Text helpers for matching what people and spreadsheets write."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation collapsed to single spaces: 'N° de Socios' ->
    'n de socios', 'Ñuñoa' -> 'nunoa'."""
    text = (text or "").lower()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text.replace("°", " ").replace("º", " "))
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text).strip()


@lru_cache(maxsize=4096)
def fold_cached(text: str) -> str:
    """:func:`fold` for values that repeat (types, comunas, headers)."""
    return fold(text)


def plain_text(text: str | None) -> str:
    """Text as typed, without control characters (a newline and a tab kept) or outer spaces."""
    return "".join(c for c in (text or "") if c in "\n\t" or c.isprintable()).strip()
