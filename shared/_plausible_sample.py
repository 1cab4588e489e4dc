"""A sample day a dispatcher would recognise: the default of ``rides seed`` and ``rides demo``.

The rules it keeps (``tests/shared/test_plausible_sample.py`` checks each, for every city):

- riders shop at one of the two groceries nearest their home, and see doctors near home;
- a rider's trips of the day never overlap, travel to and from them included;
- every window can be reached: appointments are between 10:00 and 15:30 and shopping starts
  between 9:30 and 14:00, inside the shifts of drivers who can carry the rider;
- drivers' shifts cover the day: early (8:00-14:00), late (11:00-18:00) and full (8:30-17:30)
  shifts in turn, each driver with one day off a week, so every hour of every day has drivers;
- every place is in the town its name and its address say.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared._sample_cities import Area, City, SamplePlace
from shared._sample_data import CARS, DRIVER_GIVEN, GIVEN, SURNAMES
from shared.models import (
    DEFAULT_PRIORITY,
    ConsentState,
    Driver,
    DriverAvailability,
    Language,
    Organisation,
    Place,
    PlaceKind,
    RequestKind,
    RequestSource,
    Rider,
    RideRequest,
)
from shared.ride_requests import reference_code

#: Early, late and full shifts, given in turn so that each part of the day has drivers.
SHIFTS: tuple[tuple[time, time], ...] = (
    (time(8, 0), time(14, 0)),
    (time(11, 0), time(18, 0)),
    (time(8, 30), time(17, 30)),
)
#: A rider's trip keeps them busy this long before an appointment and after it.
APPOINTMENT_BEFORE = timedelta(minutes=60)
APPOINTMENT_AFTER = timedelta(minutes=60)
#: Appointments are booked this far from home at most (the nearest of each kind comes first).
NEAR_KM = 15.0


@dataclass(frozen=True)
class Busy:
    """When a rider is away from home for one trip (local times)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Busy) -> bool:
        """True when the two trips share any moment."""
        return self.start < other.end and other.start < self.end


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def request_busy(request: RideRequest, tz: ZoneInfo) -> Busy:
    """When the request keeps its rider away from home."""
    if request.arrive_by is not None:
        at = request.arrive_by.astimezone(tz)
        return Busy(at - APPOINTMENT_BEFORE, at + APPOINTMENT_AFTER)
    assert request.earliest_departure is not None and request.back_by is not None
    return Busy(request.earliest_departure.astimezone(tz), request.back_by.astimezone(tz))


def nearest(places: list[SamplePlace], home: tuple[float, float]) -> list[SamplePlace]:
    """``places`` nearest first."""
    return sorted(places, key=lambda p: distance_km(home, (p.latitude, p.longitude)))


def _phone(prefix: str, index: int) -> str:
    exchange = 555 + index // 100
    return f"+1{prefix}{exchange:03d}01{index % 100:02d}"


def _home(rng: random.Random, area: Area, province: str) -> tuple[str, float, float]:
    lat = round(area.latitude + rng.uniform(-area.spread, area.spread), 5)
    lon = round(area.longitude + rng.uniform(-area.spread, area.spread) * 1.4, 5)
    address = f"{rng.randrange(10, 990, 2)} {rng.choice(area.streets)}, {area.town}, {province}"
    return address, lat, lon


def _place(p: SamplePlace) -> Place:
    return Place(
        name=p.name,
        name_zh=p.name_zh,
        aliases=list(p.aliases),
        kind=p.kind,
        address=p.address,
        latitude=p.latitude,
        longitude=p.longitude,
        organisation_id=0,
    )


def _drivers(rng: random.Random, city: City, count: int) -> tuple[list[Driver], list[Any]]:
    drivers: list[Driver] = []
    availability: list[tuple[int, DriverAvailability]] = []
    for i in range(count):
        address, lat, lon = _home(rng, city.areas[i % len(city.areas)], city.province)
        accessible = i % 6 == 0  # one accessible van in six drivers, the first among them
        # Two drivers in three speak Cantonese, so Cantonese-only riders have drivers all day.
        spoken = ["en", "yue"] if i % 3 != 2 else rng.choice([["en"], ["en", "cmn"]])
        drivers.append(
            Driver(
                name=f"{DRIVER_GIVEN[i % len(DRIVER_GIVEN)]} {rng.choice(SURNAMES)}",
                phone=_phone(city.driver_area_code, i),
                languages=[Language.EN] + ([Language.ZH_HANT] if "yue" in spoken else []),
                spoken=spoken,
                seats=6 if accessible else rng.choice([3, 4, 4]),
                wheelchair_spaces=1 if accessible else 0,
                vehicle_description="accessible Toyota Sienna van"
                if accessible
                else rng.choice(CARS),
                home_address=address,
                home_latitude=lat,
                home_longitude=lon,
                max_rides_per_day=8,
                organisation_id=0,
            )
        )
        start, end = SHIFTS[i % len(SHIFTS)]
        # Vans take the full shift; everyone has one day off, spread over the week.
        if accessible:
            start, end = SHIFTS[2]
        day_off = (i * 3) % 7
        for weekday in range(7):
            if weekday != day_off:
                availability.append(
                    (
                        i,
                        DriverAvailability(
                            driver_id=0, weekday=weekday, start_time=start, end_time=end
                        ),
                    )
                )
    return drivers, availability


def _riders(rng: random.Random, city: City, count: int) -> list[Rider]:
    riders = []
    for i in range(count):
        address, lat, lon = _home(rng, city.areas[i % len(city.areas)], city.province)
        language = Language.ZH_HANT if rng.random() < 0.75 else Language.EN
        cantonese_only = language == Language.ZH_HANT and rng.random() < 0.3
        riders.append(
            Rider(
                name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                # Index 0 would be the organisation's own number (+1 area 555 0100).
                phone=_phone(city.area_code, i + 1),
                preferred_language=language,
                home_address=address,
                home_latitude=lat,
                home_longitude=lon,
                wheelchair=i % 13 == 5,
                walker=rng.random() < 0.1,
                seats_needed=1 if rng.random() < 0.85 else 2,
                requires_language="yue" if cantonese_only else None,
                consent_state=ConsentState.OPTED_IN,
                organisation_id=0,
            )
        )
    return riders


def _trip(
    rng: random.Random,
    city: City,
    rider: Rider,
    local_day: datetime,
) -> tuple[SamplePlace, dict[str, Any]]:
    """A place near the rider's home and the request's times (not yet checked for overlap)."""
    home = (rider.home_latitude or 0.0, rider.home_longitude or 0.0)
    groceries = [p for p in city.places if p.kind == PlaceKind.GROCERY]
    if rng.random() < 0.5:
        place = rng.choice(nearest(groceries, home)[:2])
        leave = local_day + timedelta(hours=rng.choice([9.5, 10, 10.5, 11, 13, 13.5, 14]))
        return place, {
            "kind": RequestKind.GROCERY,
            "earliest_departure": leave.astimezone(UTC),
            "store_minutes": rng.choice([45, 60, 75]),
            "back_by": (leave + timedelta(hours=3)).astimezone(UTC),
            "priority": DEFAULT_PRIORITY[RequestKind.GROCERY],
        }
    others = [
        p
        for p in nearest([p for p in city.places if p.kind != PlaceKind.GROCERY], home)
        if distance_km(home, (p.latitude, p.longitude)) <= NEAR_KM
    ]
    place = rng.choice(others[:4])
    at = local_day + timedelta(
        hours=rng.choice([10, 10.5, 11, 13, 13.5, 14, 14.5, 15, 15.5]),
    )
    return place, {
        "kind": RequestKind.APPOINTMENT,
        "arrive_by": at.astimezone(UTC),
        "priority": DEFAULT_PRIORITY[RequestKind.APPOINTMENT],
    }


def plausible_network(
    city: City, service_date: date, drivers: int, riders: int, requests: int, seed: int
) -> tuple[Organisation, list[Place], list[Driver], list[Any], list[Rider], list[Any]]:
    """The city's organisation, places, drivers (with availability), riders and one day's
    requests as ``(rider index, place index, request)``; deterministic for a seed."""
    rng = random.Random(seed)
    tz = ZoneInfo(city.time_zone)
    org = Organisation(
        slug=city.slug,
        name=city.name,
        time_zone=city.time_zone,
        sms_number=city.sms_number,
        help_contact=city.help_contact,
    )
    places = [_place(p) for p in city.places]
    driver_rows, availability = _drivers(rng, city, drivers)
    rider_rows = _riders(rng, city, riders)
    local_day = datetime.combine(service_date, time(0), tz)
    busy: dict[int, list[Busy]] = {}
    codes: set[str] = set()
    out: list[Any] = []
    order = list(range(len(rider_rows)))
    rng.shuffle(order)
    for turn in range(requests * 50):
        if len(out) >= requests:
            break
        # Riders take turns: nobody has a second trip before everyone has had a first.
        rider_index = order[turn % len(order)]
        rider = rider_rows[rider_index]
        place, times = _trip(rng, city, rider, local_day)
        code = reference_code(rng)
        while code in codes:
            code = reference_code(rng)
        request = RideRequest(
            rider_id=0,
            organisation_id=0,
            service_date=service_date,
            passengers=rider.seats_needed,
            wheelchair=rider.wheelchair,
            walker=rider.walker,
            source=RequestSource.API,
            reference_code=code,
            **times,
        )
        trip = request_busy(request, tz)
        if any(trip.overlaps(other) for other in busy.get(rider_index, [])):
            continue
        codes.add(code)
        busy.setdefault(rider_index, []).append(trip)
        out.append((rider_index, city.places.index(place), request))
    return org, places, driver_rows, availability, rider_rows, out
