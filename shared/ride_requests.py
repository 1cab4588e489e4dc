"""Ride requests as both booking channels (SMS and the JSON API) keep them.

Reference codes, the named sets of statuses, status changes with history, and return legs. The
scheduler and the sample-data generator use the same codes and sets.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlmodel import Session, select

from shared.errors import Conflict, ValidationFailed
from shared.i18n import time_zone
from shared.models import (
    RequestKind,
    RequestStatus,
    RequestStatusEvent,
    RideRequest,
    utcnow,
)
from shared.request_status import change_status

API_ACTOR = "api"

#: Booked and not yet under way: the rider (or a client) may still change or cancel these, and
#: they are the rides a rider's STATUS lists. The other statuses are under way or history.
CHANGEABLE_STATUSES = frozenset(
    {RequestStatus.REQUESTED, RequestStatus.SCHEDULED, RequestStatus.CONFIRMED}
)
#: Not confirmed by the rider yet and not closed: publishing a plan may move these (to scheduled
#: or unmet); a confirmed request keeps its status, and so do those under way or finished.
UNCONFIRMED_STATUSES = frozenset(
    {RequestStatus.REQUESTED, RequestStatus.SCHEDULED, RequestStatus.UNMET}
)
#: What the planner takes into a day's problem: the changeable ones, and unmet ones too, since a
#: later re-plan may find them room.
PLANNABLE_STATUSES = CHANGEABLE_STATUSES | {RequestStatus.UNMET}

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Letters and digits that cannot be confused when read aloud or typed: no 0/O, 1/I."""
REFERENCE_LENGTH = 6

_CODE_ATTEMPTS = 20
# Codes are handed to riders, so by default they come from the OS's CSPRNG, not a seeded one.
_system_rng = random.SystemRandom()


#: The times of a request, each of which must fall on its service date.
REQUEST_TIMES = ("arrive_by", "earliest_departure", "back_by", "return_pickup_at")


class OutsideItsDay(ValidationFailed):
    """A request on a day already past, or with a time on another day; ``field`` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def booking_now() -> datetime:
    """The current time for the rules on which days can be booked (tests fix it)."""
    return utcnow()


def check_day(request: RideRequest, zone_name: str, now: datetime | None = None) -> None:
    """The one rule on a request's day, for every channel that creates or changes requests.

    Its ``service_date`` must not be past in the organisation's time zone (today is fine), and
    each of its times must fall on that date there: a 23:30 pick-up given as 04:30Z the next day
    is on its date in Toronto, while 10:00 on another day would be planned on the wrong day.
    Raises ``OutsideItsDay`` naming the field.
    """
    zone = time_zone(zone_name)
    today = (now or booking_now()).astimezone(zone).date()
    if request.service_date < today:
        raise OutsideItsDay(
            "service_date",
            f"{request.service_date.isoformat()} is past (today is {today.isoformat()} in "
            f"{zone.key}); book today or a later day",
        )
    for name in REQUEST_TIMES:
        value: datetime | None = getattr(request, name)
        if value is None:
            continue
        try:
            local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        except OverflowError:
            raise OutsideItsDay(name, "is out of range; use a real date") from None
        if local.date() != request.service_date:
            raise OutsideItsDay(
                name,
                f"is on {local.date().isoformat()} in {zone.key}, not on "
                f"service_date {request.service_date.isoformat()}; give a time on that day",
            )


def reference_code(rng: random.Random) -> str:
    """A six-character code a rider can text back, drawn from ``REFERENCE_ALPHABET`` with ``rng``.

    Pass a seeded ``random.Random`` for repeatable codes (tests, sample data).
    """
    return "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def unused_reference_code(
    session: Session, organisation_id: int, rng: random.Random | None = None
) -> str:
    """A reference code no other request of the organisation has; ``Conflict`` if none is found."""
    for _ in range(_CODE_ATTEMPTS):
        code = reference_code(rng or _system_rng)
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
    if request.status not in CHANGEABLE_STATUSES:
        raise Conflict(
            f"request {request.reference_code} is {request.status.value}; "
            "only requested, scheduled or confirmed requests can be cancelled"
        )
    session.add(change_status(request, RequestStatus.CANCELLED, reason, actor))
    session.add(request)
    leg = return_leg(session, request)
    if leg is not None and leg.status in CHANGEABLE_STATUSES:
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
        if leg is not None and leg.status in CHANGEABLE_STATUSES:
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
            reference_code=unused_reference_code(session, outbound.organisation_id),
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
