"""Find a ride date in an SMS, in English or Traditional Chinese, relative to a local day.

The caller passes "today" in the organisation's time zone, so "tomorrow" sent at 11 pm in
Toronto (04:00 UTC) still means the next Toronto day. Problems (a date already past, "Feb 30",
"3/12" that could be March 12 or, as Hong Kong writes it, 3 December) come back as values,
never as exceptions, so the conversation can ask a helpful question.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from babel import Locale

from services.booking.conversation._text import CN_NUMBER, normalise, parse_number

# Re-exported so callers find the whole date/time parser in one module.
from services.booking.conversation._times import TimeFound, WaitFound, find_time, find_wait

__all__ = [
    "DateFound",
    "DateProblem",
    "TimeFound",
    "WaitFound",
    "find_date",
    "find_time",
    "find_wait",
]

# A month-day without a year that fell this far back is read as next year's ("Jan 5" in
# December); closer than this it is a date that has just passed, and we ask.
_ROLL_TO_NEXT_YEAR_AFTER = timedelta(days=60)
# "3/12" is ambiguous when March 12 is this far away but 3 December is near.
_NEAR = timedelta(days=45)


@dataclass(frozen=True)
class DateFound:
    """A date the rider gave, and where it was in the normalised text."""

    value: date
    span: tuple[int, int]


@dataclass(frozen=True)
class DateProblem:
    """A date-like phrase that cannot be used as it stands; ``options`` lists readings."""

    problem: Literal["past", "impossible", "ambiguous"]
    span: tuple[int, int]
    options: tuple[date, ...] = ()


DateResult = DateFound | DateProblem

# English month and weekday names as riders type them: CLDR's full and short names (Babel's
# locale data), plus the informal shortenings people text ("sept", "tues", "thurs", "weds").
_EN = Locale("en")
_MONTH_WORDS = {
    name.lower(): num
    for width in ("wide", "abbreviated")
    for num, name in _EN.months["format"][width].items()
}
_MONTH_WORDS.update({"sept": 9})
_MONTH_RE = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))

_WEEKDAYS = {
    name.lower(): num
    for width in ("wide", "abbreviated")
    for num, name in _EN.days["format"][width].items()
}
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
# 星期一 ... 星期日 from CLDR's narrow names; 星期天 is the everyday Sunday.
_CN_WEEKDAYS = {name: num for num, name in Locale("zh_Hant").days["format"]["narrow"].items()}
_CN_WEEKDAYS["天"] = 6
_CN_WEEKDAYS.update({str(n): n - 1 for n in range(1, 8)})

_RELATIVE = [
    (re.compile(r"\bday after (?:tomorrow|tmr|tmrw)\b"), 2),
    (re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b"), 0),
    (re.compile(r"\b(?:tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|2morrow|2moro)\b"), 1),
    (re.compile(r"大後[天日]"), 3),
    (re.compile(r"後[天日]"), 2),
    (re.compile(r"(?:明[天日]|聽日|明早|聽朝)"), 1),
    (re.compile(r"(?:今[天日]|今晚|今朝|今早)"), 0),
]
_EN_WEEKDAY = re.compile(rf"\b(?:(this|next|coming)\s+)?({_WEEKDAY_RE})\b\.?")
_CN_WEEKDAY = re.compile(
    r"(下個|下一個|下|這個|這|今個|呢個|本)?(?:星期|禮拜|週|周|拜)([一二三四五六日天1-7])"
)
_EN_MONTH_DAY = re.compile(
    rf"\b({_MONTH_RE})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}})\b)?"
)
_EN_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"(?<![\d:])(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?(?![\d:])")
_CN_MONTH_DAY = re.compile(
    rf"(?:(\d{{4}})\s*年\s*)?(\d{{1,2}}|{CN_NUMBER})\s*月\s*(\d{{1,2}}|{CN_NUMBER})\s*[日號号]?"
)
_CN_DAY_ONLY = re.compile(rf"(?<![月\d])(\d{{1,2}}|{CN_NUMBER})\s*號")
_EN_DAY_ONLY = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b")


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= year <= 9999):
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def _month_day(
    month: int, day: int, year: int | None, today: date, span: tuple[int, int]
) -> DateResult:
    """Resolve a month and day (and maybe year) to the nearest sensible future date."""
    if year is not None:
        found = _safe_date(year, month, day)
        if found is None:
            return DateProblem("impossible", span)
        return DateFound(found, span) if found >= today else DateProblem("past", span)
    # Feb 29 exists in some year; check against a leap year before calling it impossible.
    if _safe_date(2024, month, day) is None:
        return DateProblem("impossible", span)
    this_year = _safe_date(today.year, month, day)
    if this_year is not None and this_year >= today:
        return DateFound(this_year, span)
    if this_year is not None and today - this_year <= _ROLL_TO_NEXT_YEAR_AFTER:
        return DateProblem("past", span)
    for year_ahead in range(today.year + 1, today.year + 5):
        later = _safe_date(year_ahead, month, day)
        if later is not None:
            return DateFound(later, span)
    return DateProblem("impossible", span)


def _weekday(target: int, qualifier: str, today: date, span: tuple[int, int]) -> DateResult:
    ahead = (target - today.weekday()) % 7
    if qualifier in {"next", "下", "下個", "下一個"}:
        # "Next Tuesday" / 下星期二: that day in the following Monday-to-Sunday week.
        start_of_next_week = today + timedelta(days=7 - today.weekday())
        return DateFound(start_of_next_week + timedelta(days=target), span)
    if qualifier:
        # "this Saturday" / 呢個星期六: the coming one, today included.
        return DateFound(today + timedelta(days=ahead), span)
    if ahead == 0:
        # A bare weekday that is today's: today, or a week from now? Ask.
        return DateProblem("ambiguous", span, (today, today + timedelta(days=7)))
    return DateFound(today + timedelta(days=ahead), span)


def _numeric(match: re.Match[str], today: date) -> DateResult:
    first, second = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    span = match.span()
    month_first = _month_day(first, second, year, today, span)
    day_first = _month_day(second, first, year, today, span)
    if not isinstance(month_first, DateFound):
        # "13/5" cannot be month/day; riders from Hong Kong write day/month.
        return day_first if isinstance(day_first, DateFound) else month_first
    if isinstance(day_first, DateFound) and day_first.value != month_first.value:
        near_md = month_first.value - today <= _NEAR
        near_dm = day_first.value - today <= _NEAR
        if near_dm and not near_md:
            return DateProblem("ambiguous", span, (month_first.value, day_first.value))
    return month_first


def _day_only(day: int, today: date, span: tuple[int, int]) -> DateResult:
    """ "The 5th" / 5號: this month if still ahead, else next month."""
    if not 1 <= day <= 31:
        return DateProblem("impossible", span)
    month, year = today.month, today.year
    for _ in range(3):
        found = _safe_date(year, month, day)
        if found is not None and found >= today:
            return DateFound(found, span)
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return DateProblem("impossible", span)


def find_date(text: str, today: date, *, normalised: bool = False) -> DateResult | None:
    """Find the first date phrase in ``text``; None if there is none.

    ``today`` is the current date in the organisation's time zone. Pass ``normalised=True`` when
    ``text`` already went through ``normalise`` so returned spans index into it.
    """
    text = text if normalised else normalise(text)
    candidates: list[DateResult] = []
    for pattern, days in _RELATIVE:
        for found in pattern.finditer(text):
            candidates.append(DateFound(today + timedelta(days=days), found.span()))
    for found in _EN_WEEKDAY.finditer(text):
        qualifier = found.group(1) or ""
        candidates.append(_weekday(_WEEKDAYS[found.group(2)], qualifier, today, found.span()))
    for found in _CN_WEEKDAY.finditer(text):
        qualifier = found.group(1) or ""
        day = _CN_WEEKDAYS[found.group(2)]
        candidates.append(_weekday(day, qualifier, today, found.span()))
    for found in _EN_MONTH_DAY.finditer(text):
        year = int(found.group(3)) if found.group(3) else None
        month = _MONTH_WORDS[found.group(1)]
        candidates.append(_month_day(month, int(found.group(2)), year, today, found.span()))
    for found in _EN_DAY_MONTH.finditer(text):
        month = _MONTH_WORDS[found.group(2)]
        candidates.append(_month_day(month, int(found.group(1)), None, today, found.span()))
    for found in _ISO.finditer(text):
        year, month, day = (int(part) for part in found.groups())
        candidates.append(_month_day(month, day, year, today, found.span()))
    for found in _NUMERIC.finditer(text):
        candidates.append(_numeric(found, today))
    for found in _CN_MONTH_DAY.finditer(text):
        month_num = parse_number(found.group(2))
        day_num = parse_number(found.group(3))
        year = int(found.group(1)) if found.group(1) else None
        if month_num is None or day_num is None:
            continue
        candidates.append(_month_day(month_num, day_num, year, today, found.span()))
    for found in _CN_DAY_ONLY.finditer(text):
        day_num = parse_number(found.group(1))
        if day_num is not None:
            candidates.append(_day_only(day_num, today, found.span()))
    for found in _EN_DAY_ONLY.finditer(text):
        candidates.append(_day_only(int(found.group(1)), today, found.span()))
    if not candidates:
        return None
    # The earliest phrase wins; on a tie the longest ("day after tomorrow" over "tomorrow").
    return min(candidates, key=lambda c: (c.span[0], -(c.span[1] - c.span[0])))
