"""Spanish is the source language: its catalogue's translation of each message is the message
itself. Fills the empty entries of the ``es`` catalogue and clears fuzzy flags there."""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def main(path: str) -> None:
    with open(path, "rb") as handle:
        catalogue = read_po(handle, locale="es")
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            if not all(message.string):
                message.string = (message.id[0], *([message.id[1]] * (catalogue.num_plurals - 1)))
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalogue, omit_header=False, sort_output=True, width=100)


if __name__ == "__main__":
    main(sys.argv[1])
