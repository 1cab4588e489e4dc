"""A small published day for driver tests: two drivers, four riders, one published plan.

Driver Chris (English) carries Mei (reads Chinese), Ahmad and Sam, in that order; driver Wing
(Chinese) carries Lan. Times are on Tuesday 24 November 2026 in Toronto (UTC-5):

=====  ===========  ==================
seq    UTC          stop
=====  ===========  ==================
0      14:30        pick up Mei
1      15:00        drop off Mei
2      15:15        pick up Ahmad
3      15:40        drop off Ahmad
4      16:00        pick up Sam
5      16:30        drop off Sam
=====  ===========  ==================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from shared.i18n import Language
from shared.models import (
    ConsentState,
    Driver,
    LegKind,
    Plan,
    PlanState,
    RequestKind,
    RequestSource,
    RequestStatus,
    Rider,
    RideRequest,
    Route,
    Stop,
    StopKind,
)

DAY = date(2026, 11, 24)
CHRIS_PHONE = "+14165559001"
WING_PHONE = "+14165559002"
RIDER_PHONES = {
    "mei": "+16475551001",
    "ahmad": "+16475551002",
    "sam": "+16475551003",
    "lan": "+16475551004",
}
_RIDERS = {
    "mei": ("Mei Ling Chan", Language.ZH_HANT, "123 Spadina Ave Apt 4"),
    "ahmad": ("Ahmad Karimi", Language.EN, "40 Huron St"),
    "sam": ("Sam Lee", Language.EN, "8 Elm St"),
    "lan": ("Lan Wong", Language.ZH_HANT, "77 Dundas St W"),
}
_CHRIS_STOPS = [
    ("mei", StopKind.PICKUP, 14, 30),
    ("mei", StopKind.DROPOFF, 15, 0),
    ("ahmad", StopKind.PICKUP, 15, 15),
    ("ahmad", StopKind.DROPOFF, 15, 40),
    ("sam", StopKind.PICKUP, 16, 0),
    ("sam", StopKind.DROPOFF, 16, 30),
]
_WING_STOPS = [("lan", StopKind.PICKUP, 15, 0), ("lan", StopKind.DROPOFF, 15, 30)]


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A UTC time on the test day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class DriverDay:
    """Ids of the stored day."""

    organisation_id: int
    plan_id: int
    chris: int
    wing: int
    chris_route: int
    wing_route: int
    riders: dict[str, int]
    requests: dict[str, int]


def seed_driver_day(
    engine: Engine,
    organisation_id: int,
    place_id: int,
    *,
    chris_language: Language = Language.EN,
    chris_is_rider: bool = False,
) -> DriverDay:
    """Store the drivers, riders, their requests and the published plan of the test day."""
    with Session(engine, expire_on_commit=False) as session:
        drivers = {}
        for key, name, phone, language, car in (
            ("chris", "Chris Taylor", CHRIS_PHONE, chris_language, "silver Honda Fit"),
            ("wing", "Wing Chan", WING_PHONE, Language.ZH_HANT, "white Toyota Prius"),
        ):
            drivers[key] = Driver(
                organisation_id=organisation_id,
                name=name,
                phone=phone,
                languages=[language],
                vehicle_description=car,
                home_latitude=43.66,
                home_longitude=-79.39,
            )
            session.add(drivers[key])
        riders = {}
        for key, (name, language, address) in _RIDERS.items():
            riders[key] = Rider(
                organisation_id=organisation_id,
                name=name,
                phone=RIDER_PHONES[key],
                preferred_language=language,
                home_address=address,
                home_latitude=43.65,
                home_longitude=-79.38,
                wheelchair=key == "mei",
                consent_state=ConsentState.OPTED_IN,
            )
            session.add(riders[key])
        if chris_is_rider:
            session.add(
                Rider(
                    organisation_id=organisation_id,
                    name="Chris Taylor",
                    phone=CHRIS_PHONE,
                    preferred_language=chris_language,
                    home_address="1 Yonge St",
                    home_latitude=43.64,
                    home_longitude=-79.37,
                    consent_state=ConsentState.OPTED_IN,
                )
            )
        session.flush()
        requests = {}
        for index, key in enumerate(_RIDERS):
            rider = riders[key]
            assert rider.id is not None
            requests[key] = RideRequest(
                organisation_id=organisation_id,
                rider_id=rider.id,
                kind=RequestKind.APPOINTMENT,
                to_place_id=place_id,
                service_date=DAY,
                arrive_by=at(15 + index),
                source=RequestSource.API,
                reference_code=f"DRV{index}{organisation_id:04d}",
                status=RequestStatus.SCHEDULED,
                wheelchair=key == "mei",
            )
            session.add(requests[key])
        plan = Plan(
            organisation_id=organisation_id,
            service_date=DAY,
            version=1,
            state=PlanState.PUBLISHED,
            published_at=at(1, day=date(2026, 11, 23)),
            notified_at=at(1, day=date(2026, 11, 23)),
        )
        session.add(plan)
        session.flush()
        assert plan.id is not None
        routes = {}
        for key, stops in (("chris", _CHRIS_STOPS), ("wing", _WING_STOPS)):
            driver_id = drivers[key].id
            assert driver_id is not None
            route = Route(plan_id=plan.id, driver_id=driver_id, start_at=at(14), end_at=at(17))
            session.add(route)
            session.flush()
            assert route.id is not None
            routes[key] = route.id
            for seq, (rider_key, kind, hour, minute) in enumerate(stops):
                address = _RIDERS[rider_key][2] if kind == StopKind.PICKUP else "Clinic, 1 King St"
                request_id = requests[rider_key].id
                assert request_id is not None
                session.add(
                    Stop(
                        route_id=route.id,
                        seq=seq,
                        kind=kind,
                        request_id=request_id,
                        leg=LegKind.OUTBOUND,
                        planned_at=at(hour, minute),
                        latitude=43.65 + seq / 1000,
                        longitude=-79.38,
                        address=address,
                    )
                )
        session.commit()
        return DriverDay(
            organisation_id=organisation_id,
            plan_id=plan.id,
            chris=drivers["chris"].id or 0,
            wing=drivers["wing"].id or 0,
            chris_route=routes["chris"],
            wing_route=routes["wing"],
            riders={key: rider.id or 0 for key, rider in riders.items()},
            requests={key: request.id or 0 for key, request in requests.items()},
        )
