"""Typed actions the conversation engine asks its caller to carry out.

The engine never writes to the database or sends anything; it returns these, and the webhook
performs them in the same transaction that stores the new conversation state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from shared.i18n import Language


@dataclass(frozen=True)
class CreateRideRequest:
    """Book a ride request with every slot the rider confirmed.

    ``ride_time`` is the time the rider asked to be at the destination, in the organisation's zone;
    ``at_utc`` is the same instant in UTC for storage. The ride home is either a pick-up time,
    a "home by" time, or a wait of some minutes after arrival, or absent when not wanted.
    """

    reference_code: str
    kind: str
    place_id: str
    ride_date: date
    ride_time: time
    at_utc: datetime
    passengers: int
    needs: tuple[str, ...]
    return_trip: bool
    return_pickup_time: time | None
    return_home_by: time | None
    return_wait_minutes: int | None
    language: Language


@dataclass(frozen=True)
class CancelRide:
    """Cancel the rider's upcoming ride with this reference code."""

    reference_code: str


@dataclass(frozen=True)
class RegisterRider:
    """Put a new rider in the dispatcher's review queue."""

    name: str
    home_address: str
    language: Language


@dataclass(frozen=True)
class OptOut:
    """Record that this number opted out of texts (carrier keyword compliance)."""

    keyword: str


@dataclass(frozen=True)
class OptIn:
    """Record that this number opted back in."""

    keyword: str


@dataclass(frozen=True)
class SetLanguage:
    """Store the rider's preferred language."""

    language: Language


@dataclass(frozen=True)
class FlagForDispatcher:
    """Ask a human to look at this conversation; ``reason`` is shown to the dispatcher."""

    reason: str


Action = (
    CreateRideRequest
    | CancelRide
    | RegisterRider
    | OptOut
    | OptIn
    | SetLanguage
    | FlagForDispatcher
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def action_to_dict(action: Action) -> dict[str, Any]:
    """A JSON-able dict for an action: ``{"type": "CancelRide", "reference_code": ...}``.

    Used for logs, an outbox row, and the scripted-conversation expectations.
    """
    fields = {item.name: _plain(getattr(action, item.name)) for item in dataclasses.fields(action)}
    return {"type": type(action).__name__, **fields}
