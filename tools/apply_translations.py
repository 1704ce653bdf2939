"""Fill Danish msgstrs from a Python file holding ``DA = {msgid: translation}`` (what a translator hands over);
plural entries as ``DA = {(singular, plural): (one, many)}``.

Only empty entries are filled, so a translation already reviewed in the catalogue is never overwritten.
Usage: python tools/apply_translations.py path/to/translations.py
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "server/locale/da/LC_MESSAGES/messages.po"


def main(source: str) -> int:
    translations: dict[str, str] = runpy.run_path(source)["DA"]
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="da")
    filled = 0
    for message in catalog:
        empty = not message.string or (isinstance(message.string, tuple) and not all(message.string))
        # Plural entries are keyed by their (singular, plural) pair and translated as a (one, many) pair.
        if message.id and empty and message.id in translations:
            message.string = translations[message.id]
            filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, sort_output=True)  # pybabel's own layout, so diffs stay small
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    print(f"filled {filled}; still missing {len(missing)}")
    for msgid in missing:
        print(f"  {msgid!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
