"""Every reply template stays within two SMS segments, in both languages, with long values.

Uses ``shared.segments.segment_count`` (GSM-7 vs UCS-2) so the count matches what the
notifier bills.
"""

# Chinese texts rightly use full-width punctuation, which these rules flag as look-alikes.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from services.booking.conversation._model import ConversationContext, ConversationState, Draft
from services.booking.conversation._prompts import next_question, summary
from services.booking.conversation._turn_builder import TurnBuilder
from services.booking.conversation.replies import (
    LIST_BUDGET,
    PREFIX_KEYS,
    QUESTION_KEYS,
    TEMPLATES,
    fit_list,
    join,
    render,
)
from shared.i18n import Language, format_date, format_time
from shared.segments import encoding, segment_count
from tests.booking.scenarios import PLACES

LANGUAGES: tuple[Language, ...] = (Language.EN, Language.ZH_HANT)
# Deliberately long but realistic values for every placeholder.
LONG_VALUES: dict[Language, dict[str, object]] = {
    Language.EN: {
        "programme": "HK Neighbours Community Rides",
        "contact": "416-555-0100",
        "examples": "T&T Supermarket, No Frills (Dundas), No Frills (Bathurst)",
        "options": "1) No Frills (Dundas) 2) No Frills (Bathurst) 3) No Frills (Spadina)",
        "code": "K7M4QX",
        "suggestions": "T&T Supermarket, Chinese Legal Clinic, Hong Fook Clinic",
        "first": "Fri Mar 12",
        "second": "Thu Dec 3",
        "example": "Dec 3",
        "time": "10:30am",
        "rides": "; ".join(["Wed Nov 25 10:30am T&T Supermarket (K7M4QX)"] * 3),
    },
    Language.ZH_HANT: {
        "programme": "HK Neighbours Community Rides",
        "contact": "416-555-0100",
        "examples": "大統華超市、No Frills（登打士街）、康福診所",
        "options": "1) No Frills（登打士街） 2) No Frills（巴富士街）",
        "code": "K7M4QX",
        "suggestions": "大統華超市、華人法律援助中心、康福診所",
        "first": "3月12日（五）",
        "second": "12月3日（四）",
        "example": "12月3日",
        "time": "上午10:30",
        "rides": "；".join(["11月25日（三）上午10:30 大統華超市 (K7M4QX)"] * 2),
    },
}


def _builder(language: Language) -> TurnBuilder:
    ctx = ConversationContext(
        now=datetime(2026, 11, 22, 14, tzinfo=UTC),
        programme_name="HK Neighbours Community Rides",
        help_contact="416-555-0100",
        places=PLACES,
        rng=random.Random(0),
    )
    return TurnBuilder(ctx, ConversationState(), language)


def _longest_summary(language: Language) -> str:
    builder = _builder(language)
    longest_place = max(PLACES, key=lambda p: len(p.name_en if language == "en" else p.name_zh))
    draft = Draft(
        kind="appointment",
        place_id=longest_place.id,
        ride_date="2026-12-30",
        ride_time="10:45",
        return_trip=True,
        return_wait=120,
        passengers=8,
        needs=("wheelchair", "walker", "service_animal"),
    )
    builder.set_draft(draft)
    return summary(builder)


@pytest.mark.parametrize(("key", "language"), list(itertools.product(TEMPLATES, LANGUAGES)))
def test_every_template_fits_in_two_segments(key: str, language: Language) -> None:
    """No template, filled with long values, needs more than two SMS."""
    values = dict(LONG_VALUES[language], summary=_longest_summary(language))
    text = render(key, language, **values)
    assert segment_count(text) <= 2, text


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_english_templates_stay_in_the_gsm_alphabet(key: str) -> None:
    """One stray curly quote would make an English text UCS-2 and cut its segment to 70."""
    values = dict(LONG_VALUES[Language.EN], summary=_longest_summary(Language.EN))
    assert encoding(render(key, Language.EN, **values)) == "GSM-7"


@pytest.mark.parametrize(
    ("prefix", "question", "language"),
    list(itertools.product(PREFIX_KEYS, (*QUESTION_KEYS, "confirm"), LANGUAGES)),
)
def test_a_prefix_and_a_question_together_fit_in_two_segments(
    prefix: str, question: str, language: Language
) -> None:
    """Replies like "Sorry, I didn't understand. What day?" are still at most two SMS."""
    values = dict(LONG_VALUES[language], summary=_longest_summary(language))
    text = join(render(prefix, language), render(question, language, **values))
    assert segment_count(text) <= 2, text


@pytest.mark.parametrize(
    "key", ["ask_date", "ask_time", "didnt_get", "cancelled", "language_set", "what_to_change"]
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_short_questions_fit_in_one_segment(key: str, language: Language) -> None:
    """The questions asked most often cost one SMS each."""
    assert segment_count(render(key, language, code="K7M4QX")) == 1


def test_every_template_exists_in_both_languages() -> None:
    """No reply may be missing its Chinese (or English) text."""
    for key, texts in TEMPLATES.items():
        assert set(texts) == set(LANGUAGES), key


def test_dates_and_times_are_formatted_for_each_language() -> None:
    """The bot formats with shared.i18n: "Sat Nov 28", "10am" / "11月28日（六）", "上午10:00"."""
    day = datetime(2026, 11, 28).date()
    assert format_date(day, "en") == "Sat Nov 28"
    assert format_date(day, "zh-Hant") == "11月28日（六）"
    assert format_time(time(10), "en") == "10am"
    assert format_time(time(14, 30), "en") == "2:30pm"
    assert format_time(time(12), "zh-Hant") == "中午12:00"
    assert format_time(time(15, 30), "zh-Hant") == "下午3:30"
    assert format_time(time(19, 5), "zh-Hant") == "晚上7:05"


def test_chinese_parts_join_without_a_stray_space() -> None:
    """After Chinese full stops the next sentence follows directly."""
    assert join("好的。", "請問哪一天？") == "好的。請問哪一天？"
    assert join("OK.", "What day?") == "OK. What day?"
    assert join("", "What day?") == "What day?"


def test_the_summary_shows_every_slot() -> None:
    """The confirmation names place, day, time, ride home, people and needs."""
    builder = _builder(Language.EN)
    builder.set_draft(
        replace(
            Draft(),
            place_id="tnt-downsview",
            ride_date="2026-11-28",
            ride_time="10:00",
            return_trip=True,
            return_home_by="13:00",
            passengers=2,
            needs=("walker",),
        )
    )
    assert summary(builder) == (
        "T&T Supermarket, Sat Nov 28 at 10am. Home by 1pm. 2 people, walker."
    )


def test_long_lists_are_cut_to_fit_instead_of_overflowing() -> None:
    """A big catalogue or many rides never push a reply past two SMS."""
    many = [f"Very Long Community Health Centre Branch Number {n}" for n in range(20)]
    english = fit_list(many, Language.EN)
    assert english.startswith(many[0])
    assert len(english) <= LIST_BUDGET[Language.EN]
    chinese = fit_list(["華人社區健康中心第一分部第二診症室" * 3] * 5, Language.ZH_HANT)
    assert len(chinese) <= LIST_BUDGET[Language.ZH_HANT]
    assert chinese.endswith("...")
    assert fit_list(["a", "b"], Language.EN, separator=" ") == "a b"


def test_a_huge_catalogue_still_gives_short_place_replies() -> None:
    """Unknown-place suggestions and examples with long names fit in two segments."""
    long_places = tuple(
        replace(place, name_en=place.name_en * 4, name_zh=place.name_zh * 4) for place in PLACES
    )
    for language in LANGUAGES:
        builder = _builder(language)
        builder = TurnBuilder(replace(builder.ctx, places=long_places), builder.state, language)
        builder.set_draft(
            Draft(
                place_id=long_places[0].id,
                ride_date="2026-12-01",
                ride_time="10:00",
                return_trip=False,
            )
        )
        text = render("confirm", language, summary=summary(builder))
        assert segment_count(text) <= 2, text
        builder.set_draft(Draft())  # nothing chosen yet: the reply lists example places
        question = join(render("didnt_get", language), next_question(builder))
        assert segment_count(question) <= 2, question


def test_joining_drops_the_notice_rather_than_send_three_segments() -> None:
    """When a notice and a long question do not fit together, the question wins."""
    question = "Q" * 300
    assert join("Sorry, I didn't understand.", question) == question
    assert join("Sorry.", "What day?") == "Sorry. What day?"
