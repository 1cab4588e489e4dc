"""The date, time and waiting-time parsers read what riders actually type."""

# Chinese texts rightly use full-width punctuation, which this rule flags as look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import date, time

import pytest

from services.booking.conversation.dates import (
    DateFound,
    DateProblem,
    find_date,
    find_time,
    find_wait,
)

TODAY = date(2026, 11, 22)  # a Sunday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow", date(2026, 11, 23)),
        ("tmrw pls", date(2026, 11, 23)),
        ("today", TODAY),
        ("day after tomorrow", date(2026, 11, 24)),
        ("Sat", date(2026, 11, 28)),
        ("saturday", date(2026, 11, 28)),
        ("this Sunday", TODAY),
        ("next tue", date(2026, 11, 24)),
        ("Dec 3", date(2026, 12, 3)),
        ("December 3rd", date(2026, 12, 3)),
        ("3 Dec", date(2026, 12, 3)),
        ("12/3", date(2026, 12, 3)),
        ("2026-12-25", date(2026, 12, 25)),
        ("the 5th", date(2026, 12, 5)),
        ("Jan 5", date(2027, 1, 5)),
        ("13/5", date(2027, 5, 13)),
        ("明天", date(2026, 11, 23)),
        ("聽日", date(2026, 11, 23)),
        ("後天", date(2026, 11, 24)),
        ("大後天", date(2026, 11, 25)),
        ("星期六", date(2026, 11, 28)),
        ("禮拜三", date(2026, 11, 25)),
        ("下星期二", date(2026, 11, 24)),
        ("下個禮拜日", date(2026, 11, 29)),
        ("12月3日", date(2026, 12, 3)),
        ("十二月三號", date(2026, 12, 3)),
        ("１２月３日", date(2026, 12, 3)),
        ("5號", date(2026, 12, 5)),
        ("明天上午十點去大統華", date(2026, 11, 23)),
    ],
)
def test_date_phrases_resolve_to_the_right_day(text: str, expected: date) -> None:
    """English and Chinese date phrases resolve relative to the organisation's today."""
    found = find_date(text, TODAY)
    assert isinstance(found, DateFound), found
    assert found.value == expected


def test_month_slash_day_is_read_north_american_when_both_readings_are_near() -> None:
    """12/3 is December 3rd (month/day), as the brief and local forms use."""
    found = find_date("12/3", TODAY)
    assert isinstance(found, DateFound)
    assert found.value == date(2026, 12, 3)


def test_a_slash_date_that_hong_kong_would_read_differently_is_ambiguous() -> None:
    """3/12 is March 12 here but 3 December to a Hong Kong reader; we ask instead of guessing."""
    found = find_date("3/12", TODAY)
    assert isinstance(found, DateProblem)
    assert found.problem == "ambiguous"
    assert set(found.options) == {date(2027, 3, 12), date(2026, 12, 3)}


def test_a_bare_weekday_that_is_today_is_ambiguous() -> None:
    """ "Sunday" said on a Sunday could be today or next week."""
    found = find_date("Sunday", TODAY)
    assert isinstance(found, DateProblem)
    assert found.options == (TODAY, date(2026, 11, 29))


@pytest.mark.parametrize("text", ["Feb 30", "2月30日", "31/4", "April 31", "2026-02-30"])
def test_impossible_dates_are_reported_not_raised(text: str) -> None:
    """Dates that do not exist come back as a problem value."""
    found = find_date(text, TODAY)
    assert isinstance(found, DateProblem)
    assert found.problem == "impossible"


@pytest.mark.parametrize("text", ["Nov 1", "11月1日", "2025-12-01", "11/20"])
def test_dates_just_past_are_reported_as_past(text: str) -> None:
    """A date a few weeks back is a mistake to ask about, not next year's."""
    found = find_date(text, TODAY)
    assert isinstance(found, DateProblem)
    assert found.problem == "past"


def test_feb_29_without_a_year_is_the_next_leap_day() -> None:
    """Feb 29 exists, just not every year."""
    found = find_date("Feb 29", TODAY)
    assert isinstance(found, DateFound)
    assert found.value == date(2028, 2, 29)


@pytest.mark.parametrize("text", ["", "hello", "10am", "T&T", "🚗", "no frills"])
def test_text_without_a_date_finds_none(text: str) -> None:
    """No date phrase, no date."""
    assert find_date(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10am", time(10)),
        ("10 a.m.", time(10)),
        ("2:30pm", time(14, 30)),
        ("10:30", time(10, 30)),
        ("10.30am", time(10, 30)),
        ("noon", time(12)),
        ("at 3", time(15)),
        ("at 9", time(9)),
        ("by 9am", time(9)),
        ("15:00", time(15)),
        ("上午十點", time(10)),
        ("下午3點半", time(15, 30)),
        ("10點", time(10)),
        ("3點3個字", time(15, 15)),
        ("晚上8點", time(20)),
        ("中午", time(12)),
        ("朝早9點", time(9)),
        ("下午兩點十五分", time(14, 15)),
        ("１０：３０", time(10, 30)),
    ],
)
def test_time_phrases_resolve_to_daytime_hours(text: str, expected: time) -> None:
    """Times in both languages, with bare hours read as daytime ride hours."""
    found = find_time(text)
    assert found is not None
    assert found.value == expected


def test_a_bare_number_is_a_time_only_when_we_asked_for_one() -> None:
    """ "10" alone means 10am in answer to "what time?" but nothing otherwise."""
    assert find_time("10") is None
    found = find_time("10", bare_numbers=True)
    assert found is not None
    assert found.value == time(10)


def test_an_hour_after_another_time_takes_the_later_reading() -> None:
    """ "back by 1" after a 10am appointment is 1pm; "by 11" after 10am stays 11am."""
    after_ten = time(10)
    one = find_time("by 1", after=after_ten)
    eleven = find_time("by 11", after=after_ten)
    assert one is not None
    assert one.value == time(13)
    assert eleven is not None
    assert eleven.value == time(11)


@pytest.mark.parametrize("text", ["25:00", "10:75", "13pm", "Dec 3", "12/3"])
def test_impossible_or_date_like_times_are_not_times(text: str) -> None:
    """Invalid clock readings and dates are not taken for times."""
    assert find_time(text) is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("wait 1 hour", 60),
        ("wait 45 min", 45),
        ("wait an hour", 60),
        ("wait half an hour", 30),
        ("wait for 2 hrs", 120),
        ("等一個鐘", 60),
        ("等半個鐘", 30),
        ("等我1個半鐘", 90),
        ("等45分鐘", 45),
    ],
)
def test_waiting_times_are_read_in_minutes(text: str, minutes: int) -> None:
    """A wait instead of a pick-up time, in both languages."""
    found = find_wait(text)
    assert found is not None
    assert found.minutes == minutes


def test_a_wait_of_more_than_eight_hours_is_not_a_wait() -> None:
    """Nobody waits 30 hours at a clinic; the conversation asks again instead."""
    assert find_wait("wait 30 hours") is None
