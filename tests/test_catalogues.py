"""Both catalogues are complete: every string the code and templates use is in the es and en
catalogues, translated and not fuzzy. Run `make i18n` to extract new strings."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "participa" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [
    ("participa/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**": {"extensions": "jinja2.ext.i18n"}}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue(locale: str):
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_entry_is_translated_and_not_fuzzy(locale: str) -> None:
    catalogue = _catalogue(locale)

    def translated(message) -> bool:
        return all(message.string) if isinstance(message.string, tuple) else bool(message.string)

    untranslated = [m.id for m in catalogue if m.id and not translated(m)]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{locale}: untranslated entries: {untranslated[:10]}"
    assert not fuzzy, f"{locale}: fuzzy entries: {fuzzy[:10]}"


@pytest.mark.parametrize("locale", ["es", "en"])
def test_every_string_in_the_code_is_in_the_catalogue(locale: str) -> None:
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _catalogue(locale) if m.id}
    missing = sorted(_source_messages() - ids)
    assert not missing, f"{locale}: run `make i18n` and translate: {missing[:10]}"


def test_placeholders_survive_translation() -> None:
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    for message in _catalogue("en"):
        if not message.id or isinstance(message.id, tuple):
            continue
        assert set(placeholder.findall(message.id)) == set(placeholder.findall(message.string)), message.id
