"""Carry out the conversation engine's actions in the webhook's own transaction.

Ride requests are stored the way the JSON API stores them (``shared.ride_requests``): a status
history row for each, and for an appointment with a pick-up time (or a wait) a linked return-leg
row.
A grocery trip or errand keeps its way home on the same row, as ``store_minutes`` or
``back_by``; an appointment with only a "home by" time keeps it as ``back_by``.
The rider asked for the time they must *be there*, so it is stored as ``arrive_by`` for every
kind of ride.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from services.booking.conversation._actions import (
    Action,
    CancelRide,
    CreateRideRequest,
    OptIn,
    OptOut,
    RegisterRider,
    SetLanguage,
)
from services.booking.sms._context import Parties, find_rider, rider_is_usable
from shared.consent import record_consent
from shared.i18n import time_zone
from shared.models import (
    DEFAULT_PRIORITY,
    AuditEvent,
    ConsentState,
    Language,
    Place,
    RequestKind,
    RequestSource,
    RequestStatus,
    ReviewState,
    Rider,
    RideRequest,
)
from shared.phones import mask
from shared.request_status import SMS_ACTOR
from shared.ride_requests import (
    CHANGEABLE_STATUSES,
    OutsideItsDay,
    cancel,
    check_day,
    record_creation,
    sync_return_leg,
)

log = logging.getLogger(__name__)

_MAX_STORE_MINUTES = 480


def apply_actions(
    session: Session, parties: Parties, actions: tuple[Action, ...], now: datetime
) -> set[date]:
    """Carry out ``actions``; return the service dates whose plan must be redone."""
    replan: set[date] = set()
    for action in actions:
        if isinstance(action, CreateRideRequest):
            replan.update(_create(session, parties, action, now))
        elif isinstance(action, CancelRide):
            replan.update(_cancel(session, parties, action))
        elif isinstance(action, RegisterRider):
            _register(session, parties, action, now)
        elif isinstance(action, OptOut | OptIn):
            state = ConsentState.OPTED_OUT if isinstance(action, OptOut) else ConsentState.OPTED_IN
            record_consent(
                session,
                parties.organisation_id,
                parties.phone,
                state,
                keyword=action.keyword,
                source=SMS_ACTOR,
            )
        elif isinstance(action, SetLanguage):
            parties.conversation.language = Language(action.language)
            if parties.rider is not None:
                parties.rider.preferred_language = Language(action.language)
                session.add(parties.rider)
        else:
            flag(session, parties, action.reason, now)
    return replan


def flag(session: Session, parties: Parties, reason: str, now: datetime) -> None:
    """Put the conversation in front of a dispatcher (the audit log is their queue)."""
    log.info("SMS from %s flagged for a dispatcher: %s", mask(parties.phone), reason)
    session.add(
        AuditEvent(
            organisation_id=parties.organisation_id,
            actor=SMS_ACTOR,
            action="flag_for_dispatcher",
            entity="conversation",
            entity_id=parties.conversation.id,
            after={"phone": parties.phone, "reason": reason[:500]},
            at=now,
        )
    )


def _create(
    session: Session, parties: Parties, action: CreateRideRequest, now: datetime
) -> set[date]:
    rider = parties.rider
    place = _place(session, parties, action.place_id)
    if rider is None or not rider_is_usable(rider) or place is None:
        # The rider has been told the request was received; a person must pick it up.
        flag(session, parties, f"SMS booking {action.reference_code} could not be stored", now)
        return set()
    assert rider.id is not None
    kind = RequestKind(action.kind)
    request = RideRequest(
        organisation_id=parties.organisation_id,
        rider_id=rider.id,
        kind=kind,
        to_place_id=place.id,
        service_date=action.ride_date,
        arrive_by=action.at_utc,
        passengers=action.passengers,
        wheelchair="wheelchair" in action.needs,
        walker="walker" in action.needs,
        service_animal="service_animal" in action.needs,
        priority=DEFAULT_PRIORITY[kind],
        source=RequestSource.SMS,
        status=RequestStatus.REQUESTED,
        status_changed_at=now,
        status_changed_by=SMS_ACTOR,
        status_reason="booked by SMS",
        reference_code=action.reference_code,
        created_at=now,
        updated_at=now,
    )
    _way_home(request, action, time_zone(parties.organisation.time_zone),
              parties.organisation.grocery_wait_minutes)  # fmt: skip
    try:
        check_day(request, parties.organisation.time_zone, now)
    except OutsideItsDay as exc:
        # The conversation only books days ahead; a way home past midnight lands here.
        flag(session, parties, f"SMS booking {action.reference_code}: {exc.field} {exc}", now)
        return set()
    record_creation(session, request, SMS_ACTOR)
    sync_return_leg(session, request, SMS_ACTOR)
    return {action.ride_date}


def _way_home(request: RideRequest, action: CreateRideRequest, zone: ZoneInfo, wait: int) -> None:
    if not action.return_trip:
        return

    def at(local: time) -> datetime:
        return datetime.combine(action.ride_date, local, tzinfo=zone).astimezone(UTC)

    pickup: datetime | None = None
    if action.return_pickup_time is not None:
        pickup = at(action.return_pickup_time)
    elif action.return_wait_minutes is not None:
        pickup = action.at_utc + timedelta(minutes=action.return_wait_minutes)
    if request.kind == RequestKind.APPOINTMENT:
        request.return_pickup_at = pickup
    elif pickup is not None:
        minutes = int((pickup - action.at_utc).total_seconds() // 60)
        request.store_minutes = min(max(minutes, 0), _MAX_STORE_MINUTES)
    if action.return_home_by is not None:
        request.back_by = at(action.return_home_by)
    elif request.kind != RequestKind.APPOINTMENT and pickup is None:
        request.store_minutes = wait


def _place(session: Session, parties: Parties, place_id: str) -> Place | None:
    try:
        place = session.get(Place, int(place_id))
    except ValueError:
        return None
    if place is None or place.organisation_id != parties.organisation_id:
        return None
    return place


def _cancel(session: Session, parties: Parties, action: CancelRide) -> set[date]:
    rider = parties.rider
    if rider is None:
        return set()
    # Only the rider's own rides: a code someone else holds is treated as unknown.
    request = session.exec(
        select(RideRequest).where(
            RideRequest.organisation_id == parties.organisation_id,
            RideRequest.rider_id == rider.id,
            RideRequest.reference_code == action.reference_code,
        )
    ).first()
    if request is None or request.status not in CHANGEABLE_STATUSES:
        log.info("SMS cancel of %s by %s matched no open ride", action.reference_code,
                 mask(parties.phone))  # fmt: skip
        return set()
    cancel(session, request, "cancelled by the rider by SMS", SMS_ACTOR)
    return {request.service_date}


def _register(session: Session, parties: Parties, action: RegisterRider, now: datetime) -> None:
    rider = parties.rider or find_rider(session, parties.organisation_id, parties.phone)
    details = {"name": action.name, "home_address": action.home_address, "phone": parties.phone}
    if rider is not None:
        # The number is already on file (its conversation was lost, or it was turned down).
        flag(session, parties, f"sign-up by SMS from a number already on file: {action.name}", now)
        return
    rider = Rider(
        organisation_id=parties.organisation_id,
        name=action.name[:200],
        phone=parties.phone,
        preferred_language=Language(action.language),
        home_address=action.home_address[:300],
        review_state=ReviewState.PENDING,
        created_at=now,
    )
    session.add(rider)
    session.flush()
    parties.rider = rider
    session.add(
        AuditEvent(
            organisation_id=parties.organisation_id,
            actor=SMS_ACTOR,
            action="register_rider",
            entity="rider",
            entity_id=rider.id,
            after=details,
            at=now,
        )
    )
