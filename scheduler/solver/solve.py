"""``solve(problem, params) -> Solution``: the scheduler's one entry point."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from scheduler.solver._compile import Compiled, compile_problem, horizon_of
from scheduler.solver._schedule import Gap, Point, earliest_schedule
from scheduler.solver._search import optimise
from scheduler.solver.errors import LockConflictError, SchedulerError
from scheduler.solver.params import SolveParams
from scheduler.solver.problem import Problem, Request, Stop, StopKind, Vehicle
from scheduler.solver.solution import Route, Solution, Unserved, UnservedReason, Visit

log = logging.getLogger(__name__)


def solve(problem: Problem, params: SolveParams | None = None) -> Solution:
    """Plan routes for ``problem`` within ``params.time_limit`` seconds.

    Serves as many requests as possible weighted by priority, then uses as few vehicles
    (fixed costs) as it can, then the least travel. Every request left out is listed in
    ``Solution.unserved`` with a reason.
    """
    params = params or SolveParams()
    t0 = time.monotonic()
    compiled, reasons = compile_problem(problem, params)
    # The time limit covers pre-checks and model building too.
    left = max(params.time_limit - (time.monotonic() - t0), 0.1)
    outcome = optimise(compiled, problem.travel, replace(params, time_limit=left))
    routes, unserved = plan_of(problem, compiled, outcome.routes, reasons)
    return Solution(
        routes=tuple(routes),
        unserved=tuple(unserved),
        objective=_objective(problem, params, routes, unserved),
        stats={
            "seconds": time.monotonic() - t0,
            "starts_tried": outcome.starts_tried,
            "vehicle_reductions": outcome.reductions,
            "sub_problems_improved": outcome.decomposed,
            "search_cost": outcome.cost,
        },
    )


def warm_up() -> float:
    """Load the compiled search core now rather than inside the first solve's time limit;
    the seconds it took (the first time after an install it is compiled, then cached)."""
    from scheduler.solver import _sisr

    return _sisr.warm()


def plan_of(
    problem: Problem,
    compiled: Compiled,
    node_routes: Sequence[Sequence[int]],
    reasons: Mapping[str, UnservedReason],
) -> tuple[list[Route], list[Unserved]]:
    """Timed routes and unserved requests from node routes per vehicle of ``compiled``."""
    reasons = dict(reasons)
    by_id = {r.id: r for r in problem.requests}
    sequences: dict[str, list[Stop]] = {
        vid: list(stops) for vid, stops in problem.locks.frozen_routes.items()
    }
    for v, nodes in enumerate(node_routes):
        if nodes:
            sequences[compiled.vehicles[v].id] = [
                Stop(
                    compiled.requests[n // 2].id,
                    StopKind.PICKUP if n % 2 == 0 else StopKind.DROPOFF,
                )
                for n in nodes
            ]
    _drop_orphan_returns(problem, sequences, reasons)
    routes = _schedule_all(problem, sequences, by_id)
    served = {v.request for r in routes for v in r.visits}
    unserved = [
        Unserved(r.id, reasons.get(r.id, UnservedReason.NO_ROOM))
        for r in problem.requests
        if r.id not in served
    ]
    return routes, unserved


def _drop_orphan_returns(
    problem: Problem, sequences: dict[str, list[Stop]], reasons: dict[str, UnservedReason]
) -> None:
    """Take out return legs whose outbound is not served (the search does not forbid them).

    Removing a pick-up and its drop-off keeps a route feasible: later stops can only be
    reached earlier, and waiting is allowed.
    """
    served = {s.request for stops in sequences.values() for s in stops}
    orphans = {
        r.id
        for r in problem.requests
        if r.after is not None and r.id in served and r.after.outbound not in served
    }
    if not orphans:
        return
    frozen = problem.locks.frozen_routes
    for vid, stops in sequences.items():
        if vid not in frozen:
            sequences[vid] = [s for s in stops if s.request not in orphans]
    reasons.update(dict.fromkeys(orphans, UnservedReason.OUTBOUND_UNSERVED))


def _schedule_all(
    problem: Problem, sequences: Mapping[str, Sequence[Stop]], by_id: Mapping[str, Request]
) -> list[Route]:
    """Earliest times for every route; return legs wait for their outbound drop-off."""
    vehicles = {v.id: v for v in problem.vehicles}
    floor: dict[str, int] = {}
    routes: dict[str, Route] = {}
    # Earliest schedules only grow as floors rise, so this reaches a fixed point.
    for _ in range(len(by_id) + 2):
        for vid, stops in sequences.items():
            routes[vid] = _schedule_route(problem, vehicles[vid], stops, by_id, floor)
        drop_time = {
            v.request: v.time + by_id[v.request].dropoff_service
            for r in routes.values()
            for v in r.visits
            if v.kind is StopKind.DROPOFF
        }
        new_floor = {
            r.id: drop_time[r.after.outbound] + r.after.min_gap
            for r in by_id.values()
            if r.after is not None and r.after.outbound in drop_time
        }
        if new_floor == floor:
            break
        floor = new_floor
    return [routes[v.id] for v in problem.vehicles if v.id in routes and routes[v.id].visits]


def _schedule_route(
    problem: Problem,
    v: Vehicle,
    stops: Sequence[Stop],
    by_id: Mapping[str, Request],
    floor: Mapping[str, int],
) -> Route:
    t = problem.travel.time
    h = horizon_of(problem)
    points = [Point(v.shift.earliest, v.shift.latest, 0)]
    locs = [v.start]
    where: dict[str, int] = {}
    gaps: list[Gap] = []
    for s in stops:
        r = by_id[s.request]
        if s.kind is StopKind.PICKUP:
            w, loc, svc = r.pickup_window, r.pickup, r.pickup_service
            where[r.id] = len(points)
        else:
            w, loc, svc = r.dropoff_window, r.dropoff, r.dropoff_service
            if r.max_ride_time is not None and r.id in where:
                gaps.append(Gap(where[r.id], len(points), r.max_ride_time + r.pickup_service))
        lo, hi = (w.earliest, w.latest) if w else (0, h)
        if s.kind is StopKind.PICKUP and r.id in floor:
            lo = max(lo, floor[r.id])
        points.append(Point(lo, hi, svc))
        locs.append(loc)
    points.append(Point(v.shift.earliest, v.shift.latest, 0))
    locs.append(v.end)
    if v.max_duration is not None:
        gaps.append(Gap(0, len(points) - 1, v.max_duration))
    travel = [t[a][b] for a, b in itertools.pairwise(locs)]
    times = earliest_schedule(points, travel, gaps)
    if times is None:
        if v.id in problem.locks.frozen_routes:
            raise LockConflictError(
                f"the frozen route of vehicle {v.id} cannot be kept on time; "
                "unfreeze it or move its stops"
            )
        raise SchedulerError(f"internal error: route of {v.id} has no feasible schedule")
    visits = tuple(
        Visit(s.request, s.kind, locs[k + 1], int(times[k + 1])) for k, s in enumerate(stops)
    )
    return Route(v.id, visits, int(times[0]), int(times[-1]))


def _objective(
    problem: Problem, params: SolveParams, routes: Sequence[Route], unserved: Sequence[Unserved]
) -> dict[str, int]:
    by_id = {r.id: r for r in problem.requests}
    vehicles = {v.id: v for v in problem.vehicles}
    tt = dist = 0
    for route in routes:
        v = vehicles[route.vehicle]
        locs = [v.start, *(x.location for x in route.visits), v.end]
        for a, b in itertools.pairwise(locs):
            tt += problem.travel.time[a][b]
            dist += problem.travel.distance[a][b]
    prev = {s.request: vid for vid, stops in problem.previous.items() for s in stops}
    moved = sum(
        1
        for route in routes
        for x in route.visits
        if x.kind is StopKind.PICKUP and x.request in prev and prev[x.request] != route.vehicle
    )
    return {
        "unserved_penalty": sum(
            params.weights.unserved * max(by_id[u.request].priority, 1) for u in unserved
        ),
        "unserved": len(unserved),
        "vehicles": len(routes),
        "fixed_cost": sum(vehicles[r.vehicle].fixed_cost for r in routes),
        "travel_time": tt,
        "distance": dist,
        "moved": moved,
    }
