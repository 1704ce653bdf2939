"""Every message has a Danish and an English translation, and the catalogues match the code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT

LOCALE = ROOT / "server/locale"


def _catalog(lang: str):
    with (LOCALE / lang / "LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_message_has_a_translation(lang):
    missing = [m.id for m in _catalog(lang) if m.id and not (all(m.string) if isinstance(m.string, tuple)
                                                              else m.string)]
    fuzzy = [m.id for m in _catalog(lang) if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_the_catalogues_hold_every_message_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
                    "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        in_code = {m.id for m in read_po(fh) if m.id}
    for lang in ("da", "en"):
        in_catalog = {m.id for m in _catalog(lang) if m.id}
        assert in_code - in_catalog == set(), f"run `make i18n` and translate ({lang})"


def test_placeholders_survive_translation():
    import re

    for message in _catalog("da"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", ids[0]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", string)) == wanted, message.id
