"""Pre-checks: the vectorised check agrees with the one-vehicle schedule it replaces."""

from __future__ import annotations

import random

from scheduler.solver import Problem, Request, Vehicle, Window
from scheduler.solver._compile import alone_feasible, classify
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
