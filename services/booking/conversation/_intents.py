"""Read what a whole text asks for, wherever in the sentence it says it.

Riders do not send bare keywords. They write "please cancel ABC123, not going anymore",
"我有咩預約呀", "can you reply in English please", "係呀唔該", "ok 👍". ``read_intents`` looks
for every command a text carries, scores each, and returns them strongest first; ``answer``
reads a yes or a no that comes wrapped in thanks, particles and emoji.

Precedence, when a text carries several: a language switch (it changes how everything else is
said), then cancelling a ride by its code, checking rides, asking for help, and dropping the
booking under way. A command phrase that comes with ride details ("help me book T&T tomorrow")
is not a command: the caller lets ride details win over help and status, since those replies
would throw the details away.
"""

# Cantonese patterns rightly contain full-width punctuation.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from services.booking.conversation._text import normalise
from shared.i18n import Language


class Intent(StrEnum):
    """Something a text asks for besides ride details."""

    LANGUAGE = "language"
    CANCEL_CODE = "cancel_code"
    STATUS = "status"
    HELP = "help"
    DROP = "drop"
    CANCEL_ASK = "cancel_ask"
    THANKS = "thanks"


@dataclass(frozen=True)
class Found:
    """One intent in a text, how sure we are (0-1), and its argument if it has one."""

    intent: Intent
    score: float
    code: str | None = None
    language: Language | None = None


# Reference codes avoid 0/O/1/I, but riders still type them; a code has a digit and a letter.
_CODE = re.compile(r"(?<![a-z0-9])(?=[a-z]*\d)(?=\d*[a-z])([a-z0-9]{5,8})(?![a-z0-9])")
_CANCEL_WORD = re.compile(r"\bcancel(?:l?ed|ling|l?ation)?\b|\bcxl\b|取消|唔要|唔去")
# "in Chinese" is a switch; "in Chinese Cultural Centre" is a place.
_NOT_A_NAME = (
    r"(?!\s+(?:legal|cultural|culture|centre|center|clinic|school|church|community|association"
    r"|restaurant|supermarket|mall|store|hospital|medical|food|bakery|class))"
)
_LANG_EN = re.compile(
    rf"\b(?:in|speak|use|reply|text|write|talk|answer)\b[\w\s]{{0,12}}\benglish(?![a-z]){_NOT_A_NAME}"
    r"|^\s*(?:english|eng)\s*(?:please|pls|plz|only)?\s*[.!]?\s*$"
    r"|(?:講|用|改(?:返)?(?:做|成|用)?|轉(?:做|返)?|要)\s*(?:返)?\s*(?:英文|英語)"
    r"|^\s*(?:英文|英語)\s*(?:得唔得|可以嗎|唔該|please)?\s*[?？]?\s*$"
)
_LANG_ZH = re.compile(
    r"\b(?:in|speak|use|reply|text|write|talk|answer)\b[\w\s]{0,12}\b(?:chinese|cantonese)(?![a-z])"
    + _NOT_A_NAME
    + r"|^\s*(?:chinese|cantonese)\s*(?:please|pls|plz|only)?\s*[.!]?\s*$"
    r"|(?:講|用|改(?:返)?(?:做|成|用)?|轉(?:做|返)?|要)\s*(?:返)?\s*(?:中文|廣東話|粵語|繁體)"
    r"|^\s*(?:中文|廣東話|粵語|繁體|繁體中文)\s*(?:得唔得|可以嗎|唔該|please|pls)?\s*[?？]?\s*$"
)
_STATUS = re.compile(
    r"\bwhat(?:'s| is| are)? (?:rides?|bookings?|trips?)\b"
    r"|\b(?:what|which) (?:rides?|bookings?|trips?) (?:do|did|have) i\b"
    r"|\bwhat(?:'s| is| have i)? (?:got )?booked\b|\bwhats booked\b"
    r"|\b(?:do|did) i have (?:a |any )?(?:rides?|bookings?|trips?|appointments?)\b"
    r"|\bcheck (?:my |on my )?(?:rides?|bookings?|trips?|reservations?)\b"
    r"|\bmy (?:rides?|bookings?|trips?|reservations?)\s*\??\s*$"
    r"|\b(?:when|what time) is my (?:ride|pick ?up|booking)\b|\bride status\b"
    r"|(?:有|有冇|有無|有沒有)(?:咩|乜|乜嘢|甚麼|什麼|幾多)?\s*(?:預約|ride|book|車)"
    r"|(?:我(?:嘅|的|個|啲)|睇下|查下|查|睇)\s*(?:預約|booking)"
    r"|幾時有車|幾點有車|book咗|約咗|預約咗|訂咗"
)
_HELP = re.compile(
    r"\bhow (?:do|can|does|to) (?:i |you |we )?(?:use|work|book)\b|\bhow does (?:this|it) work"
    r"|\bwhat can (?:i|you) do\b|\bwhat (?:is|does) this\b|\bi(?:'m| am)? (?:confused|lost)\b"
    r"|\bi don'?t (?:know|understand) how\b|^\s*(?:help|info|\?)\b|\bhelp me\s*(?:pls|please)?\s*$"
    r"|點用|點樣用|怎樣用|怎麼用|唔識用|點樣預約|點預約|點book|點樣book|唔明點|唔知點|點算|幫助|求助"
)
_DROP = re.compile(
    r"\bnever ?mind\b|\bforget (?:it|about it)\b|\bdon'?t need (?:it|the ride|a ride)"
    r"(?: anymore| any more)?\b|\bnot going\b|\bno longer need\b|\bnvm\b"
    r"|算(?:啦|吧|數)|唔去(?:喇|了|啦)|不去了|唔使(?:喇|啦)?\s*(?:唔該)?\s*唔去|取消(?:佢|呢個)?(?:啦|喇|吧)?$"
)
_THANKS_ONLY = re.compile(
    r"^(?:\s|thanks?|thank you|thx|ty|much appreciated|cheers|great|ok|okay|[!.,~]"
    r"|唔該[晒曬]?|多謝[晒曬]?(?:你|你哋|你們)?|謝謝(?:你|你們)?|[呀啊啦喇囉嘅㗎喎吖]"
    r"|[\U0001F44D\U0001F64F\u2764\U0001F60A\U0001F642\U0001F600\U0001F970\U0001F495])+$"
)


# Mixed texts glue scripts together ("唔該cancel ABC123", "English呀"); a space between them
# lets English word boundaries work.
_SCRIPT_SEAM = re.compile(r"(?<=[\u3400-\u9fff])(?=[a-z0-9])|(?<=[a-z0-9])(?=[\u3400-\u9fff])")


def _read(text: str) -> str:
    return _SCRIPT_SEAM.sub(" ", normalise(text))


def read_intents(text: str, *, codes: frozenset[str] = frozenset()) -> list[Found]:
    """Every intent ``text`` carries, strongest first; ``codes`` are the rider's ride codes."""
    norm = _read(text)
    found: list[Found] = []
    if (english := _LANG_EN.search(norm)) is not None:
        found.append(Found(Intent.LANGUAGE, 0.9, language=Language.EN))
    if (chinese := _LANG_ZH.search(norm)) is not None and (
        english is None or chinese.start() > english.start()
    ):
        found = [Found(Intent.LANGUAGE, 0.9, language=Language.ZH_HANT)]
    code = _ride_code(norm, codes)
    cancel_word = _CANCEL_WORD.search(norm)
    if code is not None and (cancel_word is not None or code in codes):
        found.append(Found(Intent.CANCEL_CODE, 0.95 if cancel_word else 0.6, code=code))
    elif cancel_word is not None and "取消訂閱" not in norm:
        found.append(Found(Intent.CANCEL_ASK, 0.5))
    if _STATUS.search(norm):
        found.append(Found(Intent.STATUS, 0.8))
    if _HELP.search(norm):
        found.append(Found(Intent.HELP, 0.7))
    if _DROP.search(norm):
        found.append(Found(Intent.DROP, 0.6))
    if _THANKS_ONLY.match(norm):
        found.append(Found(Intent.THANKS, 0.4))
    return sorted(found, key=lambda item: -item.score)


def _ride_code(norm: str, codes: frozenset[str]) -> str | None:
    candidates = [match.group(1).upper() for match in _CODE.finditer(norm)]
    known = [candidate for candidate in candidates if candidate in codes]
    if known:
        return known[0]
    # An unknown code is still worth naming back ("I can't find ride ABC123").
    plausible = [c for c in candidates if len(c) == 6 and not re.fullmatch(r"\d+[a-z]+", c)]
    plausible = [c for c in plausible if not re.fullmatch(r"\d{1,2}(?:AM|PM)", c)]
    return plausible[0] if plausible else None


# A yes or a no, and what may come with it without changing its meaning.
_FILLER = re.compile(
    r"\b(?:please|pls|plz|thanks|thank you|thx|ty"
    r"|of course|sure thing|so much|very much|that'?s|that is|it'?s|this is|sounds|looks|all|so"
    r"|very|really|too|you|again"
    r"|indeed|dear|lah|la|ar|ah|oh|hi|hello)\b"
    r"|唔該[晒曬]?|多謝[晒曬]?|謝謝|麻煩[晒曬]?(?:你)?|你|[呀啊啦喇囉嘅㗎喎吖嘞咧啩噃嗎]"
    r"|[\U0001F64F\u2764\U0001F60A\U0001F642\U0001F600\U0001F970\U0001F495]"
    r"|[\s.,!?~:;'\"()\-]|[，。！？、～]"
)
_YES_UNITS = re.compile(
    r"(?:yes|yeah|yea|yep|yup|ya|yah|ok|okay|okey|k|kk|sure|correct|right|confirm(?:ed)?|y"
    r"|absolutely|definitely|exactly|good|fine|perfect|great|soundsgood|goahead|bookit"
    r"|thatsright|thatisright|thatscorrect|allgood|👍|👌|✅"
    r"|係|是|好|好的|啱|對|冇問題|沒問題|無問題|可以|確認|確定|正確|冇錯|沒錯|要|需要|得|ok)+"
)
_NO_UNITS = re.compile(
    r"(?:no|nope|nah|n|not really|no need|not needed|none|wrong|❌|👎"
    r"|唔使|唔駛|不用|不需要|唔需要|唔要|不要|冇|沒有|無|唔係|不是|唔啱|不對|錯|否|不)+"
)
_LEADING_NO = re.compile(
    r"^\s*(?:no|nope|nah|no need|no thanks?|no thank you|not needed|唔使|唔駛|不用|不需要|唔需要"
    r"|唔要|不要)(?![a-z])"
)


_LEADING_YES = re.compile(r"^\s*(?:yes|yeah|yep|yup|ok|okay|sure|係|是|好|要|需要)(?![a-z])")


@dataclass(frozen=True)
class Answer:
    """A yes (True) or no (False) in a text; ``pure`` when nothing else is in it."""

    value: bool | None
    pure: bool


def answer(text: str) -> Answer:
    """Read a yes or a no wrapped in thanks, particles and emoji ("係呀唔該", "ok 👍")."""
    norm = _read(text)
    bare = _FILLER.sub("", norm)
    if not bare:
        return Answer(None, False)
    if _YES_UNITS.fullmatch(bare):
        return Answer(True, True)
    if _NO_UNITS.fullmatch(bare):
        return Answer(False, True)
    if _LEADING_NO.match(norm):
        return Answer(False, False)
    if _LEADING_YES.match(norm):
        return Answer(True, False)
    return Answer(None, False)
