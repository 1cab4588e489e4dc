# ruff: noqa: RUF001  # Chinese replies use full-width punctuation on purpose.
"""The driver conversation's replies, in English and Traditional Chinese (Cantonese readers).

Each reply fits one SMS segment where it can, two at most (tested): 160 GSM-7 characters in
English, 70 UCS-2 characters a segment in Chinese. Dates are written by ``shared.i18n``.
"""

from __future__ import annotations

from datetime import date

from shared.i18n import Language, format_date

# Placeholders: {day} (a date), {count} (riders or legs), {name} (a rider's first name).
_REPLIES: dict[str, tuple[str, str]] = {
    "accepted": (
        "Thank you! Your route for {day} is accepted. Reply LATE 15, LEFT or DONE on the day.",
        "多謝！已確認你{day}的路線。當日可回覆「遲15分鐘」、「出發」或「完成」。",
    ),
    "declined": (
        "Thank you for letting us know. We will find another driver for {day}.",
        "多謝通知！我們會為{day}另找司機。",
    ),
    "already_declined": (
        "You declined the route for {day}. To drive after all, please call the dispatcher.",
        "你已推辭{day}的路線。如想再接，請致電調度員。",
    ),
    "late_told": (
        "Thanks. We told {count} rider(s) you are running late.",
        "多謝。已通知{count}位乘客你會遲到。",
    ),
    "on_the_way_told": (
        "Thanks. We told {name} you are on the way.",
        "多謝。已通知{name}你正在路上。",
    ),
    "no_pickup_left": (
        "No pick-ups are left on your route today.",
        "你今日的路線已沒有要接的乘客。",
    ),
    "done": (
        "Thank you! {count} ride(s) marked completed.",
        "多謝！已把{count}程標示為完成。",
    ),
    "day_off": (
        "Noted: you are off on {day}.",
        "已記錄：你{day}休息。",
    ),
    "day_off_declined": (
        "Noted: you are off on {day}. We will find another driver for your route.",
        "已記錄：你{day}休息。我們會為你的路線另找司機。",
    ),
    "no_route": (
        "You have no published route to answer. Reply HELP for the commands.",
        "你暫時沒有已發佈的路線。回覆「幫助」查看指令。",
    ),
    "no_route_today": (
        "You have no route today. Reply HELP for the commands.",
        "你今日沒有路線。回覆「幫助」查看指令。",
    ),
    "need_minutes": (
        "How late? Reply e.g. LATE 15 (minutes).",
        "遲幾多分鐘？例如回覆「遲15分鐘」。",
    ),
    "need_date": (
        "Which day, from today on? Reply e.g. OFF Dec 5.",
        "哪一天（今日或之後）？例如回覆「休息 12月5日」。",
    ),
    "help": (
        "Driver commands: YES accept route, NO decline, LATE 15, LEFT (on my way), DONE, "
        "OFF <date>, STOP.",
        "司機指令：好＝接受路線，唔得＝推辭，遲15分鐘，出發，完成，休息 <日期>，停止。",
    ),
    "unknown": (
        "Sorry, I did not understand. Reply YES, NO, LATE 15, LEFT, DONE, OFF <date> or HELP.",
        "對不起，我看不明白。請回覆：好、唔得、遲15分鐘、出發、完成、休息 <日期> 或 幫助。",
    ),
}

REPLY_KEYS = frozenset(_REPLIES)


def driver_reply(
    key: str, language: Language, *, day: date | None = None, count: int = 0, name: str = ""
) -> str:
    """The reply called ``key`` in ``language`` (Chinese for any Chinese tag)."""
    english, chinese = _REPLIES[key]
    template = english if language == Language.EN else chinese
    day_text = format_date(day, language) if day is not None else ""
    return template.format(day=day_text, count=count, name=name)
