# ruff: noqa: RUF001  # expected Chinese texts use full-width brackets on purpose.
"""One place for languages, time zones and how dates and times read, in English and Chinese."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from shared import i18n
from shared.i18n import (
    DEFAULT_TIME_ZONE,
    TEXT_LANGUAGES,
    Language,
    format_date,
    format_date_time,
    format_time,
    format_window,
    local_time,
    text_language,
    time_zone,
)
from shared.segments import encoding

SATURDAY = date(2026, 11, 28)


def test_the_stored_language_values_are_unchanged() -> None:
    """The enum's values are what the database holds; a change would need a migration."""
    assert [member.value for member in Language] == ["en", "zh-Hant", "zh-Hans"]
    assert TEXT_LANGUAGES == (Language.EN, Language.ZH_HANT)


def test_shared_models_reexports_the_one_language_enum() -> None:
    """``shared.models.Language`` is this enum, not a copy."""
    from shared.models import Language as ModelLanguage

    assert ModelLanguage is Language


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "en"),
        ("zh-Hant", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh_TW", "zh-Hant"),
        ("yue", "zh-Hant"),
        ("ZH-HANT-HK", "zh-Hant"),
        ("fr", "en"),
        ("", "en"),
        ("ar-SY", "en"),
    ],
)
def test_language_tags_map_to_template_languages(language: str, expected: str) -> None:
    """Chinese tags and Cantonese get Traditional Chinese; anything else falls back to English."""
    assert text_language(language) == expected


def test_simplified_and_missing_languages_get_a_text_language() -> None:
    """A rider stored as zh-Hans reads Traditional; no language at all reads English."""
    assert text_language(Language.ZH_HANS) is Language.ZH_HANT
    assert text_language(None) is Language.EN


@pytest.mark.parametrize("locale", sorted(i18n.BABEL_LOCALES.values()))
def test_babel_has_the_locale_data_for_every_text_language(locale: str) -> None:
    """The CLDR data behind each text language is installed (a missing one must fail here)."""
    assert Locale.parse(locale).days["format"]["narrow"][5]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Sat Nov 28"), ("zh-Hant", "11月28日（六）")],
)
def test_dates_are_short_with_the_weekday(language: str, expected: str) -> None:
    """A weekday helps a rider spot a wrong day; month names and weekdays come from CLDR."""
    assert format_date(SATURDAY, language) == expected


def test_dates_without_the_weekday_serve_as_examples() -> None:
    """ "Dec 3" / "12月3日": how a rider might type a date back."""
    assert format_date(date(2026, 12, 3), "en", weekday=False) == "Dec 3"
    assert format_date(date(2026, 12, 3), "zh-Hant", weekday=False) == "12月3日"


@pytest.mark.parametrize(
    ("at", "english", "chinese"),
    [
        (time(0, 30), "12:30am", "凌晨12:30"),
        (time(6, 45), "6:45am", "早上6:45"),
        (time(10), "10am", "上午10:00"),
        (time(12), "12pm", "中午12:00"),
        (time(14, 30), "2:30pm", "下午2:30"),
        (time(19, 5), "7:05pm", "晚上7:05"),
    ],
)
def test_times_name_the_part_of_the_day(at: time, english: str, chinese: str) -> None:
    """English drops ":00" on the hour; Chinese always writes the minutes after its day period."""
    assert format_time(at, "en") == english
    assert format_time(at, "zh-Hant") == chinese


@pytest.mark.parametrize(
    ("start", "end", "english", "chinese"),
    [
        (time(9, 30), time(9, 45), "9:30-9:45am", "上午9:30至9:45"),
        (time(9), time(10), "9-10am", "上午9:00至10:00"),
        (time(11, 45), time(12, 15), "11:45am-12:15pm", "上午11:45至中午12:15"),
        (time(13, 30), time(13, 30), "1:30pm", "下午1:30"),
    ],
)
def test_windows_say_a_shared_part_of_the_day_once(
    start: time, end: time, english: str, chinese: str
) -> None:
    """The part of the day is named once when both ends share it, twice across it."""
    assert format_window(start, end, "en") == english
    assert format_window(start, end, "zh-Hant") == chinese


def test_aware_times_are_shown_in_the_zone_given() -> None:
    """14:30 UTC is 9:30 in Toronto in November and 6:30 in Vancouver."""
    at = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert format_time(at, "en", tz="America/Toronto") == "9:30am"
    assert format_time(at, "en", tz="America/Vancouver") == "6:30am"
    assert format_time(at, "zh-Hant", tz=ZoneInfo("America/Toronto")) == "上午9:30"


def test_the_same_utc_time_reads_an_hour_later_after_the_spring_change() -> None:
    """Toronto moves to summer time on 8 March 2026 at 2:00: 14:30 UTC is 9:30, then 10:30."""
    before = datetime(2026, 3, 7, 14, 30, tzinfo=UTC)
    after = datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
    assert format_date_time(before, "en", tz=DEFAULT_TIME_ZONE) == "Sat Mar 7 at 9:30am"
    assert format_date_time(after, "en", tz=DEFAULT_TIME_ZONE) == "Mon Mar 9 at 10:30am"


def test_a_window_across_the_spring_gap_shows_both_wall_clock_times() -> None:
    """06:30-07:30 UTC on 8 March is 1:30 EST to 3:30 EDT: an hour, two hours on the clock."""
    start = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    end = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert format_window(start, end, "en", tz=DEFAULT_TIME_ZONE) == "1:30-3:30am"
    assert format_window(start, end, "zh-Hant", tz=DEFAULT_TIME_ZONE) == "凌晨1:30至3:30"


def test_a_late_evening_utc_time_is_the_previous_local_day() -> None:
    """02:00 UTC on 25 Nov is 21:00 on Tue 24 Nov in Toronto, in both languages."""
    at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert format_date(at, "en", tz=DEFAULT_TIME_ZONE) == "Tue Nov 24"
    assert format_date_time(at, "zh-Hant", tz=DEFAULT_TIME_ZONE) == "11月24日（二）晚上9:00"


def test_naive_datetimes_are_taken_as_utc() -> None:
    """A naive datetime converts as UTC, as the database stores them."""
    assert local_time(datetime(2026, 11, 24, 14, 30)).hour == 9


def test_unknown_or_empty_zone_names_fall_back_to_the_default() -> None:
    """A misconfigured organisation still gets its texts, in the default zone."""
    default = ZoneInfo(DEFAULT_TIME_ZONE)
    for name in ("Not/AZone", "", None, "../etc/passwd", "America"):
        assert time_zone(name) == default
    assert time_zone("America/Vancouver") == ZoneInfo("America/Vancouver")
    zone = ZoneInfo("Asia/Hong_Kong")
    assert time_zone(zone) is zone


def test_english_formats_stay_in_the_gsm_alphabet() -> None:
    """CLDR's own English uses narrow spaces and en dashes; ours must not, or a text costs 2x."""
    start, end = (
        datetime(2026, 11, 24, 16, 45, tzinfo=UTC),
        datetime(2026, 11, 24, 17, 15, tzinfo=UTC),
    )
    text = " ".join(
        [
            format_date(start, "en"),
            format_window(start, end, "en", tz=DEFAULT_TIME_ZONE),
            format_date_time(start, "en", tz=DEFAULT_TIME_ZONE),
        ]
    )
    assert encoding(text) == "GSM-7", text
