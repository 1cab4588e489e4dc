"""Riders understood the first time (issue 14), through signed webhooks.

Each class of text the issue lists gets a test: confirmations, cancels, status, help and
language switches inside a sentence; the ride home said in the first text; natural answers;
corrections after the summary; approximate times; everyday place names and kinds of place;
the reply language following the text; Simplified Chinese. None of them may be answered with
"I don't know that place".
"""

# Chinese texts rightly use full-width punctuation.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from shared.i18n import Language
from shared.models import Place, PlaceKind, RequestStatus, Rider, RideRequest
from tests.booking.scenarios import HELP_CONTACT, RIDER_PHONES
from tests.booking.sms.conftest import AppFactory, Clock, Phone, World, count, seed_rider

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # Sun 22 Nov 2026, 09:00 in Toronto
UNKNOWN_PLACE = ("don't know that place", "不認識這個地方")
SUMMARY = ("Reply YES to book", "請回覆「是」確認")
BOOKED = ("Request received", "已收到預約")


def _phone(make_client: AppFactory, world: World, rider: str = "mei") -> Phone:
    seed_rider(world, rider)
    return Phone(make_client(Clock(START)), RIDER_PHONES[rider], to=world.number)


def _say(phone: Phone, text: str) -> str:
    reply = phone.send(text)
    assert reply is not None
    assert not any(marker in reply for marker in UNKNOWN_PLACE), (text, reply)
    return reply


def _has(reply: str, markers: tuple[str, ...]) -> bool:
    return any(marker in reply for marker in markers)


@pytest.mark.parametrize(
    "confirm", ["yes please", "yep that's right thanks", "係呀唔該", "啱，唔該晒", "ok 👍"]
)
def test_a_confirmation_inside_a_sentence_books_the_ride(
    make_client: AppFactory, world: World, confirm: str
) -> None:
    """A yes wrapped in thanks, particles or emoji is a yes."""
    phone = _phone(make_client, world)
    assert _has(_say(phone, "T&T tomorrow 10am, no need to take me back"), SUMMARY)
    assert _has(_say(phone, confirm), BOOKED)
    assert count(world, RideRequest) == 2, "the seeded ride and the new one"


@pytest.mark.parametrize(
    "text", ["please cancel K7M4QX, not going anymore", "幫我取消 K7M4QX 唔該", "cancel k7m4qx pls"]
)
def test_cancelling_with_a_code_inside_a_sentence_cancels_it(
    make_client: AppFactory, world: World, text: str
) -> None:
    """The code and a cancel word anywhere in the text cancel that ride."""
    phone = _phone(make_client, world)
    assert "K7M4QX" in _say(phone, text)
    with Session(world.engine) as session:
        ride = session.exec(
            select(RideRequest).where(
                RideRequest.reference_code == "K7M4QX",
                RideRequest.organisation_id == world.organisation_id,
            )
        ).one()
        assert ride.status == RequestStatus.CANCELLED


@pytest.mark.parametrize("text", ["what rides do I have?", "我有咩預約", "do I have any rides?"])
def test_asking_what_is_booked_lists_the_rides(
    make_client: AppFactory, world: World, text: str
) -> None:
    """Status questions in a sentence list the rider's rides."""
    assert "K7M4QX" in _say(_phone(make_client, world), text)


@pytest.mark.parametrize("text", ["how do I use this", "點用呀?", "how does this work?"])
def test_asking_for_help_in_a_sentence_gets_help(
    make_client: AppFactory, world: World, text: str
) -> None:
    """Help questions get the help text with the contact number."""
    assert HELP_CONTACT in _say(_phone(make_client, world), text)


@pytest.mark.parametrize(
    "text",
    [
        "T&T tomorrow 10am, pick me up at 4",
        "T&T tomorrow 10am, wait 90 min for me",
        "T&T tomorrow 10am, no need to take me back",
        "T&T tomorrow 10am, my son drives me home",
        "聽日十點去大統華 四點接我",
        "聽日十點去大統華 唔使接",
    ],
)
def test_the_ride_home_said_in_the_first_text_is_not_asked_again(
    make_client: AppFactory, world: World, text: str
) -> None:
    """Everything is known, so the reply is the summary, not the ride-home question."""
    assert _has(_say(_phone(make_client, world), text), SUMMARY)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("no thanks, I'll take the bus", "No ride home"),
        ("唔使喇", "不需要回程"),
        ("要呀", "幾點接您回家"),
    ],
)
def test_natural_answers_to_the_ride_home_question(
    make_client: AppFactory, world: World, answer: str, expected: str
) -> None:
    """Answers people give to "Do you need a ride home?" are understood."""
    phone = _phone(make_client, world)
    _say(phone, "T&T tomorrow 10am")
    assert expected in _say(phone, answer)


def test_about_an_hour_answers_when_to_pick_up(make_client: AppFactory, world: World) -> None:
    """ "about an hour" after "yes" is a wait of 60 minutes."""
    phone = _phone(make_client, world)
    _say(phone, "T&T tomorrow 10am")
    _say(phone, "yes")
    assert "60 min" in _say(phone, "about an hour")


@pytest.mark.parametrize(
    ("correction", "expected"),
    [
        ("not No Frills, I mean T&T", "T&T Supermarket"),
        ("唔係嗰間，係巴富士街嗰間", "巴富士街"),
        ("唔係十點，係十一點", "11:00"),
        ("actually make it Saturday", "Sat"),
    ],
)
def test_a_correction_after_the_summary_changes_that_slot(
    make_client: AppFactory, world: World, correction: str, expected: str
) -> None:
    """Place, time and day are correctable after the summary, in either language."""
    phone = _phone(make_client, world)
    assert _has(_say(phone, "No Frills Dundas tomorrow 10am, one way"), SUMMARY)
    reply = _say(phone, correction)
    assert _has(reply, SUMMARY)
    assert expected in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T&T tomorrow 10ish, one way", "10am"),
        ("T&T tomorrow around 12, one way", "12pm"),
        ("T&T tomorrow after lunch", "in the afternoon"),
        ("聽日早上去大統華", "早上幾點"),
    ],
)
def test_approximate_times(make_client: AppFactory, world: World, text: str, expected: str) -> None:
    """ "10ish" is 10; "after lunch" and "早上" ask for the time in that part of the day."""
    assert expected in _say(_phone(make_client, world), text)


@pytest.mark.parametrize(
    ("rider", "text", "language"),
    [
        ("chan", "can you reply in English please", Language.EN),
        ("mei", "講中文得唔得", Language.ZH_HANT),
    ],
)
def test_a_language_switch_inside_a_sentence_is_stored(
    make_client: AppFactory, world: World, rider: str, text: str, language: Language
) -> None:
    """The rider's stored language changes."""
    _say(_phone(make_client, world, rider), text)
    with Session(world.engine) as session:
        stored = session.exec(
            select(Rider).where(
                Rider.phone == RIDER_PHONES[rider],
                Rider.organisation_id == world.organisation_id,
            )
        ).one()
        assert stored.preferred_language == language


def test_a_kind_of_place_asks_which_one(make_client: AppFactory, world: World) -> None:
    """ "see a doctor" offers the clinics instead of "I don't know that place"."""
    reply = _say(_phone(make_client, world), "I need to see a doctor tomorrow at 10")
    assert "Which one?" in reply
    assert "Hong Fook" in reply


def test_the_hospital_on_a_street_is_found_from_the_catalogue_addresses(
    make_client: AppFactory, world: World
) -> None:
    """A place named by its street matches the address in the catalogue."""
    with Session(world.engine) as session:
        session.add(
            Place(
                organisation_id=world.organisation_id,
                name="Scarborough Grace",
                name_zh="士嘉堡頌恩醫院",
                kind=PlaceKind.HOSPITAL,
                address="4002 Sheppard Ave E, Scarborough",
                latitude=43.78,
                longitude=-79.29,
            )
        )
        session.commit()
    reply = _say(_phone(make_client, world), "the hospital on Sheppard tomorrow 10am, one way")
    assert "Scarborough Grace" in reply


def test_the_reply_follows_the_language_of_the_text(make_client: AppFactory, world: World) -> None:
    """A rider stored as Chinese who writes in English is answered in English."""
    reply = _say(_phone(make_client, world, "chan"), "T&T tomorrow at 10am please, no ride home")
    assert "Reply YES to book" in reply


def test_simplified_chinese_works_like_traditional(make_client: AppFactory, world: World) -> None:
    """明天 / 点 / 大统华 are read through OpenCC."""
    reply = _say(_phone(make_client, world, "chan"), "明天上午10点去大统华，不用接")
    assert "大統華" in reply
    assert _has(reply, SUMMARY)
