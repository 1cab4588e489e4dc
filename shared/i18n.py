# ruff: noqa: RUF001, RUF002  # Chinese formats use full-width brackets on purpose.
"""Languages, time zones, and how dates and times read in English and Traditional Chinese.

The one place for them: the booking bot's replies and the notifier's texts both format through
here, so a rider reads the same style from either. Month, weekday and day-period names come
from CLDR (Babel's locale data); the patterns are ours, chosen to be short for SMS (a Chinese
text is UCS-2, 70 characters a segment) and plain to read:

=============  ==========================  =============================
what           English                     Traditional Chinese (HK)
=============  ==========================  =============================
date           ``Sat Nov 28``              ``11月28日（六）``
time           ``10am``, ``2:30pm``         ``上午10:00``, ``下午2:30``
window         ``9:30-9:45am``              ``上午9:30至9:45``
date and time  ``Sat Nov 28 at 10am``      ``11月28日（六）上午10:00``
=============  ==========================  =============================

English stays within the GSM-7 alphabet (ASCII hyphen, no narrow spaces), so one character
never doubles a text's cost. Chinese uses the Hong Kong day periods (凌晨, 早上, 上午, 中午,
下午, 晚上): the readers are Cantonese speakers.

Times are stored as aware UTC datetimes and shown in the organisation's time zone; pass
``tz`` to convert, or pass wall-clock values that are already local.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_date as _cldr_date
from babel.dates import format_time as _cldr_time


class Language(StrEnum):
    """A language as stored for a rider, driver, conversation or message."""

    EN = "en"
    ZH_HANT = "zh-Hant"
    # Stored as the person gave it; texts for them go out in Traditional (see text_language).
    ZH_HANS = "zh-Hans"


TEXT_LANGUAGES: tuple[Language, ...] = (Language.EN, Language.ZH_HANT)
"""The languages every text exists in."""

# Babel locales behind each text language. Hong Kong conventions for Chinese: the readers are
# Cantonese speakers, and zh_Hant_HK has the day periods they use.
BABEL_LOCALES: dict[Language, str] = {Language.EN: "en", Language.ZH_HANT: "zh_Hant_HK"}

DEFAULT_TIME_ZONE = "America/Toronto"
"""The organisation's time zone when none (or an unknown one) is configured."""


def text_language(language: str | None) -> Language:
    """The text language for a stored language tag: Chinese for any Chinese tag, else English.

    Every Chinese tag (zh-Hans, zh-HK, zh_TW, yue, ...) gets Traditional: it is what this
    community reads, and a reader of Simplified still reads it far better than English.
    """
    tag = (language or "").strip().lower().replace("_", "-")
    if tag.split("-")[0] in ("zh", "yue"):
        return Language.ZH_HANT
    return Language.EN


def time_zone(name: str | ZoneInfo | None = None) -> ZoneInfo:
    """The time zone called ``name``; an empty or unknown name gives ``DEFAULT_TIME_ZONE``.

    A misconfigured organisation must still get its texts, at worst in the default zone.
    """
    if isinstance(name, ZoneInfo):
        return name
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError, OSError):  # KeyError covers ZoneInfoNotFoundError
            pass
    return ZoneInfo(DEFAULT_TIME_ZONE)


def local_time(moment: datetime, tz: str | ZoneInfo | None = None) -> datetime:
    """``moment`` on the wall clock of ``tz`` (default zone if None); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(time_zone(tz))


def _wall_clock(value: time | datetime, tz: str | ZoneInfo | None) -> time:
    if isinstance(value, datetime):
        return (local_time(value, tz) if tz is not None else value).time()
    return value


def _local_day(value: date, tz: str | ZoneInfo | None) -> date:
    if isinstance(value, datetime):
        return (local_time(value, tz) if tz is not None else value).date()
    return value


def format_date(
    day: date, language: str, *, weekday: bool = True, tz: str | ZoneInfo | None = None
) -> str:
    """A short date: "Sat Nov 28" / "11月28日（六）"; without ``weekday``, "Nov 28" / "11月28日".

    ``day`` may be a datetime: with ``tz`` it is first converted to that zone's wall clock.
    """
    lang = text_language(language)
    if lang == Language.EN:
        pattern = "EEE MMM d" if weekday else "MMM d"
    else:
        pattern = "M月d日（EEEEE）" if weekday else "M月d日"
    return _cldr_date(_local_day(day, tz), pattern, locale=BABEL_LOCALES[lang])


def _clock(at: time, language: Language) -> str:
    """The time without its half of the day: "9:30", "10" / "9:30", "10:00"."""
    if language == Language.EN:
        return _cldr_time(at, "h" if at.minute == 0 else "h:mm", locale="en")
    return _cldr_time(at, "h:mm", locale=BABEL_LOCALES[language])


def _period(at: time, language: Language) -> str:
    """The half or part of the day: "am" / "pm"; 上午 / 中午 / 下午 / 晚上 / ..."""
    if language == Language.EN:
        return _cldr_time(at, "a", locale="en").lower()
    return _cldr_time(at, "B", locale=BABEL_LOCALES[language])


def _time(at: time, language: Language) -> str:
    if language == Language.EN:
        return _clock(at, language) + _period(at, language)
    return _period(at, language) + _clock(at, language)


def format_time(at: time | datetime, language: str, *, tz: str | ZoneInfo | None = None) -> str:
    """A time of day: "10am", "2:30pm" / "上午10:00", "下午2:30", "晚上7:05".

    ``at`` may be a datetime: with ``tz`` it is first converted to that zone's wall clock.
    """
    return _time(_wall_clock(at, tz), text_language(language))


def format_window(
    start: time | datetime,
    end: time | datetime,
    language: str,
    *,
    tz: str | ZoneInfo | None = None,
) -> str:
    """A time window, its shared half of the day said once: "9:30-9:45am" / "上午9:30至9:45".

    Across halves both are named ("11:45am-12:15pm" / "上午11:45至中午12:15"); an empty
    window is just its time.
    """
    lang = text_language(language)
    first, last = _wall_clock(start, tz), _wall_clock(end, tz)
    if first == last:
        return _time(first, lang)
    same_period = _period(first, lang) == _period(last, lang)
    if lang == Language.EN:
        head = _clock(first, lang) if same_period else _time(first, lang)
        return f"{head}-{_time(last, lang)}"
    tail = _clock(last, lang) if same_period else _time(last, lang)
    return f"{_time(first, lang)}至{tail}"


def format_date_time(moment: datetime, language: str, *, tz: str | ZoneInfo | None = None) -> str:
    """A day and a time: "Sat Nov 28 at 10am" / "11月28日（六）上午10:00"."""
    lang = text_language(language)
    local = local_time(moment, tz) if tz is not None else moment
    day, at = format_date(local.date(), lang), _time(local.time(), lang)
    return f"{day} at {at}" if lang == Language.EN else f"{day}{at}"
