"""Ride request bookkeeping: reference codes, status changes with history, return legs."""

from __future__ import annotations

import random

from sqlmodel import Session, select

from services.booking.api.errors import Conflict
from shared.models import (
    RequestKind,
    RequestStatus,
    RequestStatusEvent,
    RideRequest,
    utcnow,
)
from shared.request_status import change_status
from shared.sample import reference_code

API_ACTOR = "api"
# A request in these states can still be changed or cancelled; the others are history.
OPEN = frozenset({RequestStatus.REQUESTED, RequestStatus.SCHEDULED, RequestStatus.CONFIRMED})
_CODE_ATTEMPTS = 20
# Codes are handed to riders, so they come from the OS's CSPRNG rather than a seeded generator.
_rng = random.SystemRandom()


def new_reference_code(session: Session, organisation_id: int) -> str:
    """A reference code no other request of the organisation has."""
    for _ in range(_CODE_ATTEMPTS):
        code = reference_code(_rng)
        taken = session.exec(
            select(RideRequest.id).where(
                RideRequest.organisation_id == organisation_id,
                RideRequest.reference_code == code,
            )
        ).first()
        if taken is None:
            return code
    # 32**6 codes make this practically unreachable; say so rather than loop forever.
    raise Conflict("could not find a free reference code; try again")


def cancel(session: Session, request: RideRequest, reason: str, actor: str = API_ACTOR) -> None:
    """Cancel ``request`` and, for an outbound, its open return leg; ``Conflict`` if closed."""
    if request.status not in OPEN:
        raise Conflict(
            f"request {request.reference_code} is {request.status.value}; "
            "only requested, scheduled or confirmed requests can be cancelled"
        )
    session.add(change_status(request, RequestStatus.CANCELLED, reason, actor))
    session.add(request)
    leg = return_leg(session, request)
    if leg is not None and leg.status in OPEN:
        session.add(
            change_status(leg, RequestStatus.CANCELLED, f"outbound cancelled: {reason}", actor)
        )
        session.add(leg)


def return_leg(session: Session, outbound: RideRequest) -> RideRequest | None:
    """The return leg booked with ``outbound``, if any."""
    if outbound.id is None:
        return None
    return session.exec(
        select(RideRequest).where(RideRequest.outbound_request_id == outbound.id)
    ).first()


def sync_return_leg(session: Session, outbound: RideRequest, actor: str = API_ACTOR) -> None:
    """Make the return leg match the outbound: created, moved, reopened or cancelled.

    The return leg goes from the appointment back to where the outbound started, leaving at the
    outbound's ``return_pickup_at``; rider, needs and priority follow the outbound.
    """
    assert outbound.id is not None
    leg = return_leg(session, outbound)
    wanted = outbound.kind == RequestKind.APPOINTMENT and outbound.return_pickup_at is not None
    if not wanted:
        if leg is not None and leg.status in OPEN:
            session.add(change_status(leg, RequestStatus.CANCELLED, "return trip removed", actor))
            session.add(leg)
        return
    if leg is None:
        leg = RideRequest(
            organisation_id=outbound.organisation_id,
            rider_id=outbound.rider_id,
            kind=outbound.kind,
            service_date=outbound.service_date,
            outbound_request_id=outbound.id,
            source=outbound.source,
            reference_code=new_reference_code(session, outbound.organisation_id),
            status_changed_by=actor,
            status_reason="return leg booked",
        )
        _follow(leg, outbound)
        record_creation(session, leg, actor)
        return
    if leg.status == RequestStatus.CANCELLED:
        session.add(
            change_status(leg, RequestStatus.REQUESTED, "return trip asked for again", actor)
        )
    _follow(leg, outbound)
    session.add(leg)


def record_creation(session: Session, request: RideRequest, actor: str = API_ACTOR) -> None:
    """Store a new request with the first row of its status history."""
    session.add(request)
    session.flush()
    assert request.id is not None
    session.add(
        RequestStatusEvent(
            request_id=request.id,
            to_status=request.status,
            changed_by=actor,
            reason=request.status_reason,
            at=request.status_changed_at,
        )
    )


def _follow(leg: RideRequest, outbound: RideRequest) -> None:
    leg.from_place_id = outbound.to_place_id
    leg.to_place_id = outbound.from_place_id
    leg.earliest_departure = outbound.return_pickup_at
    leg.passengers = outbound.passengers
    leg.wheelchair = outbound.wheelchair
    leg.walker = outbound.walker
    leg.service_animal = outbound.service_animal
    leg.priority = outbound.priority
    leg.updated_at = utcnow()
