# ruff: noqa: RUF001, RUF002  # Chinese texts use full-width punctuation on purpose.
"""The driver command parser: words in English and Chinese, case, punctuation and emoji."""

from __future__ import annotations

from datetime import date

import pytest

from services.booking.drivers.commands import DriverCommandKind as K
from services.booking.drivers.commands import parse_driver_text

TODAY = date(2026, 11, 23)  # a Monday


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("YES", K.ACCEPT),
        ("ok!", K.ACCEPT),
        ("Okay.", K.ACCEPT),
        ("👍", K.ACCEPT),
        ("好", K.ACCEPT),
        ("得", K.ACCEPT),
        ("可以！", K.ACCEPT),
        ("得 👍", K.ACCEPT),
        ("NO", K.DECLINE),
        ("唔得", K.DECLINE),
        ("不行", K.DECLINE),
        ("唔去得", K.DECLINE),
        ("Left", K.LEFT),
        ("ON MY WAY 🚗", K.LEFT),
        ("出發", K.LEFT),
        ("done.", K.DONE),
        ("完成", K.DONE),
        ("HELP", K.HELP),
        ("幫助", K.HELP),
        ("?", K.HELP),
        ("STOP", K.OPT_OUT),
        ("停止", K.OPT_OUT),
        ("START", K.OPT_IN),
        ("hello", K.UNKNOWN),
        ("office", K.UNKNOWN),
        ("", K.UNKNOWN),
        ("late", K.INCOMPLETE),
        ("LATE 999", K.INCOMPLETE),
        ("off", K.INCOMPLETE),
        ("off yesterday", K.INCOMPLETE),
    ],
)
def test_words_map_to_commands(text: str, kind: K) -> None:
    """Each command word, whatever its case and decoration."""
    assert parse_driver_text(text, TODAY).kind == kind


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("LATE 15", 15),
        ("late 15 min", 15),
        ("Running late 10 minutes", 10),
        ("遲15分鐘", 15),
        ("遲到 20 分鐘", 20),
        ("會遲10分", 10),
        ("late by 5", 5),
    ],
)
def test_late_reports_carry_minutes(text: str, minutes: int) -> None:
    """LATE n in its English and Chinese forms."""
    command = parse_driver_text(text, TODAY)
    assert (command.kind, command.minutes) == (K.LATE, minutes)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("OFF Nov 27", date(2026, 11, 27)),
        ("off tomorrow", date(2026, 11, 24)),
        ("休息 11月27日", date(2026, 11, 27)),
        ("休息 下星期二", date(2026, 12, 1)),
        ("off 2026-12-09", date(2026, 12, 9)),
    ],
)
def test_days_off_read_dates_like_the_booking_conversation(text: str, day: date) -> None:
    """OFF <date> / 休息 <date> use the riders' date parser."""
    command = parse_driver_text(text, TODAY)
    assert (command.kind, command.day) == (K.OFF, day)


def test_decline_keeps_its_reason_and_accept_its_date() -> None:
    """NO, reason / 唔去得，reason; YES <date> / 好 明天."""
    assert parse_driver_text("No, car broke down", TODAY).reason == "car broke down"
    assert parse_driver_text("唔去得，屋企有事", TODAY).reason == "屋企有事"
    assert parse_driver_text("yes tomorrow", TODAY).day == date(2026, 11, 24)
    assert parse_driver_text("好 明天", TODAY).day == date(2026, 11, 24)


def test_chinese_is_noticed_for_the_reply_language() -> None:
    """A command written in Chinese is answered in Chinese."""
    assert parse_driver_text("好", TODAY).chinese
    assert not parse_driver_text("YES", TODAY).chinese
