"""Plain dataclasses the conversation engine reads and returns.

``ConversationState`` round-trips through a JSON-able dict for the database. Reading a dict is
forgiving on purpose: a stored state written by an older version, or damaged, must never stop a
rider from getting a reply, so anything unusable is dropped field by field.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from services.booking.conversation._actions import Action
from services.booking.conversation.places import PlaceEntry
from shared.i18n import DEFAULT_TIME_ZONE, TEXT_LANGUAGES, Language

_T = TypeVar("_T")
STATE_VERSION = 1
RIDE_KINDS = ("grocery", "appointment", "errand")
NEEDS = ("wheelchair", "walker", "service_animal")
MAX_PASSENGERS = 8


@dataclass(frozen=True)
class InboundText:
    """One inbound SMS: its text and how many media attachments came with it."""

    body: str
    num_media: int = 0


@dataclass(frozen=True)
class UpcomingRide:
    """A booked ride the rider can see with STATUS and cancel with CANCEL <code>."""

    reference_code: str
    at: datetime
    place_name_en: str
    place_name_zh: str


@dataclass(frozen=True)
class RiderInfo:
    """What the caller knows about a registered rider."""

    name: str
    language: Language
    upcoming: tuple[UpcomingRide, ...] = ()
    needs: tuple[str, ...] = ()
    # Catalogue ids of the places this rider went to lately, newest first: offered first when
    # the rider names a kind of place ("see a doctor") rather than a place.
    recent_places: tuple[str, ...] = ()


def _system_random() -> random.Random:
    return random.SystemRandom()


@dataclass(frozen=True)
class ConversationContext:
    """Everything the engine may know besides the message and the stored state.

    ``now`` must be timezone-aware. ``rng`` makes reference codes; tests pass a seeded
    ``random.Random`` so codes are repeatable.
    """

    now: datetime
    programme_name: str
    help_contact: str
    places: tuple[PlaceEntry, ...] = ()
    rider: RiderInfo | None = None
    opted_out: bool = False
    time_zone: str = DEFAULT_TIME_ZONE
    idle_timeout: timedelta = timedelta(minutes=30)
    rng: random.Random = field(default_factory=_system_random, compare=False, repr=False)


class Step(StrEnum):
    """Where the conversation is."""

    START = "start"
    REG_NAME = "reg_name"
    REG_ADDRESS = "reg_address"
    BOOKING = "booking"
    CHOOSE_PLACE = "choose_place"
    CONFIRM = "confirm"


ASKABLE = ("place", "date", "time", "return", "return_time", "cancel")


@dataclass(frozen=True)
class Draft:
    """The ride being booked; dates and times kept as ISO strings so the state is JSON-able."""

    kind: str | None = None
    place_id: str | None = None
    ride_date: str | None = None
    ride_time: str | None = None
    return_trip: bool | None = None
    return_pickup: str | None = None
    return_home_by: str | None = None
    return_wait: int | None = None
    passengers: int = 1
    needs: tuple[str, ...] = ()

    @property
    def date_value(self) -> date | None:
        """The ride date, or None if unset or unreadable."""
        return _parse(date.fromisoformat, self.ride_date)

    @property
    def time_value(self) -> time | None:
        """The ride time, or None if unset or unreadable."""
        return _parse(time.fromisoformat, self.ride_time)


@dataclass(frozen=True)
class ConversationState:
    """The stored state of one phone number's conversation."""

    step: Step = Step.START
    asking: str | None = None
    language: Language | None = None
    language_chosen: bool = False
    draft: Draft = field(default_factory=Draft)
    reg_name: str | None = None
    registered: bool = False
    opted_out: bool = False
    misses: int = 0
    choices: tuple[str, ...] = ()
    updated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict for the database."""
        return {
            "v": STATE_VERSION,
            "step": str(self.step),
            "asking": self.asking,
            "language": self.language,
            "language_chosen": self.language_chosen,
            "draft": {
                "kind": self.draft.kind,
                "place_id": self.draft.place_id,
                "ride_date": self.draft.ride_date,
                "ride_time": self.draft.ride_time,
                "return_trip": self.draft.return_trip,
                "return_pickup": self.draft.return_pickup,
                "return_home_by": self.draft.return_home_by,
                "return_wait": self.draft.return_wait,
                "passengers": self.draft.passengers,
                "needs": list(self.draft.needs),
            },
            "reg_name": self.reg_name,
            "registered": self.registered,
            "opted_out": self.opted_out,
            "misses": self.misses,
            "choices": list(self.choices),
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: object) -> ConversationState:
        """Rebuild a state from ``to_dict`` output, dropping anything unusable."""
        if not isinstance(data, dict):
            return cls()
        raw_draft = data.get("draft")
        draft_data: dict[str, Any] = raw_draft if isinstance(raw_draft, dict) else {}
        step = data.get("step")
        language = data.get("language")
        asking = data.get("asking")
        choices = data.get("choices")
        return cls(
            step=Step(step) if step in {s.value for s in Step} else Step.START,
            asking=asking if asking in ASKABLE else None,
            language=Language(language) if language in TEXT_LANGUAGES else None,
            language_chosen=data.get("language_chosen") is True,
            draft=_draft_from(draft_data),
            reg_name=_short_text(data.get("reg_name"), 80),
            registered=data.get("registered") is True,
            opted_out=data.get("opted_out") is True,
            misses=_int_in(data.get("misses"), 0, 10) or 0,
            choices=tuple(c for c in choices if _short_text(c, 100))[:9]
            if isinstance(choices, list | tuple)
            else (),
            updated_at=_iso_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one message: new state, reply (None = silent), actions."""

    state: ConversationState
    reply: str | None
    language: Language
    actions: tuple[Action, ...] = ()


def _parse(parser: Callable[[str], _T], value: object) -> _T | None:
    if not isinstance(value, str):
        return None
    try:
        return parser(value)
    except ValueError:
        return None


def _short_text(value: object, limit: int) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= limit:
        return value
    return None


def _int_in(value: object, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _iso_datetime(value: object) -> str | None:
    parsed = _parse(datetime.fromisoformat, value)
    if parsed is not None and parsed.tzinfo is not None:
        return str(value)
    return None


def _iso_time(value: object) -> str | None:
    parsed = _parse(time.fromisoformat, value)
    return parsed.strftime("%H:%M") if parsed is not None else None


def _draft_from(data: dict[str, Any]) -> Draft:
    kind = data.get("kind")
    return_trip = data.get("return_trip")
    needs = data.get("needs")
    ride_date = _parse(date.fromisoformat, data.get("ride_date"))
    return Draft(
        kind=kind if kind in RIDE_KINDS else None,
        place_id=_short_text(data.get("place_id"), 100),
        ride_date=ride_date.isoformat() if ride_date is not None else None,
        ride_time=_iso_time(data.get("ride_time")),
        return_trip=return_trip if isinstance(return_trip, bool) else None,
        return_pickup=_iso_time(data.get("return_pickup")),
        return_home_by=_iso_time(data.get("return_home_by")),
        return_wait=_int_in(data.get("return_wait"), 1, 480),
        passengers=_int_in(data.get("passengers"), 1, MAX_PASSENGERS) or 1,
        needs=tuple(n for n in NEEDS if isinstance(needs, list | tuple) and n in needs),
    )
