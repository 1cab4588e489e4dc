"""The manifest page's view model, built from the day's current published plan.

Only the driver's own route is read: the stops of other drivers are never loaded, so no other
rider's name, address or number can reach the page. Riders appear by first name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlmodel import Session

from shared.driver_responses import published_route, route_stops
from shared.i18n import Language, format_date, format_time, text_language, time_zone
from shared.models import Driver, Organisation, Rider, RideRequest, StopKind


@dataclass(frozen=True)
class StopView:
    """One stop as the driver reads it."""

    number: int
    time: str
    pickup: bool
    rider_first_name: str
    address: str
    needs: tuple[str, ...]
    phone: str
    geo_uri: str
    map_url: str
    status: str


@dataclass(frozen=True)
class ManifestView:
    """Everything the page shows."""

    language: Language
    driver_first_name: str
    day: date
    day_label: str
    response: str | None
    stops: tuple[StopView, ...]


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


def geo_uri(latitude: float, longitude: float, label: str) -> str:
    """A ``geo:`` URI (RFC 5870) that phone map apps open, with the address as a query."""
    return f"geo:{latitude:.6f},{longitude:.6f}?q={latitude:.6f},{longitude:.6f}({quote(label)})"


def map_url(latitude: float, longitude: float) -> str:
    """Directions in a web map, for phones without a ``geo:`` handler."""
    return f"https://www.google.com/maps/dir/?api=1&destination={latitude:.6f},{longitude:.6f}"


def _needs(request: RideRequest) -> tuple[str, ...]:
    return tuple(
        need
        for need, wanted in (
            ("wheelchair", request.wheelchair),
            ("walker", request.walker),
            ("service_animal", request.service_animal),
        )
        if wanted
    )


def build_manifest(session: Session, driver: Driver, day: date) -> ManifestView:
    """The driver's page for ``day``: their stops in order (none without a published route)."""
    org = session.get(Organisation, driver.organisation_id)
    assert org is not None and driver.id is not None
    zone = time_zone(org.time_zone)
    language = text_language(driver.languages[0] if driver.languages else None)
    route = published_route(session, driver.id, day)
    stops: list[StopView] = []
    if route is not None:
        for number, stop in enumerate(route_stops(session, route), 1):
            request = session.get(RideRequest, stop.request_id)
            rider = None if request is None else session.get(Rider, request.rider_id)
            if request is None or rider is None:
                continue
            address = stop.address or rider.home_address
            stops.append(
                StopView(
                    number=number,
                    time=format_time(stop.planned_at, language, tz=zone),
                    pickup=stop.kind == StopKind.PICKUP,
                    rider_first_name=_first_name(rider.name),
                    address=address,
                    needs=_needs(request),
                    phone=rider.phone,
                    geo_uri=geo_uri(stop.latitude, stop.longitude, address),
                    map_url=map_url(stop.latitude, stop.longitude),
                    status=request.status.value,
                )
            )
    return ManifestView(
        language=language,
        driver_first_name=_first_name(driver.name),
        day=day,
        day_label=format_date(day, language),
        response=None if route is None else route.driver_response,
        stops=tuple(stops),
    )
