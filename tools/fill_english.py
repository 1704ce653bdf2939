"""Fills the English catalogue: msgids are English, so each empty msgstr takes its msgid.

Keeping msgstr filled lets one test demand that every message in every language has a translation.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parent.parent / "server/locale/en/LC_MESSAGES/messages.po"

with PATH.open("rb") as fh:
    catalog = read_po(fh, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        if not all(message.string):
            message.string = tuple(message.id)
    elif not message.string:
        message.string = message.id
with PATH.open("wb") as fh:
    write_po(fh, catalog, width=100, omit_header=False)
