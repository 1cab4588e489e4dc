# ruff: noqa: RUF001  # Chinese dates use full-width brackets on purpose.
"""Driver replies: every one in both languages, one SMS segment with long values."""

from __future__ import annotations

from datetime import date

import pytest

from services.booking.drivers.replies import REPLY_KEYS, driver_reply
from shared.i18n import Language
from shared.segments import segment_count


@pytest.mark.parametrize("key", sorted(REPLY_KEYS))
@pytest.mark.parametrize("language", [Language.EN, Language.ZH_HANT])
def test_every_reply_fits_one_segment(key: str, language: Language) -> None:
    """With a long name and a large count, still one segment (70 UCS-2 characters in Chinese)."""
    text = driver_reply(key, language, day=date(2026, 12, 30), count=12, name="Christopher")
    assert segment_count(text) == 1, text


def test_replies_differ_by_language() -> None:
    """The Chinese reply is Chinese."""
    english = driver_reply("accepted", Language.EN, day=date(2026, 11, 24))
    chinese = driver_reply("accepted", Language.ZH_HANT, day=date(2026, 11, 24))
    assert "Tue Nov 24" in english and "11月24日（二）" in chinese
