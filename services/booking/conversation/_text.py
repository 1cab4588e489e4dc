"""Text normalisation shared by the parsers: one canonical form for matching SMS bodies.

Riders type on phones set to Traditional Chinese, Simplified Chinese or English keyboards,
often with full-width digits and punctuation. Every parser works on the same normalised text
so that spans found by one parser can be removed before the next one looks.
"""

from __future__ import annotations

import re
import unicodedata

from opencc import OpenCC

# Parsing a whole 1,600-character body buys nothing (nobody books a ride in an essay) and
# fuzzy matching is quadratic-ish in the token count, so parsers only look at the start.
MAX_PARSE_CHARS = 320

# Riders whose phones are set to Simplified Chinese write 明天去超市; OpenCC's offline
# Simplified-to-Traditional tables (phrase-aware) fold that to the Traditional forms the
# catalogue and the keyword patterns use. Traditional text passes through almost unchanged
# (a few variants fold to one form, such as 晒 to 曬, so patterns match the folded form).
_TO_TRADITIONAL = OpenCC("s2t")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
_SCRIPT_SEAM = re.compile(r"(?<=[\u3400-\u9fff])(?=[a-z])|(?<=[a-z])(?=[\u3400-\u9fff])")


def normalise(text: str) -> str:
    """Return ``text`` folded for matching: NFKC, lower case, Traditional, single spaces.

    NFKC turns full-width digits, letters and colons into ASCII ones, which phone keyboards in
    Chinese mode produce all the time (full-width "10:30").
    """
    folded = unicodedata.normalize("NFKC", text[:MAX_PARSE_CHARS])
    if has_cjk(folded):
        folded = _TO_TRADITIONAL.convert(folded)
    folded = folded.lower()
    # Curly quotes and apostrophes come from iOS "smart punctuation".
    folded = folded.replace("\u2019", "'").replace("\u2018", "'")
    # "10am去", "tmr去睇醫生": a space where Latin letters meet Chinese keeps English word
    # boundaries working in mixed texts.
    folded = _SCRIPT_SEAM.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def has_cjk(text: str) -> bool:
    """True if ``text`` contains at least one CJK ideograph."""
    return _CJK.search(text) is not None


def blank_out(text: str, span: tuple[int, int]) -> str:
    """Replace ``text[span]`` by spaces, keeping every other offset valid for later parsers."""
    start, end = span
    return text[:start] + " " * (end - start) + text[end:]


_CN_DIGITS = {
    "零": 0,
    "〇": 0,  # noqa: RUF001 - the ideographic zero is what riders type, not a Latin O
    "一": 1,
    "二": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

CN_NUMBER = "[零〇一二兩三四五六七八九十廿卅]{1,3}"
"""Regex fragment matching a small Chinese numeral (0-39), for use inside larger patterns."""


def parse_number(token: str) -> int | None:
    """Parse an ASCII or small Chinese numeral ("12", "十二", "廿三"); None if it is neither."""
    token = token.strip()
    if token.isascii() and token.isdigit():
        return int(token) if len(token) <= 4 else None
    if not token:
        return None
    if token in _CN_DIGITS:
        return _CN_DIGITS[token]
    tens_chars = {"十": 1, "廿": 2, "卅": 3}
    for char, tens in tens_chars.items():
        if char in token:
            before, _, after = token.partition(char)
            if before and before not in _CN_DIGITS:
                return None
            if after and after not in _CN_DIGITS:
                return None
            high = _CN_DIGITS[before] * 10 if before else tens * 10
            if before and char != "十":
                return None
            return high + (_CN_DIGITS[after] if after else 0)
    return None
