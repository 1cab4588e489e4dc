"""The dispatcher pages' languages: Babel catalogues, the current language, dates and times.

Catalogues live as ``.po`` files under ``locale/`` and are compiled in memory on first use, so a
fresh clone serves translated pages without a build step and a stale ``.mo`` cannot exist.
Python code marks strings with ``N_`` (extracted, translated later) or calls ``gettext``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from shared.i18n import Language, format_date_time, format_time, time_zone

LOCALE_DIR = Path(__file__).parent / "locale"
# The languages of the interface: code shown in URLs and cookies -> Babel locale name.
LANGUAGES: dict[Language, str] = {Language.EN: "en", Language.ZH_HANT: "zh_Hant"}
DEFAULT_LANGUAGE = Language.EN

_current: ContextVar[Language] = ContextVar("dispatch_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


@cache
def translations(language: Language) -> Translations:
    """The compiled catalogue of ``language`` (English is the source: its catalogue is empty)."""
    po = LOCALE_DIR / LANGUAGES[language] / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalogue = read_po(source, locale=LANGUAGES[language])
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(fp=compiled)


def parse_language(value: str | None) -> Language:
    """The interface language a cookie or form names, English when unknown."""
    for language in LANGUAGES:
        if value == language.value:
            return language
    return DEFAULT_LANGUAGE


def current_language() -> Language:
    """The language of the page being rendered."""
    return _current.get()


@contextmanager
def using(language: Language) -> Iterator[None]:
    """Render in ``language`` inside the block."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message, in the current language."""
    return translations(_current.get()).ungettext(singular, plural, n)


def _locale() -> Locale:
    return Locale.parse(LANGUAGES[_current.get()])


def show_time(moment: datetime | None, time_zone: str) -> str:
    """A time of day in the organisation's time zone, as texts write it: 10:05am, 上午10:05."""
    if moment is None:
        return ""
    return _time(moment, time_zone, _current.get())


@lru_cache(maxsize=8192)
def _time(moment: datetime, zone_name: str, language: Language) -> str:
    # A big day's plan view shows thousands of stops at a few hundred distinct minutes, and
    # Babel's formatting is the slowest part of drawing it.
    return format_time(moment, language, tz=time_zone(zone_name))


def show_datetime(moment: datetime, zone_name: str) -> str:
    """A date and time in the organisation's time zone, as texts write them."""
    return format_date_time(moment, current_language(), tz=time_zone(zone_name))


def show_date(day: date) -> str:
    """A day with its weekday, e.g. Thursday, 3 December 2026."""
    return format_date(day, "full", locale=_locale())
