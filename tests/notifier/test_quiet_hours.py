"""Quiet hours hold non-urgent texts from 21:00 to 09:00 Toronto time, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from notifier.quiet_hours import is_quiet, next_send_time

TORONTO = "America/Toronto"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_daytime_non_urgent_text_goes_now() -> None:
    """14:00 EST (19:00 UTC) is outside quiet hours."""
    now = utc(2026, 1, 15, 19, 0)
    assert next_send_time(now, TORONTO, urgent=False) == now


def test_one_minute_before_quiet_hours_goes_now() -> None:
    """20:59 EST is still allowed."""
    now = utc(2026, 1, 16, 1, 59)
    assert next_send_time(now, TORONTO, urgent=False) == now


def test_evening_text_waits_for_nine_next_morning() -> None:
    """21:00 EST on Jan 15 (02:00 UTC Jan 16) waits until 09:00 EST Jan 16 (14:00 UTC)."""
    assert next_send_time(utc(2026, 1, 16, 2, 0), TORONTO, urgent=False) == utc(2026, 1, 16, 14)


def test_text_just_before_local_midnight_waits_for_the_next_local_morning() -> None:
    """23:59 EST Jan 15 is 04:59 UTC Jan 16; the release is 09:00 EST Jan 16, not Jan 17."""
    assert next_send_time(utc(2026, 1, 16, 4, 59), TORONTO, urgent=False) == utc(2026, 1, 16, 14)


def test_text_just_after_local_midnight_waits_for_the_same_local_morning() -> None:
    """00:01 EST Jan 16 (05:01 UTC) waits until 09:00 EST that same day."""
    assert next_send_time(utc(2026, 1, 16, 5, 1), TORONTO, urgent=False) == utc(2026, 1, 16, 14)


def test_nine_oclock_exactly_is_allowed() -> None:
    """The window ends at 09:00: 09:00 EST (14:00 UTC) goes now, 08:59 does not."""
    assert next_send_time(utc(2026, 1, 16, 14, 0), TORONTO, urgent=False) == utc(2026, 1, 16, 14)
    assert next_send_time(utc(2026, 1, 16, 13, 59), TORONTO, urgent=False) == utc(2026, 1, 16, 14)


def test_urgent_text_goes_now_even_at_night() -> None:
    """A driver-on-the-way text at 23:30 is not held."""
    now = utc(2026, 1, 16, 4, 30)
    assert next_send_time(now, TORONTO, urgent=True) == now


def test_spring_forward_night_releases_at_nine_daylight_time() -> None:
    """Clocks jump 02:00 EST -> 03:00 EDT on 2026-03-08: 22:00 EST Mar 7 waits until
    09:00 EDT Mar 8, which is 13:00 UTC (one hour earlier in UTC than the day before)."""
    assert next_send_time(utc(2026, 3, 8, 3, 0), TORONTO, urgent=False) == utc(2026, 3, 8, 13)


def test_fall_back_night_releases_at_nine_standard_time() -> None:
    """Clocks fall 02:00 EDT -> 01:00 EST on 2026-11-01: 22:00 EDT Oct 31 (02:00 UTC Nov 1)
    waits until 09:00 EST Nov 1, which is 14:00 UTC."""
    assert next_send_time(utc(2026, 11, 1, 2, 0), TORONTO, urgent=False) == utc(2026, 11, 1, 14)


def test_repeated_hour_on_fall_back_night_is_quiet() -> None:
    """01:30 happens twice on 2026-11-01 (05:30 and 06:30 UTC); both are quiet."""
    assert is_quiet(utc(2026, 11, 1, 5, 30), TORONTO)
    assert is_quiet(utc(2026, 11, 1, 6, 30), TORONTO)
    assert next_send_time(utc(2026, 11, 1, 6, 30), TORONTO, urgent=False) == utc(2026, 11, 1, 14)


def test_result_is_always_utc() -> None:
    """A non-UTC aware input is accepted and the answer is expressed in UTC."""
    now = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo(TORONTO))
    result = next_send_time(now, TORONTO, urgent=False)
    assert result == now
    assert result.tzinfo is UTC


def test_naive_datetime_is_rejected() -> None:
    """A naive time is ambiguous; the caller must say it is UTC."""
    with pytest.raises(ValueError, match="aware"):
        next_send_time(datetime(2026, 1, 1, 12), TORONTO, urgent=False)


def test_custom_window_that_does_not_wrap_midnight() -> None:
    """A 12:00-13:00 quiet window (say, a prayer hour) holds 12:30 until 13:00 local."""
    now = utc(2026, 1, 16, 17, 30)  # 12:30 EST
    assert next_send_time(now, TORONTO, urgent=False, start=time(12), end=time(13)) == utc(
        2026, 1, 16, 18
    )
