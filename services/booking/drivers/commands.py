"""What a volunteer driver's text means: one command, parsed without I/O.

Drivers answer their route text with short words, in English or Traditional Chinese (Cantonese
forms included): YES / 好 accepts, NO / 唔得 declines with an optional reason, LATE 15 /
遲15分鐘 reports a delay, LEFT / 出發 says they are on the way, DONE / 完成 closes the legs so
far, OFF <date> / 休息 <date> asks for a day off, HELP / 幫助 lists the commands. Case,
punctuation and emoji around a command do not matter. Dates go through the booking
conversation's own date parser, so "OFF tomorrow", "OFF 12/3" and "休息 下星期二" read as they do
for riders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.booking.conversation._text import normalise
from services.booking.conversation.dates import DateFound, find_date
from services.booking.conversation.keywords import OPT_IN_WORDS, OPT_OUT_WORDS

#: the most minutes a LATE report may carry; more is a typo or a different day
MAX_LATE_MINUTES = 240


class DriverCommandKind(StrEnum):
    """The driver commands, and the two outcomes that are not commands."""

    ACCEPT = "accept"
    DECLINE = "decline"
    LATE = "late"
    LEFT = "left"
    DONE = "done"
    OFF = "off"
    HELP = "help"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    #: a command word with an argument we cannot use (no minutes, no or a past date)
    INCOMPLETE = "incomplete"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DriverCommand:
    """A parsed driver text. ``day``: the date named; ``minutes``: a delay; ``reason``: why."""

    kind: DriverCommandKind
    chinese: bool = False
    day: date | None = None
    minutes: int | None = None
    reason: str = ""
    #: for INCOMPLETE: the command the driver meant
    meant: DriverCommandKind | None = None


_ACCEPT = (
    "yes",
    "y",
    "ok",
    "okay",
    "accept",
    "yep",
    "yeah",
    "sure",
    "好",
    "好的",
    "得",
    "可以",
    "冇問題",
    "沒問題",
    "接受",
    "ok好",
    "👍",
)
_DECLINE = (
    "no",
    "n",
    "decline",
    "cant",
    "can't",
    "cannot",
    "唔得",
    "不行",
    "唔去得",
    "去唔到",
    "唔可以",
    "不可以",
    "拒絕",
)
_LEFT = (
    "left",
    "on my way",
    "omw",
    "leaving",
    "on the way",
    "出發",
    "出發了",
    "出發啦",
    "上路",
    "出門",
)
_DONE = ("done", "finished", "complete", "completed", "完成", "完成了", "搞掂", "做完")
_HELP = ("help", "info", "?", "commands", "幫助", "幫忙", "說明", "指令")
_LATE_WORDS = "late|running late|delay|delayed|遲|遲到|會遲|遲咗|晚"
_OFF_WORDS = "off|day off|休息|放假|唔得閒"

# Whatever decorates a command: punctuation (ASCII after NFKC, plus CJK marks) and emoji.
_DECORATION = re.compile(r"[^\w\s'?/:\u3400-\u9fff-]+")
_LATE = re.compile(
    rf"^(?:{_LATE_WORDS})\s*(?:by\s*)?(?P<n>\d{{1,4}})?\s*(?:分鐘|分|mins?|minutes?|m)?\s*(?:late|遲到)?$"
)
_LATE_CN = re.compile(r"^(?:會|要)?(?:遲|晚)(?:到)?\s*(?P<n>\d{1,4})\s*(?:分鐘|分)(?:到|左右)?$")
_OFF = re.compile(rf"^(?:{_OFF_WORDS})(?:\s+|(?=[\u3400-\u9fff\d])|$)(?P<rest>.*)$")
_DECLINE_REASON = re.compile(
    r"^(?P<word>no|decline|cant|can't|cannot|唔得|不行|唔去得|去唔到|唔可以|不可以)(?:[\s,:]+|(?=[\u3400-\u9fff]))(?P<rest>.+)$"
)
_ACCEPT_DATE = re.compile(
    r"^(?P<word>yes|ok|okay|accept|好|得|可以)(?:[\s,:]+|(?=[\u3400-\u9fff\d]))(?P<rest>.+)$"
)


def _clean(text: str) -> str:
    folded = normalise(text)
    folded = _DECORATION.sub(" ", folded).replace("。", " ").replace("、", " ")
    return " ".join(folded.split())


def _date_in(text: str, today: date) -> date | None:
    found = find_date(text, today)
    return found.value if isinstance(found, DateFound) else None


def parse_driver_text(text: str, today: date) -> DriverCommand:
    """The command in a driver's text; ``today`` is the organisation's local date.

    Never raises: anything unrecognised is ``UNKNOWN`` so the caller can answer helpfully.
    """
    chinese = any("\u3400" <= char <= "\u9fff" for char in text)
    word = _clean(text)
    if word in OPT_OUT_WORDS:
        return DriverCommand(DriverCommandKind.OPT_OUT, chinese)
    if word in OPT_IN_WORDS:
        return DriverCommand(DriverCommandKind.OPT_IN, chinese)
    if not word and "👍" in text:
        return DriverCommand(DriverCommandKind.ACCEPT, chinese)
    for words, kind in (
        (_ACCEPT, DriverCommandKind.ACCEPT),
        (_DECLINE, DriverCommandKind.DECLINE),
        (_LEFT, DriverCommandKind.LEFT),
        (_DONE, DriverCommandKind.DONE),
        (_HELP, DriverCommandKind.HELP),
    ):
        if word in words:
            return DriverCommand(kind, chinese)
    late = _LATE.match(word) or _LATE_CN.match(word)
    if late is not None:
        minutes = int(late.group("n")) if late.group("n") else None
        if minutes is None or not 1 <= minutes <= MAX_LATE_MINUTES:
            return DriverCommand(
                DriverCommandKind.INCOMPLETE, chinese, meant=DriverCommandKind.LATE
            )
        return DriverCommand(DriverCommandKind.LATE, chinese, minutes=minutes)
    off = _OFF.match(word)
    if off is not None:
        day = _date_in(off.group("rest"), today) if off.group("rest") else None
        if day is None:
            return DriverCommand(DriverCommandKind.INCOMPLETE, chinese, meant=DriverCommandKind.OFF)
        return DriverCommand(DriverCommandKind.OFF, chinese, day=day)
    decline = _DECLINE_REASON.match(word)
    if decline is not None:
        return DriverCommand(DriverCommandKind.DECLINE, chinese, reason=decline.group("rest")[:200])
    accept = _ACCEPT_DATE.match(word)
    if accept is not None:
        day = _date_in(accept.group("rest"), today)
        if day is not None:
            return DriverCommand(DriverCommandKind.ACCEPT, chinese, day=day)
    return DriverCommand(DriverCommandKind.UNKNOWN, chinese)
