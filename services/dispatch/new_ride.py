"""A ride booked by hand for a rider who phoned in, with the same validation as the JSON API.

The form is turned into the API's ``RideRequestCreate`` and handed to the API's own
``create_ride_request`` operation (found by its public operation id), so a ride booked here is
checked, numbered, given its return leg and queued for re-planning exactly as one booked through
the API; the SMS bot books through the same model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.datastructures import URL

from services.booking.api._http import Call, Operation
from services.booking.api.errors import ApiError, InvalidInput
from services.dispatch.i18n import N_, gettext
from services.dispatch.views import KIND_LABELS, place_name
from shared.audit import record
from shared.i18n import time_zone as zone
from shared.models import (
    Place,
    RequestKind,
    RequestSource,
    Rider,
    RideRequest,
    RideRequestCreate,
)


@dataclass(frozen=True)
class NewRideForm:
    """The choices the form offers: the organisation's riders and places."""

    riders: list[tuple[int, str]]
    places: list[tuple[int, str]]
    kinds: list[tuple[str, str]]


def new_ride_form(session: Session, organisation_id: int) -> NewRideForm:
    """The riders, places and kinds of ride to choose from."""
    riders = session.exec(
        select(Rider)
        .where(Rider.organisation_id == organisation_id, col(Rider.active).is_(True))
        .order_by(col(Rider.name))
    ).all()
    places = session.exec(
        select(Place).where(Place.organisation_id == organisation_id).order_by(col(Place.name))
    ).all()
    return NewRideForm(
        riders=[(r.id or 0, r.name) for r in riders],
        places=[(p.id or 0, place_name(p)) for p in places],
        kinds=[(kind.value, gettext(KIND_LABELS[kind.value])) for kind in RequestKind],
    )


def _create_operation() -> Operation:
    from services.booking.api.app import api_operations

    return next(op for op in api_operations() if op.name == "create_ride_request")


def _local(day: date, value: str, time_zone: str) -> datetime | None:
    if not value:
        return None
    try:
        clock = time.fromisoformat(value)
    except ValueError:
        raise InvalidInput.one("time", gettext(N_("Give the time as HH:MM."))) from None
    return datetime.combine(day, clock, zone(time_zone))


def book_ride(
    session: Session,
    organisation_id: int,
    day: date,
    form: dict[str, str],
    time_zone: str,
    actor: str,
) -> RideRequest:
    """Book a ride from the form's fields; ``InvalidInput`` or ``ApiError`` says what is wrong."""
    kind = form.get("kind", "")
    at = _local(day, form.get("time", ""), time_zone)
    back = _local(day, form.get("return_time", ""), time_zone)
    fields: dict[str, Any] = {
        "rider_id": form.get("rider_id") or None,
        "kind": kind,
        "to_place_id": form.get("to_place_id") or None,
        "service_date": day,
        "passengers": form.get("passengers") or 1,
        "wheelchair": form.get("wheelchair") == "1",
        "walker": form.get("walker") == "1",
        "notes": form.get("notes", ""),
    }
    if kind == RequestKind.APPOINTMENT.value:
        fields["arrive_by"] = at
        fields["return_pickup_at"] = back
    else:
        fields["earliest_departure"] = at
        fields["back_by"] = back
    try:
        body = RideRequestCreate.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput.from_pydantic(exc) from exc
    reply = _create_operation().handler(
        Call(session, organisation_id, None, {}, body, URL("/api/v1/ride-requests"))
    )
    ride = session.get(RideRequest, reply.body["id"])
    assert ride is not None and ride.id is not None
    ride.source = RequestSource.DISPATCHER
    ride.status_changed_by = actor
    ride.status_reason = "booked by a dispatcher"
    session.add(ride)
    record(
        session,
        organisation_id,
        actor,
        "add_ride",
        "ride_request",
        ride.id,
        None,
        {
            "reference_code": ride.reference_code,
            "kind": ride.kind.value,
            "service_date": day.isoformat(),
        },
    )
    return ride


def problems(error: ApiError) -> list[str]:
    """An API error's messages, one per field where it has them."""
    if isinstance(error, InvalidInput):
        return [f"{p.field.removeprefix('body.')}: {p.message}" for p in error.problems]
    return [error.message]
