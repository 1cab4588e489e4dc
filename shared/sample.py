"""Deterministic sample networks: plausible days of each sample city, and benchmark days.

``seed_sample`` writes one into the database. By default it is the city's plausible day
(``shared._plausible_sample``: what ``rides seed`` and ``rides demo`` show a coordinator).
``legacy=True`` gives the benchmark generator, ``generate_network``, unchanged so that benchmark
figures stay comparable: riders go anywhere in the area at random times, drivers' shifts start
and end at random hours. Both are pure (plain rows, a seeded ``random.Random``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from shared._plausible_sample import plausible_network
from shared._sample_cities import CITIES
from shared._sample_data import AREAS, CARS, DRIVER_GIVEN, GIVEN, PLACES, SURNAMES
from shared.errors import Conflict, ValidationFailed
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

SAMPLES = tuple(CITIES)


@dataclass(frozen=True)
class SampleSize:
    drivers: int = 12
    riders: int = 40
    requests: int = 30


@dataclass(frozen=True)
class SampleRequest:
    """A request to the rider's chosen place; ids are resolved when the network is stored."""

    rider_index: int
    place_index: int
    request: RideRequest


@dataclass
class Network:
    """An in-memory network: ORM rows not yet attached to any session."""

    organisation: Organisation
    places: list[Place] = field(default_factory=list)
    drivers: list[Driver] = field(default_factory=list)
    availability: list[tuple[int, DriverAvailability]] = field(default_factory=list)
    riders: list[Rider] = field(default_factory=list)
    requests: list[SampleRequest] = field(default_factory=list)


def _point(rng: random.Random) -> tuple[str, float, float]:
    area, lat, lon, spread = rng.choice(AREAS)
    return (
        area,
        round(lat + rng.uniform(-spread, spread), 5),
        round(lon + rng.uniform(-spread, spread) * 1.4, 5),
    )


def _phone(prefix: str, index: int) -> str:
    # 555-01xx numbers are reserved for fiction; larger networks roll over to further exchanges.
    exchange = 555 + index // 100
    return f"+1{prefix}{exchange:03d}01{index % 100:02d}"


def generate_network(
    service_date: date, size: SampleSize = SampleSize(), seed: int = 2026
) -> Network:
    """The benchmark generator: a deterministic Toronto network and one day of requests."""
    if size.drivers < 1 or size.riders < 1 or size.requests < 0:
        raise ValidationFailed("a network needs at least one driver and one rider")
    rng = random.Random(seed)
    tz = ZoneInfo("America/Toronto")
    org = Organisation(
        slug="toronto-newcomer-rides",
        name="Toronto Newcomer Rides",
        time_zone="America/Toronto",
        sms_number="+14165550100",
        help_contact="+1 416 555 0199",
    )
    net = Network(organisation=org)
    for name, name_zh, aliases, kind, address, lat, lon in PLACES:
        net.places.append(
            Place(
                name=name,
                name_zh=name_zh,
                aliases=aliases,
                kind=kind,
                address=address,
                latitude=lat,
                longitude=lon,
                organisation_id=0,
            )
        )
    for i in range(size.drivers):
        area, lat, lon = _point(rng)
        accessible = i % 6 == 0  # one accessible van in six drivers
        spoken = rng.choice(
            [["en", "yue"], ["en", "yue"], ["en", "cmn"], ["en"], ["yue", "cmn", "en"]]
        )
        net.drivers.append(
            Driver(
                name=f"{DRIVER_GIVEN[i % len(DRIVER_GIVEN)]} {rng.choice(SURNAMES)}",
                phone=_phone("647", i),
                languages=[Language.EN] + ([Language.ZH_HANT] if "yue" in spoken else []),
                spoken=spoken,
                seats=6 if accessible else rng.choice([3, 3, 4, 4, 6]),
                wheelchair_spaces=1 if accessible else 0,
                vehicle_description="accessible Toyota Sienna van"
                if accessible
                else rng.choice(CARS),
                home_address=f"{area}, ON",
                home_latitude=lat,
                home_longitude=lon,
                max_rides_per_day=rng.choice([4, 6, 8]),
                organisation_id=0,
            )
        )
        for weekday in range(7):
            if rng.random() < 0.7:
                start = rng.choice([8, 9, 10])
                end = rng.choice([14, 16, 18])
                net.availability.append(
                    (
                        i,
                        DriverAvailability(
                            driver_id=0, weekday=weekday, start_time=time(start), end_time=time(end)
                        ),
                    )
                )
    for i in range(size.riders):
        area, lat, lon = _point(rng)
        language = Language.ZH_HANT if rng.random() < 0.75 else Language.EN
        # Some Chinese-reading riders speak only Cantonese and need a driver who does.
        cantonese_only = language == Language.ZH_HANT and rng.random() < 0.4
        net.riders.append(
            Rider(
                name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                phone=_phone("416", i),
                preferred_language=language,
                home_address=f"{area}, ON",
                home_latitude=lat,
                home_longitude=lon,
                wheelchair=rng.random() < 0.08,
                walker=rng.random() < 0.1,
                seats_needed=1 if rng.random() < 0.85 else 2,
                requires_language="yue" if cantonese_only else None,
                consent_state=ConsentState.OPTED_IN,
                organisation_id=0,
            )
        )
    groceries = [i for i, p in enumerate(net.places) if p.kind == PlaceKind.GROCERY]
    others = [i for i, p in enumerate(net.places) if p.kind != PlaceKind.GROCERY]
    codes: set[str] = set()
    local_day = datetime.combine(service_date, time(0), tz)
    for _ in range(size.requests):
        rider_index = rng.randrange(len(net.riders))
        rider = net.riders[rider_index]
        code = reference_code(rng)
        while code in codes:
            code = reference_code(rng)
        codes.add(code)
        common: dict[str, Any] = {
            "rider_id": 0,
            "organisation_id": 0,
            "service_date": service_date,
            "passengers": rider.seats_needed,
            "wheelchair": rider.wheelchair,
            "walker": rider.walker,
            "source": RequestSource.API,
            "reference_code": code,
        }
        if rng.random() < 0.5:
            place_index = rng.choice(groceries)
            leave = local_day + timedelta(hours=rng.choice([9, 10, 11, 13, 14]))
            request = RideRequest(
                kind=RequestKind.GROCERY,
                earliest_departure=leave.astimezone(UTC),
                store_minutes=rng.choice([45, 60, 75]),
                back_by=(leave + timedelta(hours=3)).astimezone(UTC),
                priority=DEFAULT_PRIORITY[RequestKind.GROCERY],
                **common,
            )
        else:
            place_index = rng.choice(others)
            at = local_day + timedelta(
                hours=rng.choice([9, 10, 11, 13, 14, 15]), minutes=rng.choice([0, 15, 30, 45])
            )
            request = RideRequest(
                kind=RequestKind.APPOINTMENT,
                arrive_by=at.astimezone(UTC),
                priority=DEFAULT_PRIORITY[RequestKind.APPOINTMENT],
                **common,
            )
        net.requests.append(SampleRequest(rider_index, place_index, request))
    return net


def sample_time_zone(sample: str, default: str) -> str:
    """The time zone of a sample city (``default`` for a name that is not one)."""
    return CITIES[sample].time_zone if sample in CITIES else default


def sample_network(
    sample: str, service_date: date, size: SampleSize = SampleSize(), *, legacy: bool = False
) -> Network:
    """The named sample network and its day of requests, not stored."""
    if sample not in SAMPLES:
        raise ValidationFailed(f"unknown sample {sample!r}; choose one of: {', '.join(SAMPLES)}")
    if size.drivers < 1 or size.riders < 1 or size.requests < 0:
        raise ValidationFailed("a network needs at least one driver and one rider")
    seed = int.from_bytes(hashlib.sha256(sample.encode()).digest()[:4], "big")
    if legacy:
        if sample != "toronto":
            raise ValidationFailed("the benchmark generator (--legacy-sample) has Toronto only")
        return generate_network(service_date, size, seed=seed)
    org, places, drivers, availability, riders, requests = plausible_network(
        CITIES[sample], service_date, size.drivers, size.riders, size.requests, seed
    )
    return Network(
        organisation=org,
        places=places,
        drivers=drivers,
        availability=availability,
        riders=riders,
        requests=[SampleRequest(r, p, request) for r, p, request in requests],
    )


def seed_sample(
    session: Session,
    sample: str,
    service_date: date,
    size: SampleSize = SampleSize(),
    *,
    legacy: bool = False,
) -> Network:
    """Store the named sample network and its day of requests. Refuses to seed twice."""
    net = sample_network(sample, service_date, size, legacy=legacy)
    existing = session.exec(
        select(Organisation).where(Organisation.slug == net.organisation.slug)
    ).first()
    if existing is not None:
        raise Conflict(
            f"organisation {existing.slug!r} is already seeded; use a fresh database to reseed"
        )
    session.add(net.organisation)
    session.flush()
    org_id = net.organisation.id
    assert org_id is not None
    for row in [*net.places, *net.drivers, *net.riders]:
        row.organisation_id = org_id
        session.add(row)
    session.flush()
    for driver_index, availability in net.availability:
        driver_id = net.drivers[driver_index].id
        assert driver_id is not None
        availability.driver_id = driver_id
        session.add(availability)
    for sample_request in net.requests:
        request = sample_request.request
        request.to_place_id = net.places[sample_request.place_index].id
        rider_id = net.riders[sample_request.rider_index].id
        assert rider_id is not None
        request.rider_id = rider_id
        request.organisation_id = org_id
        session.add(request)
    session.flush()
    return net
