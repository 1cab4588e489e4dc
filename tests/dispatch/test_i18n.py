"""The catalogues: every string a person reads has a Traditional Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from scheduler.solver import UnservedReason
from services.dispatch import i18n
from services.dispatch.views import REASON_WORDS, reason_words
from shared.models import Language

PACKAGE = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue(language: str) -> dict[str, str]:
    with (PACKAGE / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source)
    found: dict[str, str] = {}
    for message in catalogue:
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        value = message.string[0] if isinstance(message.string, tuple | list) else message.string
        if key:
            found[str(key)] = str(value or "")
    return found


def test_every_message_in_code_and_templates_has_a_chinese_translation() -> None:
    chinese = _catalogue("zh_Hant")
    missing = sorted(m for m in _extracted() if not chinese.get(m))
    assert missing == [], "run the extract and update steps in services/dispatch/README"


def test_translations_keep_their_placeholders() -> None:
    for source, translated in _catalogue("zh_Hant").items():
        assert sorted(re.findall(r"%\(\w+\)s", source)) == sorted(
            re.findall(r"%\(\w+\)s", translated)
        ), source


@pytest.mark.parametrize("reason", list(UnservedReason))
def test_every_solver_reason_has_plain_words(reason: UnservedReason) -> None:
    assert reason.value in REASON_WORDS
    with i18n.using(Language.ZH_HANT):
        assert reason_words(reason.value) != REASON_WORDS[reason.value]


def test_a_language_the_interface_lacks_falls_back_to_english() -> None:
    assert i18n.parse_language("zh-Hans") == Language.EN
    assert i18n.parse_language(None) == Language.EN
    assert i18n.parse_language("zh-Hant") == Language.ZH_HANT
