"""Database rows in, solver problem out: the loading half of the adapter.

``build_day`` turns one organisation's requests and drivers for a day into a ``Problem`` plus
what ``scheduler.store`` needs to map the solution back to rows. Times in the problem are whole
seconds since the day's local midnight.

The database has its own ``Route`` and ``Stop`` (plan rows); here they are imported as
``RouteRow`` and ``StopRow`` so the solver's ``Stop`` and ``StopKind`` stay unambiguous.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from scheduler.solver import (
    Link,
    Locks,
    Problem,
    Request,
    Stop,
    StopKind,
    Travel,
    Vehicle,
    Window,
)
from scheduler.travel import LatLon, TravelTimes
from shared.errors import NotFound
from shared.i18n import time_zone
from shared.models import (
    AssignmentLock,
    Driver,
    DriverAvailability,
    DriverException,
    LegKind,
    LockKind,
    Organisation,
    Place,
    Plan,
    Rider,
    RideRequest,
)
from shared.models import Route as RouteRow
from shared.models import Stop as StopRow
from shared.publishing import published_plan
from shared.ride_requests import PLANNABLE_STATUSES

log = logging.getLogger(__name__)

# What each place of a vehicle's capacity and a request's load counts, in order.
SEAT_TYPES = ("seat", "wheelchair")
ARRIVAL_SLACK = timedelta(minutes=30)  # an appointment may be reached up to this early
PICKUP_SLACK = timedelta(minutes=30)  # a timed pick-up may be this late
PICKUP_SERVICE, DROPOFF_SERVICE = 180, 120  # boarding and alighting, seconds
MOBILITY_EXTRA = 240  # more time to board with a wheelchair or walker


@dataclass(frozen=True)
class LegRef:
    """Which database request and leg a solver request stands for."""

    request_id: int
    leg: LegKind


@dataclass
class DayProblem:
    """A problem with what is needed to map its solution back to rows."""

    organisation: Organisation
    service_date: date
    midnight: datetime
    problem: Problem
    legs: dict[str, LegRef]
    drivers: dict[str, int]
    points: list[LatLon]
    addresses: list[str]
    published: Plan | None
    # Requests that never reach the solver, with the reason (e.g. no home location).
    rejected: dict[LegRef, str] = field(default_factory=dict)


class _Locations:
    """Deduplicates coordinates into matrix indices."""

    def __init__(self) -> None:
        self.points: list[LatLon] = []
        self.addresses: list[str] = []
        self._index: dict[LatLon, int] = {}

    def add(self, lat: float, lon: float, address: str) -> int:
        key = (round(lat, 6), round(lon, 6))
        if key not in self._index:
            self._index[key] = len(self.points)
            self.points.append(key)
            self.addresses.append(address)
        return self._index[key]


def _seconds(at: datetime, midnight: datetime) -> int:
    return int((at - midnight).total_seconds())


def _shift(
    driver: Driver,
    weekly: Sequence[DriverAvailability],
    exception: DriverException | None,
) -> tuple[time, time] | None:
    if exception is not None:
        if not exception.available:
            return None
        if exception.start_time is not None and exception.end_time is not None:
            return exception.start_time, exception.end_time
    if not weekly:
        return None
    return min(w.start_time for w in weekly), max(w.end_time for w in weekly)


def _vehicles(
    session: Session,
    org: Organisation,
    day: date,
    midnight: datetime,
    locs: _Locations,
    driver_cost: int,
) -> tuple[list[Vehicle], dict[str, int]]:
    drivers = session.exec(
        select(Driver).where(Driver.organisation_id == org.id, col(Driver.active).is_(True))
    ).all()
    vehicles: list[Vehicle] = []
    ids: dict[str, int] = {}
    for driver in sorted(drivers, key=lambda d: d.id or 0):
        weekly = session.exec(
            select(DriverAvailability).where(
                DriverAvailability.driver_id == driver.id,
                DriverAvailability.weekday == day.weekday(),
            )
        ).all()
        exception = session.exec(
            select(DriverException).where(
                DriverException.driver_id == driver.id, DriverException.day == day
            )
        ).first()
        shift = _shift(driver, weekly, exception)
        if shift is None:
            continue
        tz = midnight.tzinfo
        start = _seconds(datetime.combine(day, shift[0], tz), midnight)
        end = _seconds(datetime.combine(day, shift[1], tz), midnight)
        home = locs.add(driver.home_latitude, driver.home_longitude, driver.home_address)
        skills = {f"lang:{code}" for code in driver.spoken}
        if driver.wheelchair_spaces > 0:
            skills.add("wheelchair")
        vid = f"d{driver.id}"
        ids[vid] = driver.id or 0
        vehicles.append(
            Vehicle(
                id=vid,
                start=home,
                end=home,
                shift=Window(start, end),
                capacity=(driver.seats, driver.wheelchair_spaces),  # in SEAT_TYPES order
                skills=frozenset(skills),
                fixed_cost=driver_cost,
            )
        )
    return vehicles, ids


def _end(place: Place | None, rider: Rider, locs: _Locations) -> int | None:
    if place is not None:
        return locs.add(place.latitude, place.longitude, f"{place.name}, {place.address}")
    if rider.home_latitude is None or rider.home_longitude is None:
        return None
    return locs.add(rider.home_latitude, rider.home_longitude, rider.home_address)


def _window(start: datetime | None, end: datetime | None, midnight: datetime) -> Window | None:
    if start is None or end is None:
        return None
    return Window(_seconds(start, midnight), _seconds(end, midnight))


def _legs(
    row: RideRequest,
    rider: Rider,
    places: dict[int, Place],
    org: Organisation,
    midnight: datetime,
    locs: _Locations,
) -> list[tuple[LegRef, Request]] | str:
    """The solver requests for one database request, or why it cannot be planned."""
    origin = _end(places.get(row.from_place_id or -1), rider, locs)
    destination = _end(places.get(row.to_place_id or -1), rider, locs)
    if origin is None or destination is None:
        return "the rider has no home location yet; add their address"
    mobility = row.wheelchair or row.walker
    skills = {"wheelchair"} if row.wheelchair else set()
    if rider.requires_language:
        skills.add(f"lang:{rider.requires_language}")
    rid = f"r{row.id}"
    template = Request(
        id=rid,
        pickup=origin,
        dropoff=destination,
        load=(row.passengers - (1 if row.wheelchair else 0), 1 if row.wheelchair else 0),
        pickup_service=PICKUP_SERVICE + (MOBILITY_EXTRA if mobility else 0),
        dropoff_service=DROPOFF_SERVICE + (MOBILITY_EXTRA if row.wheelchair else 0),
        skills=frozenset(skills),
        priority=row.priority,
    )
    if row.outbound_request_id is not None:
        # The return leg of an appointment: picked up at its own time, after the outbound.
        ready = row.earliest_departure or row.return_pickup_at
        if ready is None:
            return "a return leg needs a pick-up time"
        leg = replace(
            template,
            pickup_window=_window(ready, ready + PICKUP_SLACK, midnight),
            after=Link(f"r{row.outbound_request_id}", 0),
        )
        return [(LegRef(row.id or 0, LegKind.RETURN), leg)]
    if row.arrive_by is not None:
        window = _window(row.arrive_by - ARRIVAL_SLACK, row.arrive_by, midnight)
        outbound = replace(template, dropoff_window=window)
    elif row.earliest_departure is not None:
        leave = row.earliest_departure
        outbound = replace(template, pickup_window=_window(leave, leave + PICKUP_SLACK, midnight))
    else:
        return "the request has neither an arrival time nor a departure time"
    legs = [(LegRef(row.id or 0, LegKind.OUTBOUND), outbound)]
    if row.back_by is not None or row.store_minutes is not None:
        wait = (row.store_minutes or org.grocery_wait_minutes) * 60
        back = replace(
            template,
            id=f"{rid}:return",
            pickup=destination,
            dropoff=origin,
            dropoff_window=_window(midnight, row.back_by, midnight),
            after=Link(rid, wait),
        )
        legs.append((LegRef(row.id or 0, LegKind.RETURN), back))
    return legs


def _with_ride_limits(
    requests: list[Request], problem_travel: Travel, org: Organisation
) -> list[Request]:
    """Cap each ride at the organisation's rule: factor x the direct trip plus extra minutes."""
    capped = []
    for r in requests:
        direct = problem_travel.time[r.pickup][r.dropoff]
        limit = int(direct * org.max_ride_factor) + org.max_ride_extra_minutes * 60
        capped.append(replace(r, max_ride_time=limit))
    return capped


def _route_stops(session: Session, route: RouteRow) -> tuple[Stop, ...]:
    rows = session.exec(
        select(StopRow).where(StopRow.route_id == route.id).order_by(col(StopRow.seq))
    ).all()
    return tuple(
        Stop(
            f"r{row.request_id}" + (":return" if _is_split_return(session, row) else ""),
            StopKind(row.kind.value),
        )
        for row in rows
    )


def _is_split_return(session: Session, row: StopRow) -> bool:
    """A return leg split from a grocery request (not a separate return request row)."""
    if row.leg != LegKind.RETURN:
        return False
    request = session.get(RideRequest, row.request_id)
    return request is not None and request.outbound_request_id is None


def build_day(
    session: Session,
    organisation_id: int,
    service_date: date,
    travel: TravelTimes,
    driver_cost: int = 30_000,
) -> DayProblem:
    """Build the problem of one organisation's day from the database."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"no organisation with id {organisation_id}")
    tz = time_zone(org.time_zone)
    midnight = datetime.combine(service_date, time(0), tz)
    locs = _Locations()
    vehicles, drivers = _vehicles(session, org, service_date, midnight, locs, driver_cost)
    places = {
        p.id: p
        for p in session.exec(select(Place).where(Place.organisation_id == org.id)).all()
        if p.id is not None
    }
    rows = session.exec(
        select(RideRequest)
        .where(
            RideRequest.organisation_id == org.id,
            RideRequest.service_date == service_date,
            col(RideRequest.status).in_(PLANNABLE_STATUSES),
        )
        .order_by(col(RideRequest.id))
    ).all()
    legs: dict[str, LegRef] = {}
    requests: list[Request] = []
    rejected: dict[LegRef, str] = {}
    for row in rows:
        rider = session.get(Rider, row.rider_id)
        assert rider is not None  # foreign key
        built = _legs(row, rider, places, org, midnight, locs)
        if isinstance(built, str):
            rejected[LegRef(row.id or 0, LegKind.OUTBOUND)] = built
            continue
        for ref, request in built:
            legs[request.id] = ref
            requests.append(request)
    matrices = travel.matrices(locs.points)
    requests = _with_ride_limits(requests, matrices, org)
    published = published_plan(session, org.id or 0, service_date)
    known = set(legs)
    previous: dict[str, tuple[Stop, ...]] = {}
    frozen: dict[str, tuple[Stop, ...]] = {}
    if published is not None:
        for route in session.exec(select(RouteRow).where(RouteRow.plan_id == published.id)).all():
            vid = f"d{route.driver_id}"
            if vid not in drivers:
                continue
            stops = tuple(s for s in _route_stops(session, route) if s.request in known)
            previous[vid] = stops
            if route.frozen:
                frozen[vid] = stops
    pinned: dict[str, str] = {}
    held: set[str] = set()
    for lock in session.exec(
        select(AssignmentLock).where(AssignmentLock.organisation_id == org.id)
    ).all():
        ids = [rid for rid, ref in legs.items() if ref.request_id == lock.request_id]
        if lock.kind == LockKind.UNSERVED:
            held.update(ids)
        elif f"d{lock.driver_id}" in drivers:
            pinned.update(dict.fromkeys(ids, f"d{lock.driver_id}"))
        else:
            held.update(ids)
            rejected.update(
                dict.fromkeys((legs[rid] for rid in ids), "pinned to a driver not driving that day")
            )
    problem = Problem(
        requests=tuple(requests),
        vehicles=tuple(vehicles),
        travel=matrices,
        locks=Locks(pinned=pinned, unserved=frozenset(held), frozen_routes=frozen),
        previous=previous,
    )
    return DayProblem(
        organisation=org,
        service_date=service_date,
        midnight=midnight,
        problem=problem,
        legs=legs,
        drivers=drivers,
        points=locs.points,
        addresses=locs.addresses,
        published=published,
        rejected=rejected,
    )
