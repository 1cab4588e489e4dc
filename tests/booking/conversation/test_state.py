"""Conversation state survives the database as JSON, and damaged state is repaired."""

from __future__ import annotations

import json

import pytest

from services.booking.conversation._model import ConversationState, Draft, Step
from shared.i18n import Language


def test_a_full_state_round_trips_through_json() -> None:
    """to_dict output is JSON-able and from_dict gives back an equal state."""
    state = ConversationState(
        step=Step.CONFIRM,
        asking=None,
        language=Language.ZH_HANT,
        language_chosen=True,
        draft=Draft(
            kind="grocery",
            place_id="tnt-downsview",
            ride_date="2026-11-28",
            ride_time="10:00",
            return_trip=True,
            return_pickup="13:00",
            passengers=2,
            needs=("wheelchair",),
        ),
        reg_name="陳大文",
        registered=True,
        misses=1,
        choices=("a", "b"),
        updated_at="2026-11-22T14:00:00+00:00",
    )
    assert ConversationState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "confirm",
        {},
        {"step": "flying"},
        {"draft": "x"},
        {"draft": {"ride_date": "2026-02-30", "ride_time": "25:99", "passengers": -3}},
        {"updated_at": "yesterday", "misses": "many", "choices": 7},
        {"language": "fr", "registered": "yes"},
    ],
)
def test_damaged_state_is_repaired_field_by_field(data: object) -> None:
    """Unusable values are dropped to defaults rather than raising."""
    state = ConversationState.from_dict(data)
    assert state.language in (None, "en", "zh-Hant")
    assert state.draft.date_value is None
    assert state.draft.time_value is None
    assert state.draft.passengers == 1
    assert state.registered is False


def test_unknown_needs_and_kinds_are_dropped() -> None:
    """Only needs and ride kinds the dispatcher knows survive a reload."""
    state = ConversationState.from_dict(
        {"draft": {"kind": "party", "needs": ["wheelchair", "jetpack"]}}
    )
    assert state.draft.kind is None
    assert state.draft.needs == ("wheelchair",)
