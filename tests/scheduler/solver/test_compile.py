"""Pre-checks: the vectorised check agrees with the one-vehicle schedule it replaces."""

from __future__ import annotations

import random

from scheduler.solver import Problem, Request, Vehicle, Window
from scheduler.solver._compile import _Fleet, alone_feasible, classify
from tests.scheduler.conftest import HOUR, MIN, town


def _random_problem(rnd: random.Random) -> Problem:
    travel = town()
    places = travel.size - 1  # leave the far town out: everything there is impossible anyway

    def window() -> Window | None:
        if rnd.random() < 0.3:
            return None
        start = rnd.randrange(7 * HOUR, 17 * HOUR, 5 * MIN)
        return Window(start, start + rnd.choice([0, 10, 30, 90]) * MIN)

    requests = tuple(
        Request(
            id=f"r{k}",
            pickup=rnd.randrange(places),
            dropoff=rnd.randrange(places),
            pickup_window=window(),
            dropoff_window=window(),
            pickup_service=rnd.choice([0, 2 * MIN]),
            dropoff_service=rnd.choice([0, MIN]),
            max_ride_time=rnd.choice([None, 5 * MIN, 20 * MIN, 60 * MIN]),
        )
        for k in range(60)
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            start=rnd.randrange(places),
            end=rnd.randrange(places),
            shift=Window(rnd.choice([7, 9, 12]) * HOUR, rnd.choice([10, 14, 18]) * HOUR),
            max_duration=rnd.choice([None, None, 2 * HOUR, 5 * HOUR]),
        )
        for k in range(8)
    )
    return Problem(requests, vehicles, travel)


def test_vectorised_pre_check_allows_exactly_the_vehicles_a_lone_schedule_allows() -> None:
    for seed in range(20):
        problem = _random_problem(random.Random(seed))
        vehicles = list(problem.vehicles)
        reasons, allowed = classify(problem, vehicles)
        for r in problem.requests:
            expected = [i for i, v in enumerate(vehicles) if alone_feasible(problem, r, v)]
            assert allowed.get(r.id, []) == expected, (seed, r)
            assert (r.id in reasons) == (not expected)


def _tightened_one_by_one(
    problem: Problem, r: Request, carriers: list[Vehicle]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The windows ``_Fleet.tightened`` computes, one vehicle at a time."""
    t, h = problem.travel.time, max(v.shift.latest for v in problem.vehicles)
    pw, dw = r.pickup_window or Window(0, h), r.dropoff_window or Window(0, h)
    (pe, pl), (de, dl) = (pw.earliest, pw.latest), (dw.earliest, dw.latest)
    direct = r.pickup_service + t[r.pickup][r.dropoff]
    pe = max(pe, min(v.shift.earliest + t[v.start][r.pickup] for v in carriers))
    dl = min(dl, max(v.shift.latest - r.dropoff_service - t[r.dropoff][v.end] for v in carriers))
    de, pl = max(de, pe + direct), min(pl, dl - direct)
    if r.max_ride_time is not None:
        dl = min(dl, pl + r.pickup_service + r.max_ride_time)
        pe = max(pe, de - r.pickup_service - r.max_ride_time)
    return (pe, pl), (de, dl)


def test_vectorised_windows_are_the_ones_each_carrier_implies() -> None:
    for seed in range(10):
        problem = _random_problem(random.Random(seed))
        vehicles = list(problem.vehicles)
        fleet = _Fleet(problem, vehicles)
        _, allowed = classify(problem, vehicles, fleet)
        for r in problem.requests:
            if r.id in allowed:
                carriers = [vehicles[i] for i in allowed[r.id]]
                expected = _tightened_one_by_one(problem, r, carriers)
                assert fleet.tightened(r, allowed[r.id]) == expected, (seed, r)
