"""Solve a benchmark instance with the scheduler and report it in file units."""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from devtools.bench_check import BenchRoute, bench_distance, check_bench
from devtools.instances import Instance, to_problem
from scheduler.solver import SearchKnobs, SolveParams, Violation, Weights, solve

# The solver's earliest-start scheduler, reused in floats on the file's own data.
from scheduler.solver._schedule import Gap, Point, earliest_schedule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchResult:
    """What ``rides bench solve`` prints, plus the violations found by the float checker."""

    instance: Instance
    routes: tuple[BenchRoute, ...]
    seconds: float
    violations: tuple[Violation, ...]
    unserved: int

    @property
    def distance(self) -> float:
        """Total distance recomputed in full precision."""
        return bench_distance(self.instance, self.routes)

    @property
    def feasible(self) -> bool:
        """Every request served and no rule broken."""
        return not self.violations and self.unserved == 0

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the ``rides bench solve --json`` interface."""
        return {
            "instance": self.instance.name,
            "format": self.instance.format,
            "feasible": self.feasible,
            "vehicles": len(self.routes),
            "distance": self.distance,
            "seconds": round(self.seconds, 3),
            "routes": [
                {
                    "start": r.start,
                    "end": r.end,
                    "stops": [{"node": n, "time": t} for n, t in r.stops],
                }
                for r in self.routes
            ],
        }


def params_for(inst: Instance, time_limit: float, seed: int = 0) -> SolveParams:
    """Search settings for a benchmark format."""
    base = SolveParams(
        time_limit=time_limit,
        seed=seed,
        arc_cost="distance",
        # Must dwarf a vehicle's fixed cost, which dwarfs any total distance (scaled).
        weights=Weights(unserved=10**13, moved=0),
    )
    if inst.format == "lilim":
        # Sub-problems of a few neighbouring routes recover most of the distance that the
        # whole-problem search leaves on the table (lr1_2_1: +12.6% -> +2.3% at 10 s).
        # A short whole-problem phase (first solution and the start of a descent) leaves
        # most of the time to emptying routes: lr1_2_1 went from 21 to 20 vehicles (BKS).
        search = SearchKnobs(
            # Li & Lim counts vehicles first (each carries a fixed cost): empty routes.
            reduce_vehicles=True,
            first_solutions=("parallel_cheapest_insertion",),
            decompose=True,
            main_share=0.1,
        )
        return replace(base, search=search)
    # On dial-a-ride the start decides which local optimum the search gets stuck in:
    # descend from several starts and keep the best (a-set mean 3.0% -> 2.1-2.5% at 10 s).
    search = SearchKnobs(
        first_solutions=(
            "parallel_cheapest_insertion",
            "savings",
            "global_cheapest_arc",
            "local_cheapest_insertion",
        ),
        descend_starts=True,
        start_share=0.9,
    )
    return replace(base, search=search)


def solve_instance(
    inst: Instance, time_limit: float, seed: int = 0, params: SolveParams | None = None
) -> BenchResult:
    """Solve ``inst`` within ``time_limit`` seconds and schedule it in floats.

    ``params`` overrides the format's default search settings (for tuning runs).
    """
    t0 = time.monotonic()
    problem = to_problem(inst)
    params = params or params_for(inst, time_limit, seed)
    solution = solve(problem, replace(params, time_limit=time_limit - (time.monotonic() - t0)))
    routes = []
    for r in solution.routes:
        nodes = [int(v.request) if v.kind.value == "pickup" else v.location for v in r.visits]
        routes.append(float_schedule(inst, nodes))
    seconds = time.monotonic() - t0
    ok = [r for r in routes if r is not None]
    violations = check_bench(inst, ok)
    if len(ok) < len(routes):
        violations.append(Violation("schedule", "a route has no schedule in full precision"))
    return BenchResult(inst, tuple(ok), seconds, tuple(violations), len(solution.unserved))


def float_schedule(inst: Instance, nodes: list[int]) -> BenchRoute | None:
    """Earliest service times of a node sequence in file units, or None if none fits."""
    depot, end = inst.nodes[0], inst.nodes[inst.end_depot]
    path = [0, *nodes, inst.end_depot]
    points = [Point(depot.earliest, depot.latest, 0.0)]
    points += [
        Point(inst.nodes[n].earliest, inst.nodes[n].latest, inst.nodes[n].service) for n in nodes
    ]
    points.append(Point(end.earliest, end.latest, 0.0))
    travel = [inst.dist(a, b) for a, b in itertools.pairwise(path)]
    pos = {n: k + 1 for k, n in enumerate(nodes)}
    gaps = []
    if inst.max_ride is not None:
        for p, d in inst.pairs:
            if p in pos and d in pos:
                gaps.append(Gap(pos[p], pos[d], inst.max_ride + inst.nodes[p].service))
    if inst.max_route is not None:
        gaps.append(Gap(0, len(points) - 1, inst.max_route))
    times = earliest_schedule(points, travel, gaps)
    if times is None:
        return None
    return BenchRoute(times[0], times[-1], tuple(zip(nodes, times[1:-1], strict=True)))
