"""What the conversation engine may know about a number, read from the database.

The rider is the organisation's rider with the sender's phone number, including one still
waiting for a dispatcher's review (so a newly signed-up rider can see and cancel the rides they
booked), but not a rejected or deactivated one. Upcoming rides are the rider's open outbound
requests from today on; return legs are not listed separately, since cancelling the outbound
cancels its return leg too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.booking.conversation._model import NEEDS, ConversationContext, RiderInfo, UpcomingRide
from services.booking.conversation.places import PlaceEntry
from services.booking.sms._directory import OrgInfo
from shared.i18n import Language, time_zone
from shared.models import (
    ConsentState,
    Conversation,
    ReviewState,
    Rider,
    RideRequest,
)
from shared.ride_requests import CHANGEABLE_STATUSES


@dataclass
class Parties:
    """The rows one inbound text concerns, loaded once and changed in place."""

    organisation: OrgInfo
    phone: str
    conversation: Conversation
    rider: Rider | None

    @property
    def organisation_id(self) -> int:
        """The organisation's id."""
        return self.organisation.id


def engine_language(stored: Language | str | None) -> Language:
    """The engine speaks English and Traditional Chinese; Simplified readers get Traditional."""
    return Language.EN if stored == Language.EN else Language.ZH_HANT


def find_rider(session: Session, organisation_id: int, phone: str) -> Rider | None:
    """The organisation's rider with this phone number, if any."""
    return session.exec(
        select(Rider).where(Rider.organisation_id == organisation_id, Rider.phone == phone)
    ).first()


def rider_is_usable(rider: Rider | None) -> bool:
    """True for an active rider who was not turned down by a dispatcher."""
    return rider is not None and rider.active and rider.review_state != ReviewState.REJECTED


def _upcoming(
    session: Session, rider: Rider, catalogue: tuple[PlaceEntry, ...], now: datetime, zone: ZoneInfo
) -> tuple[UpcomingRide, ...]:
    today = now.astimezone(zone).date()
    # Only the columns a ride line needs: whole rows cost more than the query itself.
    rows = session.exec(
        select(
            col(RideRequest.reference_code),
            col(RideRequest.service_date),
            func.coalesce(col(RideRequest.arrive_by), col(RideRequest.earliest_departure)),
            func.coalesce(col(RideRequest.to_place_id), col(RideRequest.from_place_id)),
        )
        .where(
            RideRequest.rider_id == rider.id,
            col(RideRequest.outbound_request_id).is_(None),
            col(RideRequest.status).in_(CHANGEABLE_STATUSES),
            RideRequest.service_date >= today,
        )
        .order_by(col(RideRequest.service_date), col(RideRequest.id))
    ).all()
    names = {entry.id: entry for entry in catalogue}
    rides = []
    for code, day, at, place_id in rows:
        if at is None:
            at = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        place = names.get(str(place_id))
        name_en = place.name_en if place is not None else ""
        name_zh = place.name_zh if place is not None else ""
        rides.append(UpcomingRide(code, at, name_en, name_zh))
    return tuple(rides)


_RECENT_PLACES = 5


def _recent_places(session: Session, rider: Rider) -> tuple[str, ...]:
    """Catalogue ids of the places the rider's latest rides went to, newest first."""
    rows = session.exec(
        select(col(RideRequest.to_place_id))
        .where(
            RideRequest.rider_id == rider.id,
            col(RideRequest.outbound_request_id).is_(None),
            col(RideRequest.to_place_id).is_not(None),
        )
        .order_by(col(RideRequest.service_date).desc(), col(RideRequest.id).desc())
        .limit(20)
    ).all()
    return tuple(dict.fromkeys(str(place_id) for place_id in rows))[:_RECENT_PLACES]


def build_context(
    session: Session, parties: Parties, now: datetime, rng: random.Random
) -> ConversationContext:
    """The engine's context for this number: rider, rides, places, opt-out, zone, programme."""
    org = parties.organisation
    zone = time_zone(org.time_zone)
    catalogue = org.places
    rider_info = None
    rider = parties.rider
    if rider is not None and rider_is_usable(rider):
        rider_info = RiderInfo(
            name=rider.name,
            language=engine_language(rider.preferred_language),
            upcoming=_upcoming(session, rider, catalogue, now, zone),
            needs=tuple(need for need in NEEDS if getattr(rider, need)),
            recent_places=_recent_places(session, rider),
        )
    opted_out = parties.conversation.opted_out or (
        rider is not None and rider.consent_state == ConsentState.OPTED_OUT
    )
    return ConversationContext(
        now=now,
        programme_name=org.name,
        help_contact=org.help_contact,
        places=catalogue,
        rider=rider_info,
        opted_out=opted_out,
        time_zone=org.time_zone,
        rng=rng,
    )
