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

from sqlalchemy import and_, func, literal, union_all
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from services.booking.conversation._model import NEEDS, ConversationContext, RiderInfo, UpcomingRide
from services.booking.conversation.places import PlaceEntry
from services.booking.sms._directory import OrgInfo
from shared.i18n import Language, time_zone
from shared.models import (
    ConsentState,
    Conversation,
    Driver,
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


@dataclass(frozen=True)
class Sender:
    """What the webhook reads first about the number a text came from."""

    rider: Rider | None
    recent_texts: int  # the value of the caller's count query (the rate limit's)
    is_driver: bool  # an active driver of the organisation has this number


def look_up_sender(
    session: Session, organisation_id: int, phone: str, count: SelectOfScalar[int]
) -> Sender:
    """The rider with this number, the ``count`` query's value and whether a driver has the
    number, read in one statement (one round trip instead of three for every text)."""
    driver = (
        select(col(Driver.id))
        .where(
            Driver.organisation_id == organisation_id,
            Driver.phone == phone,
            Driver.active == True,  # noqa: E712 - SQL comparison, not Python truthiness
        )
        .limit(1)
        .scalar_subquery()
    )
    # One row whether or not a rider has the number: the rider is outer-joined to a constant.
    anchor = sql_select(literal(1).label("one")).subquery()
    statement = (
        select(Rider, count.scalar_subquery(), driver)
        .select_from(anchor)
        .outerjoin(
            Rider, and_(col(Rider.organisation_id) == organisation_id, col(Rider.phone) == phone)
        )
    )
    rider, texts, driver_id = session.exec(statement).one()
    return Sender(rider, int(texts), driver_id is not None)


def rider_is_usable(rider: Rider | None) -> bool:
    """True for an active rider who was not turned down by a dispatcher."""
    return rider is not None and rider.active and rider.review_state != ReviewState.REJECTED


_RECENT_PLACES = 5
_RECENT_RIDES = 20


def _rides(
    session: Session, rider: Rider, catalogue: tuple[PlaceEntry, ...], now: datetime, zone: ZoneInfo
) -> tuple[tuple[UpcomingRide, ...], tuple[str, ...]]:
    """The rider's upcoming rides, and the catalogue ids of the places their latest rides went
    to (newest first): two queries sent as one (``UNION ALL``), one round trip per text."""
    today = now.astimezone(zone).date()
    outbound = (
        col(RideRequest.rider_id) == rider.id,
        col(RideRequest.outbound_request_id).is_(None),
    )
    # Only the columns a ride line needs: whole rows cost more than the query itself.
    at = func.coalesce(col(RideRequest.arrive_by), col(RideRequest.earliest_departure))
    # SQLAlchemy's select: SQLModel's types at most four columns.
    upcoming = sql_select(
        literal(0).label("part"),
        col(RideRequest.id),
        col(RideRequest.reference_code),
        col(RideRequest.service_date),
        at,
        func.coalesce(col(RideRequest.to_place_id), col(RideRequest.from_place_id)),
    ).where(
        *outbound,
        col(RideRequest.status).in_(CHANGEABLE_STATUSES),
        col(RideRequest.service_date) >= today,
    )
    recent = (
        sql_select(
            literal(1),
            col(RideRequest.id),
            col(RideRequest.reference_code),
            col(RideRequest.service_date),
            at,
            col(RideRequest.to_place_id),
        )
        .where(*outbound, col(RideRequest.to_place_id).is_not(None))
        .order_by(col(RideRequest.service_date).desc(), col(RideRequest.id).desc())
        .limit(_RECENT_RIDES)
    )
    # SQLite takes no LIMIT inside a UNION member, so the limited part is a subquery.
    both = union_all(upcoming, sql_select(*recent.subquery().c))
    rows = session.execute(both).all()
    names = {entry.id: entry for entry in catalogue}
    rides = []
    for _, _, code, day, when, place_id in sorted(
        (row for row in rows if row[0] == 0), key=lambda row: (row[3], row[1])
    ):
        if when is None:
            when = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        place = names.get(str(place_id))
        name_en = place.name_en if place is not None else ""
        name_zh = place.name_zh if place is not None else ""
        rides.append(UpcomingRide(code, when, name_en, name_zh))
    latest = sorted((row for row in rows if row[0] == 1), key=lambda row: (row[3], row[1]))
    places = tuple(dict.fromkeys(str(row[5]) for row in reversed(latest)))[:_RECENT_PLACES]
    return tuple(rides), places


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
        upcoming, recent_places = _rides(session, rider, catalogue, now, zone)
        rider_info = RiderInfo(
            name=rider.name,
            language=engine_language(rider.preferred_language),
            upcoming=upcoming,
            needs=tuple(need for need in NEEDS if getattr(rider, need)),
            recent_places=recent_places,
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
