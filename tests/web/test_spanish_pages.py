"""No English word and no internal code on Spanish pages (issue #16: "Estado: done",
"effective: superseded", column names such as ``legal_name`` shown to people).

Catalogue-driven: the English words are those of the English catalogue's translations that no
Spanish message uses; the internal codes are the values of the application's enumerations
(phases, states, statuses, kinds). Each page's visible text (not the code samples, which show
column names on purpose) must use none of them."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa
from babel.messages.pofile import read_po

import participa
from tests.web.pages import rendered_pages

CATALOGUES = Path(participa.__file__).parent / "translations"
WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ_]+")
# Words both languages write alike, or names: the English catalogue has them because English
# uses them too, and the Spanish pages rightly do (a format, a standard, a brand, a code).
SHARED = {
    "csv", "json", "api", "pdf", "qr", "rut", "cut", "bip", "rate", "wcag", "dcat", "openapi", "frictionless",
    "creative", "commons", "english", "axe", "core", "ley", "santiago", "sha", "utc", "id", "ok", "chile",
    "gobierno", "participa", "regional", "metropolitano", "plan",
}  # fmt: skip


def _words(text: str) -> set[str]:
    text = re.sub(r"%\(\w+\)[sd]|\{\w+\}", " ", text)  # placeholders name variables, not words
    return {w.lower() for w in WORD.findall(text) if len(w) > 2}


def spanish_words() -> set[str]:
    """Every word of the Spanish messages (the catalogue's ids)."""
    found: set[str] = set()
    with (CATALOGUES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        for message in read_po(handle):
            for text in message.id if isinstance(message.id, tuple) else (message.id,):
                found |= _words(text or "")
    return found


def english_words() -> set[str]:
    words = _words
    spanish: set[str] = set()
    english: set[str] = set()
    with (CATALOGUES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        for message in read_po(handle):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in ids:
                spanish |= words(text)
            for text in strings:
                english |= words(text or "")
    return english - spanish - SHARED


CODE = re.compile(r"^[a-z][a-z_]+$")


def internal_codes() -> set[str]:
    """The codes the application stores and shows through labels: values of its enumerations,
    the values its CHECK constraints allow, and the keys of the label dictionaries of its
    ``labels`` modules and the status tuples of its ``rules`` modules. Upper-case codes of the
    national systems (RS, FI) are names, kept."""
    from participa.models import metadata

    found: set[str] = set()
    for module in pkgutil.walk_packages(participa.__path__, "participa."):
        if ".translations" in module.name:
            continue
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if isinstance(value, type) and issubclass(value, enum.Enum) and value.__module__ == loaded.__name__:
                found |= {str(m.value) for m in value if isinstance(m.value, str)}
            elif module.name.endswith(".labels") and isinstance(value, dict) and name.isupper():
                found |= {str(key) for key in value if isinstance(key, str)}
            elif module.name.endswith(".rules") and name.endswith(("STATUSES", "KINDS", "STATES")):
                found |= {v for v in value if isinstance(v, str)} if isinstance(value, tuple | frozenset) else set()
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                compiled = str(constraint.sqltext.compile(compile_kwargs={"literal_binds": True}))
                found |= set(re.findall(r"'([^']+)'", compiled))
    return {code for code in found if CODE.match(code)} - spanish_words()  # «otra», «comuna» are Spanish too


class VisibleText(HTMLParser):
    """The text a person reads: not scripts, styles, code samples or what is marked English
    (the language switch names "English" in English, as it should)."""

    SKIP = {"script", "style", "code", "pre", "kbd", "samp", "title"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []  # each open element and whether it hides its text
        self.parts: list[str] = []

    @property
    def hidden(self) -> bool:
        return any(hides for _tag, hides in self.open)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag in self.VOID:
            if not self.hidden:
                self.parts.append(attributes.get("placeholder") or attributes.get("alt") or "")
            return
        self.open.append((tag, tag in self.SKIP or attributes.get("lang", "").startswith("en")))

    def handle_endtag(self, tag) -> None:
        for position in range(len(self.open) - 1, -1, -1):
            if self.open[position][0] == tag:
                del self.open[position:]
                return

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(body: bytes) -> str:
    """The page's visible text, without e-mail addresses and web addresses (names, not words)."""
    parser = VisibleText()
    parser.feed(body.decode("utf-8"))
    return re.sub(r"\S+@\S+|https?://\S+|/\S+", " ", " ".join(parser.parts))


def test_spanish_pages_use_no_english_word_and_no_internal_code(client, session, sign_in, make_user) -> None:
    english, codes = english_words(), internal_codes()
    assert {"the", "with", "ballot"} <= english and {"superseded", "in_consultation", "done"} <= codes
    found = {}
    for path, body in rendered_pages(client, session, sign_in, make_user):
        text = visible_text(body)
        words = set(WORD.findall(text))
        bad = sorted(w for w in words if w.lower() in english or w in codes)
        if bad:
            found[path] = bad
    assert found == {}, "\n".join(f"{path}: {words}" for path, words in found.items())
