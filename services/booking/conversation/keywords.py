"""Whole-message commands, carrier opt-out keywords, yes/no answers and language detection.

Carriers (and Twilio's Advanced Opt-Out) treat STOP-family keywords as opt-outs only when they
are the whole message, case and whitespace insensitive; we do the same so "please don't stop
at the bank" never unsubscribes anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from services.booking.conversation._intents import answer
from services.booking.conversation._text import has_cjk, normalise
from shared.i18n import Language

OPT_OUT_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "opt out",
        "opt-out",
        "停止",
        "取消訂閱",
        "退訂",
    }
)
OPT_IN_WORDS = frozenset({"start", "unstop", "開始", "恢復", "重新訂閱"})
# YES opts back in only while opted out; otherwise it is an answer.
OPT_IN_WHEN_OPTED_OUT = frozenset({"yes"})

_YES = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yea",
        "yep",
        "yup",
        "ok",
        "okay",
        "k",
        "sure",
        "correct",
        "right",
        "confirm",
        "yes please",
        "是",
        "係",
        "好",
        "好的",
        "好呀",
        "確認",
        "對",
        "啱",
        "啱呀",
        "沒問題",
        "冇問題",
        "要",
        "需要",
        "可以",
        "ok 好",
        "👍",
    }
)
_NO = frozenset(
    {
        "no",
        "n",
        "nope",
        "nah",
        "none",
        "not",
        "no thanks",
        "no thank you",
        "wrong",
        "不",
        "否",
        "不是",
        "唔係",
        "唔啱",
        "不對",
        "錯",
        "不用",
        "唔使",
        "唔駛",
        "不需要",
        "沒有",
        "冇",
        "無",
        "沒",
    }
)
_HELP = frozenset({"help", "info", "幫助", "幫忙", "求助", "說明", "help me"})
_STATUS = frozenset({"status", "my rides", "rides", "狀態", "查詢", "我的預約", "預約"})
_RESTART = frozenset({"restart", "start over", "new", "reset", "重新開始", "重新", "重來"})
_LANG_ZH = frozenset({"中文", "繁體", "繁體中文", "廣東話", "粵語", "chinese", "cantonese"})
_LANG_EN = frozenset({"english", "英文", "英語", "eng"})

# Reference codes avoid 0/O/1/I, but riders still type them; accept any 4-8 letters/digits.
_CANCEL_CODE = re.compile(r"^(?:cancel|取消)\s*(?:ride\s*|預約\s*)?#?\s*([a-z0-9]{4,8})$")
# Full-width punctuation is already ASCII after NFKC; the ideographic full stop is not.
_TRIM = re.compile(r"^[\s.!?。,~]+|[\s.!?。,~]+$")


class Command(StrEnum):
    """What a whole message means before any slot parsing."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    STATUS = "status"
    CANCEL_RIDE = "cancel_ride"
    CANCEL_WHICH = "cancel_which"
    RESTART = "restart"
    LANGUAGE = "language"


@dataclass(frozen=True)
class CommandMatch:
    """A recognised command, with its keyword and the argument some commands carry."""

    command: Command
    keyword: str
    code: str | None = None
    language: Language | None = None


def _squash(text: str) -> str:
    return _TRIM.sub("", normalise(text))


def match_command(text: str, *, opted_out: bool = False) -> CommandMatch | None:
    """Recognise a whole-message command, or return None.

    ``opted_out`` makes a bare YES an opt-in, as carriers do.
    """
    if normalise(text) == "?":
        return CommandMatch(Command.HELP, "?")
    word = _squash(text)
    if word in OPT_OUT_WORDS:
        return CommandMatch(Command.OPT_OUT, word)
    if word in OPT_IN_WORDS or (opted_out and word in OPT_IN_WHEN_OPTED_OUT):
        return CommandMatch(Command.OPT_IN, word)
    if word in _HELP:
        return CommandMatch(Command.HELP, word)
    if word in _STATUS:
        return CommandMatch(Command.STATUS, word)
    if word in _RESTART:
        return CommandMatch(Command.RESTART, word)
    if word in _LANG_ZH:
        return CommandMatch(Command.LANGUAGE, word, language=Language.ZH_HANT)
    if word in _LANG_EN:
        return CommandMatch(Command.LANGUAGE, word, language=Language.EN)
    if word in {"取消", "cancel ride", "cancel my ride", "取消預約"}:
        return CommandMatch(Command.CANCEL_WHICH, word)
    found = _CANCEL_CODE.match(word)
    if found is not None:
        return CommandMatch(Command.CANCEL_RIDE, word, code=found.group(1).upper())
    return None


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None otherwise.

    The yes or no may come wrapped in thanks, particles and emoji ("yes please", "係呀唔該",
    "ok 👍"), but nothing else: "no, Tuesday" is a correction, not a no.
    """
    word = _squash(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    reading = answer(text)
    return reading.value if reading.pure else None


def detect_language(text: str, fallback: Language = Language.EN) -> Language:
    """Guess the reply language from a message: any CJK ideograph means zh-Hant.

    Messages without CJK (times like "10am", codes, emoji) keep ``fallback`` so a Chinese
    conversation does not flip to English because someone typed "T&T 10am".
    """
    if has_cjk(text):
        return Language.ZH_HANT
    return fallback


_LATIN_WORDS = re.compile(r"[a-z]{2,}")
_CJK_CHARS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Words that say nothing about the writer's language: yes/no, codes, place-like shortenings.
_NEUTRAL = frozenset({"ok", "okay", "yes", "no", "am", "pm", "hi", "thx", "tmr", "tmrw", "pls"})


def text_language(text: str) -> Language | None:
    """The language a text is clearly written in, or None when it does not say.

    Chinese characters mean Chinese unless they are a name inside an English sentence (a few
    characters among many English words); three or more English words and no Chinese mean
    English. "ok", "10am", a ride code or an emoji say nothing.
    """
    norm = normalise(text)
    cjk = len(_CJK_CHARS.findall(norm))
    words = [word for word in _LATIN_WORDS.findall(norm) if word not in _NEUTRAL]
    if cjk:
        return Language.EN if len(words) >= 5 and cjk <= 4 else Language.ZH_HANT
    return Language.EN if len(words) >= 3 else None
