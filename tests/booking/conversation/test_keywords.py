"""Commands and carrier keywords are recognised as whole messages, in both languages."""

from __future__ import annotations

import pytest

from services.booking.conversation.keywords import (
    Command,
    detect_language,
    match_command,
    yes_or_no,
)
from shared.i18n import Language


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop ",
        "STOP.",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "停止",
        "取消訂閱",
        "退訂",
        "Stop!",
    ],
)
def test_carrier_opt_out_keywords_opt_out(text: str) -> None:
    """Every carrier opt-out keyword, any case and spacing, is an opt-out."""
    found = match_command(text)
    assert found is not None
    assert found.command == Command.OPT_OUT


@pytest.mark.parametrize(
    "text", ["please stop at the bank", "stop by T&T", "cancel ride tomorrow 10am", "the end"]
)
def test_opt_out_words_inside_a_sentence_do_not_opt_out(text: str) -> None:
    """Carriers match whole messages only, and so do we."""
    found = match_command(text)
    assert found is None or found.command != Command.OPT_OUT


@pytest.mark.parametrize("text", ["START", "unstop", "開始"])
def test_opt_in_keywords_opt_in(text: str) -> None:
    """START and UNSTOP opt back in at any time."""
    found = match_command(text)
    assert found is not None
    assert found.command == Command.OPT_IN


def test_yes_opts_in_only_when_opted_out() -> None:
    """A bare YES is an answer, except from a number that has opted out."""
    assert match_command("YES") is None
    found = match_command("YES", opted_out=True)
    assert found is not None
    assert found.command == Command.OPT_IN


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("HELP", Command.HELP),
        ("help?", Command.HELP),
        ("?", Command.HELP),
        ("幫助", Command.HELP),
        ("STATUS", Command.STATUS),
        ("狀態", Command.STATUS),
        ("取消", Command.CANCEL_WHICH),
        ("restart", Command.RESTART),
    ],
)
def test_commands_are_recognised_in_both_languages(text: str, command: Command) -> None:
    """HELP, STATUS and friends in English and Chinese."""
    found = match_command(text)
    assert found is not None
    assert found.command == command


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CANCEL K7M4QX", "K7M4QX"),
        ("cancel k7m4qx", "K7M4QX"),
        ("取消 P3R8TW", "P3R8TW"),
        ("取消P3R8TW", "P3R8TW"),
        ("Cancel #ABC234", "ABC234"),
    ],
)
def test_cancel_with_a_code_carries_the_code(text: str, code: str) -> None:
    """CANCEL <code> cancels a ride rather than opting out."""
    found = match_command(text)
    assert found is not None
    assert found.command == Command.CANCEL_RIDE
    assert found.code == code


@pytest.mark.parametrize(
    ("text", "language"), [("中文", "zh-Hant"), ("廣東話", "zh-Hant"), ("English", "en")]
)
def test_language_switch_words_name_the_language(text: str, language: str) -> None:
    """A rider can switch language with one word in either language."""
    found = match_command(text)
    assert found is not None
    assert found.command == Command.LANGUAGE
    assert found.language == language


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True),
        ("Y", True),
        ("ok", True),
        ("是", True),
        ("係", True),
        ("好", True),
        ("no", False),
        ("N", False),
        ("不是", False),
        ("唔係", False),
        ("不用", False),
        ("maybe", None),
        ("no frills", None),
        ("", None),
    ],
)
def test_yes_and_no_are_whole_message_answers(text: str, answer: bool | None) -> None:
    """Yes/no in both languages; anything longer is not a yes or no."""
    assert yes_or_no(text) is answer


def test_language_detection_switches_to_chinese_only_on_chinese_characters() -> None:
    """CJK means zh-Hant; ASCII keeps whatever the conversation already used."""
    assert detect_language("明天") == "zh-Hant"
    assert detect_language("10am") == "en"
    assert detect_language("10am", fallback=Language.ZH_HANT) == "zh-Hant"
