"""Ride requests: book, list, get, change and cancel; each change queues a re-plan of its day."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel

from services.booking.api._http import Call, Operation, Reply
from services.booking.api._input import (
    DEFAULT_LIMIT,
    IsoDate,
    Limit,
    Offset,
    Query,
    RowId,
    check_reference,
)
from services.booking.api._rows import page, patch, public_json, scoped
from services.booking.api.errors import InvalidInput
from shared.errors import Conflict
from shared.models import (
    DEFAULT_PRIORITY,
    Organisation,
    Place,
    RequestKind,
    RequestSource,
    RequestStatus,
    Rider,
    RideRequest,
    RideRequestCreate,
    RideRequestPublic,
    RideRequestUpdate,
    utcnow,
)
from shared.outbox import queue_replan
from shared.ride_requests import (
    API_ACTOR,
    CHANGEABLE_STATUSES,
    OutsideItsDay,
    cancel,
    check_day,
    record_creation,
    sync_return_leg,
    unused_reference_code,
)

log = logging.getLogger(__name__)


class CancelRideRequest(SQLModel):
    """Why the request is cancelled; kept in the request's status history."""

    reason: str = Field(min_length=1, max_length=500)


def _owned_rider(session: Session, organisation_id: int, rider_id: int) -> Rider:
    check_reference(rider_id, "body.rider_id")
    rider = session.get(Rider, rider_id)
    if rider is None or rider.organisation_id != organisation_id:
        raise InvalidInput.one("body.rider_id", f"no rider {rider_id} in your organisation")
    if not rider.active:
        raise InvalidInput.one(
            "body.rider_id", f"rider {rider_id} is deactivated; PATCH active=true first"
        )
    return rider


def _owned_place(session: Session, organisation_id: int, place_id: int | None, field: str) -> None:
    if check_reference(place_id, f"body.{field}") is None:
        return
    place = session.get(Place, place_id)
    if place is None or place.organisation_id != organisation_id:
        raise InvalidInput.one(f"body.{field}", f"no place {place_id} in your organisation")


def _check_times(request: RideRequest) -> None:
    for name in ("arrive_by", "earliest_departure", "back_by", "return_pickup_at"):
        value = getattr(request, name)
        try:
            if value is not None:
                value.astimezone(UTC)
        except OverflowError as exc:
            # Times are stored in UTC; year 9999 at -05:00 has no UTC equivalent.
            raise InvalidInput.one(f"body.{name}", "is out of range; use a real date") from exc


def _check_return(session: Session, request: RideRequest) -> None:
    _check_times(request)
    back, arrive = request.return_pickup_at, request.arrive_by
    if back is not None and arrive is not None and back <= arrive:
        raise InvalidInput.one("body.return_pickup_at", "must be after arrive_by")
    organisation = session.get(Organisation, request.organisation_id)
    assert organisation is not None
    try:
        check_day(request, organisation.time_zone)
    except OutsideItsDay as exc:
        raise InvalidInput.one(f"body.{exc.field}", str(exc)) from exc


def _create(call: Call) -> Reply:
    body: RideRequestCreate = call.body
    session, org = call.session, call.organisation_id
    _owned_rider(session, org, body.rider_id)
    _owned_place(session, org, body.from_place_id, "from_place_id")
    _owned_place(session, org, body.to_place_id, "to_place_id")
    request = RideRequest.model_validate(
        body.model_dump(),
        update={
            "organisation_id": org,
            "source": RequestSource.API,
            "status": RequestStatus.REQUESTED,
            "status_changed_by": API_ACTOR,
            "status_reason": "booked through the API",
            "reference_code": unused_reference_code(session, org),
            "priority": DEFAULT_PRIORITY[body.kind] if body.priority is None else body.priority,
        },
    )
    _check_return(session, request)
    record_creation(session, request)
    sync_return_leg(session, request)
    queue_replan(session, org, request.service_date)
    session.flush()
    # Reload so the answer shows stored values (UTC times), the same as a later GET.
    session.refresh(request)
    location = f"{call.url.path}/{request.id}"
    return Reply(public_json(RideRequestPublic, request), 201, {"Location": location})


def _list(call: Call) -> Reply:
    conditions: list[ColumnElement[bool]] = []
    for name in ("service_date", "status", "rider_id", "kind", "outbound_request_id"):
        value = getattr(call.query, name)
        if value is not None:
            conditions.append(getattr(RideRequest, name) == value)
    return Reply(page(call, RideRequest, RideRequestPublic, conditions))


def _get(call: Call) -> Reply:
    assert call.path_id is not None
    request = scoped(call.session, RideRequest, call.organisation_id, call.path_id, "ride request")
    return Reply(public_json(RideRequestPublic, request))


def _update(call: Call) -> Reply:
    assert call.path_id is not None
    session, org = call.session, call.organisation_id
    request = scoped(session, RideRequest, org, call.path_id, "ride request")
    if request.status not in CHANGEABLE_STATUSES:
        raise Conflict(f"request {request.reference_code} is {request.status.value}; it is closed")
    if request.outbound_request_id is not None:
        raise Conflict(
            f"request {request.reference_code} is a return leg; change return_pickup_at on "
            f"its outbound request {request.outbound_request_id} instead"
        )
    changes: RideRequestUpdate = call.body
    for field in ("from_place_id", "to_place_id"):
        if field in changes.model_fields_set:
            _owned_place(session, org, getattr(changes, field), field)
    patch(request, changes, RideRequestCreate)
    if request.priority is None:
        request.priority = DEFAULT_PRIORITY[request.kind]
    _check_return(session, request)
    request.updated_at = utcnow()
    session.add(request)
    sync_return_leg(session, request)
    queue_replan(session, org, request.service_date)
    session.flush()
    session.refresh(request)
    return Reply(public_json(RideRequestPublic, request))


def _cancel(call: Call) -> Reply:
    assert call.path_id is not None
    request = scoped(call.session, RideRequest, call.organisation_id, call.path_id, "ride request")
    body: CancelRideRequest = call.body
    cancel(call.session, request, body.reason)
    queue_replan(call.session, call.organisation_id, request.service_date)
    call.session.flush()
    return Reply(public_json(RideRequestPublic, request))


class RideRequestQuery(Query):
    service_date: Annotated[
        IsoDate | None, Field(description="Only requests on this day (YYYY-MM-DD).")
    ] = None
    status: Annotated[RequestStatus | None, Field(description="Only requests in this status.")] = (
        None
    )
    rider_id: Annotated[RowId | None, Field(description="Only this rider's requests.")] = None
    kind: Annotated[RequestKind | None, Field(description="Only requests of this kind.")] = None
    outbound_request_id: Annotated[
        RowId | None, Field(description="The return leg of this outbound.")
    ] = None
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


def request_operations() -> list[Operation]:
    """Every operation on ride requests."""
    common: dict[str, Any] = {"noun": "ride request", "tag": "ride requests"}
    item = "/ride-requests/{id}"
    return [
        Operation(
            "POST", "/ride-requests", "create_ride_request",
            "Book a ride (an appointment with return_pickup_at also books its return leg)",
            handler=_create, body=RideRequestCreate, response=RideRequestPublic, status=201,
            **common,
        ),
        Operation(
            "GET", "/ride-requests", "list_ride_requests", "List ride requests, filtered and paged",
            handler=_list, response=RideRequestPublic, query=RideRequestQuery, **common,
        ),
        Operation(
            "GET", item, "get_ride_request", "One ride request", handler=_get,
            response=RideRequestPublic, **common,
        ),
        Operation(
            "PATCH", item, "update_ride_request", "Change an open request (not a return leg)",
            handler=_update, body=RideRequestUpdate, merged_with=RideRequestCreate,
            response=RideRequestPublic, **common,
        ),
        Operation(
            "POST", f"{item}/cancel", "cancel_ride_request",
            "Cancel an open request (and its return leg) with a reason",
            handler=_cancel, body=CancelRideRequest, response=RideRequestPublic, **common,
        ),
    ]  # fmt: skip
