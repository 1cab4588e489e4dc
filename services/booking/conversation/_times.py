"""Find a time of day, or a waiting time, in an SMS in English or Traditional Chinese.

Riders write "10am", "10:30", "noon", "上午十點", "下午3點半", "3點3個字" (Cantonese: 3:15).
Hours without am/pm are read as daytime ride hours: 7-11 morning, 12 noon, 1-6 afternoon,
unless ``after`` says the time must follow another one (a ride home after the appointment).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from services.booking.conversation._text import CN_NUMBER, normalise, parse_number


@dataclass(frozen=True)
class TimeFound:
    """A time of day and where it was in the normalised text."""

    value: time
    span: tuple[int, int]


@dataclass(frozen=True)
class WaitFound:
    """A waiting time ("wait 1 hour", "等一個鐘") in minutes, and where it was."""

    minutes: int
    span: tuple[int, int]


_AMPM = re.compile(r"(?<![\d/])(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\b\.?|p\.?m\b\.?)")
_CLOCK = re.compile(r"(?<![\d/:])(\d{1,2})[:h](\d{2})(?![\d/:])")
_NOON = re.compile(r"\b(?:noon|midday|lunch ?time)\b")
# "by 9am" must be read by _AMPM, so an hour followed by am/pm is not a bare "at" hour.
_AT_HOUR = re.compile(
    r"(?:\b(?:at|around|about|by|approx|approximately|make it)|@|~"
    r"|\b(?:change|move|push)\b[\w ]{0,14}?\bto)\s*(\d{1,2})(?:\s*o'?clock)?"
    r"(?![\d/:.]|\s*[ap]\.?m\b|\s*(?:hours?|hrs?|h|minutes?|mins?)\b)"
)
# "10ish", "10-ish", "2:30ish": the time itself.
_ISH = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*-?\s*ish\b")
# "2 in the afternoon", "9:30 this morning".
_EN_PERIOD = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?\s*(?:o'?clock\s*)?(?:in the|this|tomorrow)\s*"
    r"(morning|afternoon|evening|night)\b"
)
_OCLOCK = re.compile(r"\b(\d{1,2})\s*o'?clock\b")
_CN_PERIOD = "上午|早上|朝早|朝頭早|早晨|朝|中午|晏晝|下午|晚上|夜晚|夜晚黑|今晚|晚|夜"
_CN_TIME = re.compile(
    rf"({_CN_PERIOD})?\s*(\d{{1,2}}|{CN_NUMBER})\s*(?:點鐘|點|時|:)\s*"
    rf"(半|(\d{{1,2}}|{CN_NUMBER})\s*(個字|分鐘|分)?)?"
)
_CN_NOON = re.compile(r"中午|正午|晏晝")
_BARE = re.compile(r"^\s*(\d{1,2})\s*$")
_PM_PERIODS = {"下午", "晏晝", "晚上", "夜晚", "夜晚黑", "今晚", "晚", "夜"}
_AM_PERIODS = {"上午", "早上", "朝早", "朝頭早", "早晨", "朝"}

_AMOUNT = r"(\d+(?:\.\d+)?|an?|one|two|three|half an?)\s*(hours?|hrs?|h|minutes?|mins?|m)\b"
_ABOUT = r"(?:about|around|approx\.?|approximately|maybe|roughly|~)?\s*"
_WAIT_EN = re.compile(
    r"\bwait(?:ing)?\s*(?:for\s*)?(?:(?:me|her|him|them|us)\s*)?(?:for\s*)?"
    + _ABOUT
    + _AMOUNT
    + r"|\b(?:after|in)\s*"
    + _ABOUT
    + _AMOUNT
)
# Just "about an hour", in answer to "when should we pick you up?".
_BARE_WAIT = re.compile(r"^\s*(?:for\s*)?" + _ABOUT + _AMOUNT)
_WAIT_CN = re.compile(
    rf"等\s*(?:我|埋|佢|佢哋|我哋)?\s*(\d+|{CN_NUMBER}|半)\s*(?:個)?\s*(半)?\s*(鐘頭|鐘|小時|分鐘|分)(半)?"
)
# "一個鐘後接我", "兩個鐘之後嚟接": pick up after that long.
_AFTER_CN = re.compile(
    rf"(\d+|{CN_NUMBER}|半)\s*(?:個)?\s*(半)?\s*(鐘頭|鐘|小時|分鐘|分)(半)?\s*(?:之)?後\s*"
    r"(?=(?:再)?(?:嚟|來)?接)"
)
_Adder = Callable[[int, int, tuple[int, int]], None]
_EN_AMOUNTS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0}


def _daytime_hour(hour: int, after: time | None) -> int:
    """Pick am or pm for an hour given without one."""
    if hour >= 13 or hour == 0:
        return hour
    if after is not None:
        # The first reading later than ``after``: "back by 1" after a 10am ride is 13:00.
        if hour == 12:
            return 12
        morning = time(hour)
        return hour if morning > after else hour + 12
    return hour + 12 if 1 <= hour <= 6 else hour


def _make(hour: int, minute: int) -> time | None:
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return time(hour, minute)
    return None


def _candidates(text: str, bare_numbers: bool, after: time | None) -> list[TimeFound]:
    found_times: list[TimeFound] = []

    def add(hour: int, minute: int, span: tuple[int, int]) -> None:
        value = _make(hour, minute)
        if value is not None:
            found_times.append(TimeFound(value, span))

    for found in _AMPM.finditer(text):
        hour, minute = int(found.group(1)), int(found.group(2) or 0)
        if not 1 <= hour <= 12:
            continue
        is_pm = found.group(3).startswith("p")
        hour = hour % 12 + (12 if is_pm else 0)
        add(hour, minute, found.span())
    for found in _CLOCK.finditer(text):
        hour = int(found.group(1))
        add(_daytime_hour(hour, after), int(found.group(2)), found.span())
    for found in _NOON.finditer(text):
        add(12, 0, found.span())
    for found in _EN_PERIOD.finditer(text):
        hour = int(found.group(1))
        if 1 <= hour <= 12:
            hour = hour % 12 + (0 if found.group(3) == "morning" else 12)
            add(hour, int(found.group(2) or 0), found.span())
    for found in _ISH.finditer(text):
        add(_daytime_hour(int(found.group(1)), after), int(found.group(2) or 0), found.span())
    for pattern in (_AT_HOUR, _OCLOCK):
        for found in pattern.finditer(text):
            add(_daytime_hour(int(found.group(1)), after), 0, found.span())
    for found in _CN_TIME.finditer(text):
        _add_chinese(found, after, add)
    for found in _CN_NOON.finditer(text):
        add(12, 0, found.span())
    if bare_numbers:
        for found in _BARE.finditer(text):
            add(_daytime_hour(int(found.group(1)), after), 0, found.span())
    return found_times


def _add_chinese(match: re.Match[str], after: time | None, add: _Adder) -> None:
    period, hour_text, minute_part, minute_num, minute_unit = match.groups()
    hour = parse_number(hour_text)
    if hour is None:
        return
    minute = 0
    if minute_part == "半":
        minute = 30
    elif minute_num is not None:
        parsed = parse_number(minute_num)
        if parsed is None:
            return
        # Cantonese counts minutes in 字 (five-minute marks on the clock face).
        minute = parsed * 5 if minute_unit == "個字" else parsed
    if (period in _PM_PERIODS and hour < 12) or (period == "中午" and hour < 6):
        hour += 12
    elif period not in _AM_PERIODS:
        hour = _daytime_hour(hour, after)
    add(hour, minute, match.span())


def find_time(
    text: str,
    *,
    bare_numbers: bool = False,
    after: time | None = None,
    normalised: bool = False,
) -> TimeFound | None:
    """Find the first time of day in ``text``; None if there is none.

    ``bare_numbers`` accepts a message that is only a number ("10") as an hour, which is right
    only when we just asked for a time. ``after`` resolves am/pm for a time that must follow it.
    """
    text = text if normalised else normalise(text)
    candidates = _candidates(text, bare_numbers, after)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c.span[0], -(c.span[1] - c.span[0])))


def find_wait(text: str, *, normalised: bool = False, bare: bool = False) -> WaitFound | None:
    """Find a waiting time such as "wait 1 hour", "wait 45 min", "等一個鐘"; None if absent.

    ``bare`` also reads a text that starts with just an amount ("about an hour"), which is a
    wait only when we asked when to pick the rider up.
    """
    text = text if normalised else normalise(text)
    found = _WAIT_EN.search(text) or (_BARE_WAIT.search(text) if bare else None)
    if found is not None:
        groups = [group for group in found.groups() if group is not None]
        amount_text, unit = groups[0], groups[1]
        if amount_text.startswith("half"):
            amount = 0.5
        elif amount_text in _EN_AMOUNTS:
            amount = _EN_AMOUNTS[amount_text]
        else:
            amount = float(amount_text)
        minutes = amount * 60 if unit.startswith("h") else amount
        return _wait(minutes, found.span())
    found = _WAIT_CN.search(text) or _AFTER_CN.search(text)
    if found is not None:
        amount_text, half_before, unit, half_after = found.groups()
        number = 0.5 if amount_text == "半" else parse_number(amount_text)
        if number is None:
            return None
        minutes = number * 60 if unit in {"鐘頭", "鐘", "小時"} else number
        if half_before or half_after:
            minutes += 30
        return _wait(minutes, found.span())
    return None


def _wait(minutes: float, span: tuple[int, int]) -> WaitFound | None:
    # Waits over eight hours are not a wait; let the conversation ask again.
    if 0 < minutes <= 8 * 60:
        return WaitFound(round(minutes), span)
    return None
