"""Small named scenarios for scheduler tests.

The town is a handful of places on a plane; travel time is the Euclidean distance in
minutes turned into seconds. Every scenario is a frozen Problem; tests derive variants with
``dataclasses.replace``.
"""

from __future__ import annotations

import math
import random

import pytest

from scheduler.solver import Link, Problem, Request, SolveParams, Travel, Vehicle, Window

# name -> (x, y) in "minutes" apart
PLACES: dict[str, tuple[float, float]] = {
    "depot": (0, 0),
    "home_a": (10, 0),
    "home_b": (0, 10),
    "home_c": (-10, 0),
    "grocery": (10, 10),
    "clinic": (20, 0),
    "legal_aid": (0, 20),
    "far_town": (300, 300),
}
LOC = {name: i for i, name in enumerate(PLACES)}
MIN = 60
HOUR = 3600
DAY = Window(8 * HOUR, 18 * HOUR)


def town() -> Travel:
    """Seconds between places (distance in metres = 500 x minutes)."""
    pts = list(PLACES.values())
    minutes = [[math.hypot(a[0] - b[0], a[1] - b[1]) for b in pts] for a in pts]
    return Travel.of(
        [[math.ceil(m * MIN) for m in row] for row in minutes],
        [[math.ceil(m * 500) for m in row] for row in minutes],
    )


def ride(rid: str, frm: str, to: str, **kw: object) -> Request:
    """A one-seat request between two named places."""
    return Request(id=rid, pickup=LOC[frm], dropoff=LOC[to], **kw)  # type: ignore[arg-type]


def car(vid: str, **kw: object) -> Vehicle:
    """A three-seat car based at the depot working the whole day."""
    base: dict[str, object] = {"start": LOC["depot"], "end": LOC["depot"], "shift": DAY}
    base.update(kw)
    return Vehicle(id=vid, **base)  # type: ignore[arg-type]


FAST = SolveParams(time_limit=0.5)

TOWN = [name for name in LOC if name != "far_town"]


def busy_day(seed: int, n_trips: int = 30, n_cars: int = 4) -> Problem:
    """Round trips and one-way rides around the town; some need a wheelchair space."""
    rnd = random.Random(seed)
    requests: list[Request] = []
    for k in range(n_trips):
        home, dest = rnd.sample(TOWN, 2)
        chair = rnd.random() < 0.2
        appt = rnd.randrange(9 * HOUR, 16 * HOUR, 15 * MIN)
        common: dict[str, object] = {
            "load": (0, 1) if chair else (1, 0),
            "skills": frozenset({"wheelchair"}) if chair else frozenset(),
            "pickup_service": 2 * MIN,
            "max_ride_time": 40 * MIN,
        }
        out = Request(
            id=f"r{k}",
            pickup=LOC[home],
            dropoff=LOC[dest],
            dropoff_window=Window(appt - 30 * MIN, appt),
            **common,  # type: ignore[arg-type]
        )
        requests.append(out)
        if rnd.random() < 0.5:
            wait = rnd.choice([30, 60]) * MIN
            requests.append(
                Request(
                    id=f"r{k}b",
                    pickup=LOC[dest],
                    dropoff=LOC[home],
                    pickup_window=Window(appt + wait, appt + wait + HOUR),
                    after=Link(out.id, wait),
                    **common,  # type: ignore[arg-type]
                )
            )
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            start=LOC["depot"],
            end=LOC["depot"],
            shift=DAY,
            capacity=(3, 1) if k == 0 else (3, 0),
            skills=frozenset({"wheelchair"}) if k == 0 else frozenset(),
            fixed_cost=HOUR,
        )
        for k in range(n_cars)
    )
    return Problem(tuple(requests), vehicles, town())


@pytest.fixture
def two_cars_four_rides() -> Problem:
    """Two drivers, four ordinary rides spread over the morning."""
    return Problem(
        requests=(
            ride("r1", "home_a", "clinic", dropoff_window=Window(9 * HOUR, 9 * HOUR + 30 * MIN)),
            ride("r2", "home_b", "grocery", pickup_window=Window(9 * HOUR, 10 * HOUR)),
            ride("r3", "home_c", "legal_aid", dropoff_window=Window(10 * HOUR, 11 * HOUR)),
            ride("r4", "grocery", "home_b", pickup_window=Window(11 * HOUR, 12 * HOUR)),
        ),
        vehicles=(car("v1"), car("v2")),
        travel=town(),
    )
