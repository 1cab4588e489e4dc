"""Targeted behaviours of ``handle`` that the scripted conversations do not pin down."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.booking.conversation import engine
from services.booking.conversation.engine import (
    ConversationContext,
    ConversationState,
    CreateRideRequest,
    FlagForDispatcher,
    InboundText,
    OptOut,
    RegisterRider,
    Turn,
    action_to_dict,
    handle,
)
from shared.i18n import Language
from shared.ride_requests import REFERENCE_ALPHABET
from tests.booking.scenarios import HELP_CONTACT, PLACES, PROGRAMME, RIDERS, START


def _ctx(**changes: object) -> ConversationContext:
    ctx = ConversationContext(
        now=START,
        programme_name=PROGRAMME,
        help_contact=HELP_CONTACT,
        places=PLACES,
        rider=RIDERS["mei"],
        rng=random.Random(7),
    )
    return replace(ctx, **changes)  # type: ignore[arg-type]


def _play(texts: list[str], **changes: object) -> list[Turn]:
    state: ConversationState | None = None
    turns = []
    for minutes, text in enumerate(texts):
        ctx = _ctx(**changes)
        ctx = replace(ctx, now=ctx.now + timedelta(minutes=minutes))
        turn = handle(state, InboundText(text), ctx)
        state = turn.state
        turns.append(turn)
    return turns


def test_reference_codes_are_six_unambiguous_characters_and_repeatable() -> None:
    """Codes avoid 0/O/1/I, and the same rng seed gives the same code."""
    texts = ["T&T tomorrow 10am one way", "yes"]
    first = _play(texts)[-1].actions[0]
    again = _play(texts)[-1].actions[0]
    assert isinstance(first, CreateRideRequest)
    assert isinstance(again, CreateRideRequest)
    assert first.reference_code == again.reference_code
    assert len(first.reference_code) == 6
    assert set(first.reference_code) <= set(REFERENCE_ALPHABET)
    assert not set("01IO") & set(REFERENCE_ALPHABET)


def test_actions_serialise_to_json() -> None:
    """Every action the engine emits can go into an outbox row or a log as JSON."""
    turn = _play(["T&T tomorrow 10am, back by 1", "yes"])[-1]
    data = json.loads(json.dumps([action_to_dict(a) for a in turn.actions]))
    assert data[0]["type"] == "CreateRideRequest"
    assert data[0]["return_home_by"] == "13:00:00"


def test_an_unexpected_error_apologises_and_flags_a_dispatcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last-resort catch answers politely and asks a person to follow up."""

    def broken(*_: object) -> Turn:
        raise RuntimeError("bug")

    monkeypatch.setattr(engine, "_handle", broken)
    turn = handle(None, InboundText("hi"), _ctx())
    assert turn.reply is not None
    assert "coordinator" in turn.reply
    assert any(isinstance(a, FlagForDispatcher) for a in turn.actions)
    silent = handle(None, InboundText("hi"), _ctx(opted_out=True))
    assert silent.reply is None
    assert silent.actions == ()


def test_a_second_stop_from_an_opted_out_number_is_silent() -> None:
    """Carriers expect one confirmation; after that nothing is sent."""
    first = handle(None, InboundText("STOP"), _ctx())
    assert first.actions == (OptOut("stop"),)
    second = handle(first.state, InboundText("STOP"), _ctx(opted_out=True))
    assert second.reply is None
    assert second.actions == ()


def test_stop_in_the_middle_of_a_booking_drops_the_draft() -> None:
    """After opting back in the rider starts a fresh booking."""
    turns = _play(["T&T tomorrow", "STOP"])
    assert turns[-1].state.draft.place_id is None
    assert turns[-1].state.opted_out is True


def test_help_from_an_unknown_number_does_not_start_registration() -> None:
    """HELP answers the question asked; sign-up starts with the next ordinary text."""
    turn = handle(None, InboundText("HELP"), _ctx(rider=None))
    assert turn.reply is not None
    assert PROGRAMME in turn.reply
    assert turn.state.step == "start"


def test_a_chinese_text_gets_a_chinese_reply_even_if_the_profile_says_english() -> None:
    """Whoever writes Chinese is answered in Chinese."""
    turn = handle(None, InboundText("你好"), _ctx())
    assert turn.language == "zh-Hant"


def test_a_chinese_rider_typing_only_ascii_stays_in_chinese() -> None:
    """ "T&T 10am" from a Chinese-speaking rider is still answered in Chinese."""
    turn = handle(None, InboundText("T&T 10am"), _ctx(rider=RIDERS["chan"]))
    assert turn.language == "zh-Hant"


def test_a_ride_whose_time_passes_while_confirming_is_not_booked() -> None:
    """Confirming "today 9:10am" at 9:15 asks for a new time instead of booking the past."""
    first = handle(None, InboundText("T&T today 9:10am one way"), _ctx())
    assert first.state.step == "confirm"
    late = handle(first.state, InboundText("yes"), _ctx(now=START + timedelta(minutes=15)))
    assert late.actions == ()
    assert late.reply is not None
    assert "already passed" in late.reply


def test_needs_on_file_are_carried_into_a_new_booking() -> None:
    """A rider registered with a wheelchair need does not have to repeat it."""
    rider = replace(RIDERS["mei"], needs=("wheelchair",))
    turns = _play(["T&T tomorrow 10am one way", "yes"], rider=rider)
    booking = turns[-1].actions[0]
    assert isinstance(booking, CreateRideRequest)
    assert booking.needs == ("wheelchair",)


def test_a_bad_time_zone_name_falls_back_to_toronto() -> None:
    """A misconfigured organisation still gets replies, in Toronto time."""
    turns = _play(["T&T tomorrow 10am one way", "yes"], time_zone="Mars/Olympus")
    booking = turns[-1].actions[0]
    assert isinstance(booking, CreateRideRequest)
    assert booking.at_utc == datetime(2026, 11, 23, 15, tzinfo=UTC)


def test_a_registration_name_that_looks_like_a_booking_is_asked_again() -> None:
    """ "T&T tomorrow" is not a name; the details are kept and the name asked for again."""
    turns = _play(["hello", "T&T tomorrow 10am", "Lee", "Yonge and Finch"], rider=None)
    assert "just your name" in (turns[1].reply or "")
    assert turns[-1].actions == (RegisterRider("Lee", "Yonge and Finch", Language.EN),)
    assert turns[-1].state.draft.place_id == "tnt-downsview"


def test_a_stale_state_without_a_draft_is_not_announced_as_expired() -> None:
    """Coming back a day after a finished booking is just a new conversation."""
    first = _play(["T&T tomorrow 10am one way", "yes"])[-1]
    later = handle(first.state, InboundText("hi"), _ctx(now=START + timedelta(days=1)))
    assert later.reply is not None
    assert "timed out" not in later.reply
