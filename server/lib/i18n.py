"""Translations: gettext catalogues for Danish and English, chosen per request.

Messages are written in English in the code (msgids) and translated in ``server/locale``. The .po files
are compiled in memory at import, so there is no generated .mo file to forget or to commit.
The current language lives in a context variable that the request's middleware sets.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from server.settings import LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
current_language: ContextVar[str] = ContextVar("current_language", default="da")


def _load(lang: str) -> Translations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf)


_translations: dict[str, Translations] = {lang: _load(lang) for lang in LANGUAGES}


def translations(lang: str | None = None) -> Translations:
    return _translations[lang or current_language.get()]


def gettext(message: str, **variables: object) -> str:
    text = _translations[current_language.get()].ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = _translations[current_language.get()].ungettext(singular, plural, n)
    return text % {"num": n, **variables}


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated later, where it is shown."""
    return message


_ = gettext


def wait_words(seconds: int) -> str:
    """How long to wait, as people say it: seconds under a minute and a half, else whole minutes (rounded up,
    so the wait said is never shorter than the real one)."""
    if seconds < 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", -(-seconds // 60))
