"""The independent feasibility checker (plain Python, no OR-Tools).

``check`` verifies a Solution against its Problem and returns every violation; empty means
feasible. It does not rely on ``Solution``'s own validation, so it also judges plans that
bypass it.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.solver.problem import Problem, Request, Stop, StopKind
from scheduler.solver.solution import Solution


@dataclass(frozen=True)
class Violation:
    """One broken rule: a short ``kind`` to match on and a message for people."""

    kind: str
    message: str


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every rule of ``problem`` that ``solution`` breaks."""
    out: list[Violation] = []
    req = {r.id: r for r in problem.requests}
    veh = {v.id: v for v in problem.vehicles}
    t = problem.travel.time
    served_on: dict[str, str] = {}
    drop_end: dict[str, int] = {}
    pick_time: dict[str, int] = {}

    def bad(kind: str, msg: str) -> None:
        out.append(Violation(kind, msg))

    for route in solution.routes:
        v = veh.get(route.vehicle)
        if v is None:
            bad("unknown_vehicle", f"route for unknown vehicle {route.vehicle}")
            continue
        load = [0] * len(v.capacity)
        onboard: dict[str, int] = {}
        prev_loc, prev_end = v.start, route.start
        if not v.shift.earliest <= route.start <= v.shift.latest:
            bad("shift", f"{v.id} leaves at {route.start}, outside its shift")
        for x in route.visits:
            r = req.get(x.request)
            if r is None:
                bad("unknown_request", f"{v.id} visits unknown request {x.request}")
                continue
            loc = r.pickup if x.kind is StopKind.PICKUP else r.dropoff
            if x.location != loc:
                bad("location", f"{r.id} {x.kind.value} at location {x.location}, not {loc}")
            arrival = prev_end + t[prev_loc][loc]
            if x.time < arrival:
                bad("time", f"{v.id} starts {r.id} {x.kind.value} at {x.time}, arrives {arrival}")
            w = r.pickup_window if x.kind is StopKind.PICKUP else r.dropoff_window
            if w is not None and not w.earliest <= x.time <= w.latest:
                bad("window", f"{r.id} {x.kind.value} at {x.time} outside {w}")
            if not v.skills >= r.skills:
                bad("skills", f"{v.id} lacks {sorted(r.skills - v.skills)} for {r.id}")
            if x.kind is StopKind.PICKUP:
                if r.id in served_on or r.id in onboard:
                    bad("served_twice", f"{r.id} picked up more than once")
                served_on[r.id] = v.id
                onboard[r.id] = x.time
                pick_time[r.id] = x.time
                load = [a + b for a, b in zip(load, r.load, strict=True)]
                if any(a > c for a, c in zip(load, v.capacity, strict=True)):
                    bad("capacity", f"{v.id} carries {load} > {list(v.capacity)} at {r.id}")
                prev_end = x.time + r.pickup_service
            else:
                if r.id not in onboard:
                    bad("order", f"{r.id} dropped off by {v.id} without a pick-up before")
                else:
                    ride = x.time - (onboard.pop(r.id) + r.pickup_service)
                    if r.max_ride_time is not None and ride > r.max_ride_time:
                        bad("ride_time", f"{r.id} rides {ride} > {r.max_ride_time}")
                    load = [a - b for a, b in zip(load, r.load, strict=True)]
                drop_end[r.id] = x.time + r.dropoff_service
                prev_end = x.time + r.dropoff_service
            prev_loc = loc
        for rid in onboard:
            bad("order", f"{rid} picked up by {v.id} but never dropped off")
        if route.end < prev_end + t[prev_loc][v.end]:
            bad("time", f"{v.id} back at {route.end}, before it can arrive")
        if not v.shift.earliest <= route.end <= v.shift.latest:
            bad("shift", f"{v.id} back at {route.end}, outside its shift")
        if v.max_duration is not None and route.end - route.start > v.max_duration:
            bad("duration", f"{v.id} works {route.end - route.start} > {v.max_duration}")
    out += _check_requests(problem, solution, req, served_on, drop_end, pick_time)
    return out


def _check_requests(
    problem: Problem,
    solution: Solution,
    req: dict[str, Request],
    served_on: dict[str, str],
    drop_end: dict[str, int],
    pick_time: dict[str, int],
) -> list[Violation]:
    out: list[Violation] = []
    unserved = {u.request for u in solution.unserved}
    for r in problem.requests:
        if r.id in served_on and r.id in unserved:
            out.append(Violation("served_twice", f"{r.id} is both served and unserved"))
        if r.id not in served_on and r.id not in unserved:
            out.append(Violation("dropped", f"{r.id} is neither served nor listed unserved"))
        if r.id in problem.locks.unserved and r.id in served_on:
            out.append(Violation("locked_unserved", f"{r.id} is locked unserved but served"))
        pin = problem.locks.pinned.get(r.id)
        if pin is not None and r.id in served_on and served_on[r.id] != pin:
            out.append(Violation("pinned", f"{r.id} rides {served_on[r.id]}, pinned to {pin}"))
        link = r.after
        if link is not None and r.id in served_on:
            if link.outbound not in drop_end:
                out.append(Violation("link", f"return {r.id} served without its outbound"))
            elif pick_time[r.id] < drop_end[link.outbound] + link.min_gap:
                out.append(Violation("link", f"return {r.id} leaves before the wait is over"))
    for vid, stops in problem.locks.frozen_routes.items():
        route = solution.route_of(vid)
        got = [] if route is None else [Stop(x.request, x.kind) for x in route.visits]
        if got != list(stops):
            out.append(Violation("frozen", f"route of {vid} differs from its frozen order"))
    return out
