"""Which organisation an SMS number belongs to, with its place catalogue, cached briefly.

Every inbound text needs both, and they change rarely (a dispatcher edits a place, an admin a
help contact), so each process keeps them for ``TTL`` seconds instead of reading two tables per
text. A change shows in replies at most that long after it is made. Unknown numbers are not
cached, so a newly configured organisation answers at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cachetools import TTLCache
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.booking.conversation.places import PlaceEntry
from shared.models import Organisation, Place, PlaceKind

TTL = 30.0
_MAX_ENTRIES = 1000

# The engine reads place kinds as words ("clinic", "legal") to guess the kind of ride.
_PLACE_KIND_WORD = {
    PlaceKind.LEGAL_AID: "legal",
    PlaceKind.COMMUNITY_CENTRE: "settlement",
}


@dataclass(frozen=True)
class OrgInfo:
    """What the webhook needs of an organisation: a snapshot, safe to share between threads."""

    id: int
    name: str
    help_contact: str
    time_zone: str
    grocery_wait_minutes: int
    places: tuple[PlaceEntry, ...]


# Keyed by (database URL, SMS number); TTLCache is not thread-safe, and the webhook runs its
# work in worker threads, so every access holds the lock.
_cache: TTLCache[tuple[str, str], OrgInfo] = TTLCache(maxsize=_MAX_ENTRIES, ttl=TTL)
_lock = threading.Lock()


def place_entries(session: Session, organisation_id: int) -> tuple[PlaceEntry, ...]:
    """The organisation's places as the engine's catalogue (ids are the rows' ids as text)."""
    places = session.exec(
        select(Place).where(Place.organisation_id == organisation_id).order_by(col(Place.id))
    ).all()
    return tuple(
        PlaceEntry(
            id=str(place.id),
            kind=_PLACE_KIND_WORD.get(place.kind, place.kind.value),
            name_en=place.name,
            name_zh=place.name_zh or "",
            aliases=tuple(place.aliases or ()),
            address=place.address or "",
        )
        for place in places
    )


def organisation_for(engine: Engine, session: Session, sms_number: str) -> OrgInfo | None:
    """The organisation whose SMS number is ``sms_number``, or None."""
    key = (str(engine.url), sms_number)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    org = session.exec(select(Organisation).where(Organisation.sms_number == sms_number)).first()
    if org is None or org.id is None:
        return None
    info = OrgInfo(
        id=org.id,
        name=org.name,
        help_contact=org.help_contact,
        time_zone=org.time_zone,
        grocery_wait_minutes=org.grocery_wait_minutes,
        places=place_entries(session, org.id),
    )
    with _lock:
        _cache[key] = info
    return info
