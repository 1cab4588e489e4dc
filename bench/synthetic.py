"""A synthetic service day: 1,000 requests, 150 volunteer drivers, one city.

    uv run python bench/synthetic.py --requests 1000 --drivers 150 --time-limit 60 --seed 1

Seeded and repeatable. Riders live in one of 600 homes and travel to 80 destinations
(groceries, clinics, legal aid) inside a 20 x 20 km box; a third of the requests are round
trips (outbound, then a return at least 45 min later); some need a wheelchair space or a
Cantonese-speaking driver; medical and legal rides carry a higher priority. Prints one line
with the outcome and the checker's verdict.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from scheduler.solver import Link, Problem, Request, SolveParams, Vehicle, Window, check, solve
from scheduler.travel import HaversineTravel

HOUR, MIN = 3600, 60
LAT0, LON0 = 43.65, -79.40
KM_LAT, KM_LON = 1 / 111.0, 1 / 80.5


def day(n_requests: int, n_drivers: int, seed: int) -> Problem:
    """Build the synthetic day."""
    rnd = random.Random(seed)

    def place() -> tuple[float, float]:
        return (LAT0 + rnd.uniform(-10, 10) * KM_LAT, LON0 + rnd.uniform(-10, 10) * KM_LON)

    homes = [place() for _ in range(600)]
    dests = [place() for _ in range(80)]
    bases = [place() for _ in range(n_drivers)]
    points = homes + dests + bases
    travel = HaversineTravel().matrices(points)
    requests: list[Request] = []
    while len(requests) < n_requests:
        k = len(requests)
        home = rnd.randrange(len(homes))
        dest = len(homes) + rnd.randrange(len(dests))
        medical = rnd.random() < 0.4
        skills: set[str] = set()
        load = (1, 0)
        if rnd.random() < 0.08:
            skills.add("wheelchair")
            load = (0, 1)
        if rnd.random() < 0.15:
            skills.add("lang:yue")
        appt = rnd.randrange(9 * HOUR, 16 * HOUR, 15 * MIN)
        out = Request(
            id=f"r{k}",
            pickup=home,
            dropoff=dest,
            load=load,
            dropoff_window=Window(appt - 30 * MIN, appt),
            pickup_service=2 * MIN,
            dropoff_service=MIN,
            max_ride_time=45 * MIN,
            skills=frozenset(skills),
            priority=3 if medical else 1,
        )
        requests.append(out)
        if rnd.random() < 0.33 and len(requests) < n_requests:
            wait = rnd.choice([45, 60, 90]) * MIN
            requests.append(
                Request(
                    id=f"r{k}b",
                    pickup=dest,
                    dropoff=home,
                    load=load,
                    pickup_window=Window(appt + wait, appt + wait + 90 * MIN),
                    pickup_service=MIN,
                    dropoff_service=2 * MIN,
                    max_ride_time=45 * MIN,
                    skills=frozenset(skills),
                    priority=out.priority,
                    after=Link(out.id, wait),
                )
            )
    vehicles = []
    for v in range(n_drivers):
        skills = {"lang:en"}
        if rnd.random() < 0.25:
            skills.add("lang:yue")
        capacity = (3, 0)
        if rnd.random() < 0.15:
            skills.add("wheelchair")
            capacity = (2, 1)
        start = rnd.randrange(7 * HOUR, 11 * HOUR, 30 * MIN)
        base = len(homes) + len(dests) + v
        vehicles.append(
            Vehicle(
                id=f"d{v}",
                start=base,
                end=base,
                shift=Window(start, start + rnd.choice([4, 6, 8]) * HOUR),
                capacity=capacity,
                skills=frozenset(skills),
                fixed_cost=2 * HOUR,
            )
        )
    return Problem(tuple(requests), tuple(vehicles), travel)


def main() -> None:
    """Generate, solve, check, print one line."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--drivers", type=int, default=150)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.monotonic()
    problem = day(args.requests, args.drivers, args.seed)
    built = time.monotonic() - t0
    solution = solve(problem, SolveParams(time_limit=args.time_limit, seed=args.seed))
    violations = check(problem, solution)
    reasons: dict[str, int] = {}
    for u in solution.unserved:
        reasons[u.reason.name] = reasons.get(u.reason.name, 0) + 1
    sys.stdout.write(
        f"requests={len(problem.requests)} drivers={len(problem.vehicles)} "
        f"served={len(problem.requests) - len(solution.unserved)} unserved={reasons} "
        f"vehicles={solution.objective['vehicles']} violations={len(violations)} "
        f"matrix_s={built:.1f} solve_s={solution.stats['seconds']:.1f}\n"
    )
    for v in violations[:10]:
        sys.stdout.write(f"  {v.kind}: {v.message}\n")


if __name__ == "__main__":
    main()
