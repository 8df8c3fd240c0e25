"""Fill empty entries of a catalogue from a Python dict of translations (source -> target).

    .venv/bin/python scripts/fill_translations.py participa/translations/en/LC_MESSAGES/messages.po table.py

``table.py`` defines ``T = {"Spanish source": "English translation", ...}``. Entries that stay
empty are listed, so that nothing untranslated goes unnoticed (the catalogue test fails on them).
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import read_po, write_po


def main(catalogue: str, table: str) -> int:
    translations = runpy.run_path(table)["T"]
    with open(catalogue, "rb") as handle:
        messages = read_po(handle)
    missing = []
    for message in messages:
        if not message.id or message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        if source in translations:
            message.string = translations[source]
        else:
            missing.append(source)
    with open(catalogue, "wb") as handle:
        write_po(handle, messages, width=76, sort_output=True, omit_header=False)
    for source in missing:
        print(f"untranslated: {source!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
