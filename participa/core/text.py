"""Text helpers for matching what people and spreadsheets write."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase, accents removed, punctuation collapsed to single spaces: 'N° de Socios' ->
    'n de socios', 'Ñuñoa' -> 'nunoa'."""
    text = (text or "").replace("°", " ").replace("º", " ")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped).strip()
