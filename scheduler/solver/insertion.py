"""Try putting a ride into one vehicle's route and say which rules it would break.

Pure: a ``Problem``, a route's current order of stops, and the requests to insert. Used when a
dispatcher moves a ride by hand: the scheduler's own rules (skills, seats, windows, ride time,
shift, a return after its outbound) check the move before it is saved, and the broken rules come
back as data for the caller to put into words. No database, HTTP or queue here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from scheduler.solver._schedule import Gap, Point, earliest_schedule
from scheduler.solver.problem import Problem, Request, Stop, StopKind, Vehicle
from scheduler.solver.solution import Route, Visit

Rule = Literal["skills", "capacity", "window", "ride_time", "shift", "duration", "link", "timing"]


@dataclass(frozen=True)
class BrokenRule:
    """One rule a route would break.

    ``amount`` and ``limit`` are in the problem's units (seconds, seats): how late, how long a
    ride, how many seats; ``what`` names the skill, or the load dimension (its index) for seats.
    """

    rule: Rule
    request: str | None = None
    kind: StopKind | None = None
    amount: int = 0
    limit: int = 0
    what: str = ""


@dataclass(frozen=True)
class Insertion:
    """The best route with the requests inserted, or the rules the least bad try breaks."""

    route: Route | None
    broken: tuple[BrokenRule, ...]

    @property
    def feasible(self) -> bool:
        """True when a route was found that breaks no rule."""
        return self.route is not None


def _static(
    vehicle: Vehicle, requests: Mapping[str, Request], order: Sequence[Stop]
) -> list[BrokenRule]:
    """Skills and seats: rules that no choice of times can fix."""
    broken: list[BrokenRule] = []
    seen: set[str] = set()
    load = [0] * len(vehicle.capacity)
    for stop in order:
        request = requests[stop.request]
        if request.id not in seen:
            seen.add(request.id)
            for skill in sorted(request.skills - vehicle.skills):
                broken.append(BrokenRule("skills", request.id, what=skill))
        sign = 1 if stop.kind is StopKind.PICKUP else -1
        load = [a + sign * b for a, b in zip(load, request.load, strict=True)]
        for index, (carried, capacity) in enumerate(zip(load, vehicle.capacity, strict=True)):
            if carried > capacity and not any(
                b.rule == "capacity" and b.what == str(index) for b in broken
            ):
                what = str(index)  # the load dimension; its meaning is the caller's
                broken.append(
                    BrokenRule("capacity", request.id, amount=carried, limit=capacity, what=what)
                )
    return broken


def _points(
    problem: Problem,
    vehicle: Vehicle,
    order: Sequence[Stop],
    requests: Mapping[str, Request],
    ready: Mapping[str, int],
) -> tuple[list[Point], list[float], list[Gap], list[int]]:
    locations = [vehicle.start]
    points = [Point(vehicle.shift.earliest, vehicle.shift.latest, 0)]
    index_of: dict[tuple[str, StopKind], int] = {}
    for stop in order:
        request = requests[stop.request]
        pickup = stop.kind is StopKind.PICKUP
        window = request.pickup_window if pickup else request.dropoff_window
        earliest = window.earliest if window else vehicle.shift.earliest
        latest = window.latest if window else vehicle.shift.latest
        if pickup and request.after is not None and request.after.outbound in ready:
            # The outbound rides in another route: its drop-off time there is fixed.
            earliest = max(earliest, ready[request.after.outbound] + request.after.min_gap)
        index_of[(stop.request, stop.kind)] = len(points)
        points.append(
            Point(earliest, latest, request.pickup_service if pickup else request.dropoff_service)
        )
        locations.append(request.pickup if pickup else request.dropoff)
    locations.append(vehicle.end)
    points.append(Point(vehicle.shift.earliest, vehicle.shift.latest, 0))
    t = problem.travel.time
    travel: list[float] = [t[a][b] for a, b in itertools.pairwise(locations)]
    gaps: list[Gap] = []
    for (rid, kind), at in index_of.items():
        request = requests[rid]
        if kind is StopKind.DROPOFF and (rid, StopKind.PICKUP) in index_of:
            start = index_of[(rid, StopKind.PICKUP)]
            if request.max_ride_time is not None:
                gaps.append(Gap(start, at, request.max_ride_time + request.pickup_service))
        if kind is StopKind.PICKUP and request.after is not None:
            outbound_drop = index_of.get((request.after.outbound, StopKind.DROPOFF))
            if outbound_drop is not None:
                # t[return pick-up] >= t[outbound drop-off] + service + wait, as a negative gap.
                service = requests[request.after.outbound].dropoff_service
                gaps.append(Gap(at, outbound_drop, -(service + request.after.min_gap)))
    if vehicle.max_duration is not None:
        gaps.append(Gap(0, len(points) - 1, vehicle.max_duration))
    return points, travel, gaps, locations


def _diagnose_times(
    points: Sequence[Point],
    travel: Sequence[float],
    order: Sequence[Stop],
    requests: Mapping[str, Request],
    vehicle: Vehicle,
) -> list[BrokenRule]:
    """With every stop as early as travel allows, which latest times and ride limits fail."""
    broken: list[BrokenRule] = []
    times = [points[0].earliest]
    for k in range(1, len(points)):
        times.append(max(points[k].earliest, times[k - 1] + points[k - 1].service + travel[k - 1]))
    picked: dict[str, float] = {}
    for k, stop in enumerate(order, start=1):
        request = requests[stop.request]
        if times[k] > points[k].latest:
            broken.append(
                BrokenRule(
                    "window",
                    request.id,
                    stop.kind,
                    amount=int(times[k] - points[k].latest),
                    limit=int(points[k].latest),
                )
            )
        if stop.kind is StopKind.PICKUP:
            picked[request.id] = times[k] + request.pickup_service
        elif request.id in picked and request.max_ride_time is not None:
            ride = int(times[k] - picked[request.id])
            if ride > request.max_ride_time:
                broken.append(
                    BrokenRule(
                        "ride_time", request.id, stop.kind, amount=ride, limit=request.max_ride_time
                    )
                )
    if times[-1] > points[-1].latest:
        broken.append(
            BrokenRule(
                "shift", amount=int(times[-1] - points[-1].latest), limit=int(points[-1].latest)
            )
        )
    if vehicle.max_duration is not None and times[-1] - times[0] > vehicle.max_duration:
        broken.append(
            BrokenRule("duration", amount=int(times[-1] - times[0]), limit=vehicle.max_duration)
        )
    return broken or [BrokenRule("timing")]


def check_route(
    problem: Problem,
    vehicle_id: str,
    order: Sequence[Stop],
    ready: Mapping[str, int] | None = None,
) -> tuple[Route | None, list[BrokenRule]]:
    """The earliest schedule of ``order`` on the vehicle, or the rules that prevent one.

    ``ready`` gives, for outbound legs riding in other routes, when their drop-off is served,
    so a return in this route waits for it.
    """
    vehicle = next(v for v in problem.vehicles if v.id == vehicle_id)
    requests = {r.id: r for r in problem.requests}
    broken = _static(vehicle, requests, order)
    for stop in order:
        request = requests[stop.request]
        link = request.after
        if (
            stop.kind is StopKind.PICKUP
            and link is not None
            and link.outbound not in (ready or {})
            and all(s.request != link.outbound for s in order)
        ):
            broken.append(BrokenRule("link", request.id, stop.kind))
    points, travel, gaps, locations = _points(problem, vehicle, order, requests, ready or {})
    times = earliest_schedule(points, travel, gaps)
    if times is None:
        broken += _diagnose_times(points, travel, order, requests, vehicle)
    if broken:
        return None, broken
    assert times is not None
    visits = tuple(
        Visit(stop.request, stop.kind, locations[k], int(times[k]))
        for k, stop in enumerate(order, start=1)
    )
    return Route(vehicle_id, visits, int(times[0]), int(times[-1])), []


def _insertions(order: Sequence[Stop], request: str) -> list[list[Stop]]:
    """Every way to put a request's pick-up and then its drop-off into ``order``."""
    tries = []
    for i in range(len(order) + 1):
        for j in range(i, len(order) + 1):
            seq = list(order)
            seq.insert(j, Stop(request, StopKind.DROPOFF))
            seq.insert(i, Stop(request, StopKind.PICKUP))
            tries.append(seq)
    return tries


def _badness(broken: Sequence[BrokenRule]) -> tuple[int, int]:
    return len(broken), sum(b.amount for b in broken if b.rule in ("window", "ride_time"))


def try_insertion(
    problem: Problem,
    vehicle_id: str,
    order: Sequence[Stop],
    requests: Sequence[str],
    ready: Mapping[str, int] | None = None,
) -> Insertion:
    """Insert ``requests`` (in turn: an outbound before its return) into the vehicle's route.

    Returns the feasible route that ends earliest, or the broken rules of the least bad try.
    """
    current: list[Stop] = list(order)
    route: Route | None = None
    for request in requests:
        best: tuple[tuple[int, int], list[Stop], list[BrokenRule]] | None = None
        found: tuple[int, list[Stop], Route] | None = None
        for seq in _insertions(current, request):
            scheduled, broken = check_route(problem, vehicle_id, seq, ready)
            if scheduled is not None:
                length = scheduled.end - scheduled.start
                if found is None or length < found[0]:
                    found = (length, seq, scheduled)
            elif best is None or _badness(broken) < best[0]:
                best = (_badness(broken), seq, broken)
        if found is None:
            assert best is not None
            return Insertion(None, tuple(best[2]))
        current, route = found[1], found[2]
    if route is None:
        scheduled, broken = check_route(problem, vehicle_id, current, ready)
        return Insertion(scheduled, tuple(broken))
    return Insertion(route, ())
