"""Turns a Problem into flat node arrays for the routing backend.

Pre-checks tell why a request cannot be served at all (skills, capacity, windows even alone,
locks) so that only servable requests reach the search, each with the vehicles that could
carry it. Windows are tightened with implications that hold in every feasible route (direct
trip time, ride-time limit), which prunes the search without losing solutions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scheduler.solver._schedule import Gap, Point, earliest_schedule
from scheduler.solver.errors import LockConflictError, ProblemError
from scheduler.solver.params import SolveParams
from scheduler.solver.problem import Problem, Request, Vehicle, Window
from scheduler.solver.solution import UnservedReason


@dataclass
class Compiled:
    """Node-level view of a problem. Request k has pickup node 2k and drop-off node 2k+1."""

    requests: list[Request]
    vehicles: list[Vehicle]
    node_location: list[int]
    node_service: list[int]
    node_window: list[tuple[int, int]]
    node_demand: list[tuple[int, ...]]
    vehicle_start_node: list[int]
    vehicle_end_node: list[int]
    #: per request: indices into ``vehicles`` that may carry it, or None for all
    allowed: list[list[int] | None]
    penalty: list[int]
    #: (outbound request index, return request index, minimum gap)
    links: list[tuple[int, int, int]] = field(default_factory=list)
    #: per request: index of the vehicle that carried it in the previous plan, if any
    previous_vehicle: list[int | None] = field(default_factory=list)
    #: per vehicle: the previous plan's route as node indices
    previous_routes: list[list[int]] = field(default_factory=list)
    horizon: int = 0


def horizon_of(problem: Problem) -> int:
    """Latest moment anything can happen: the end of the last shift."""
    ends = [v.shift.latest for v in problem.vehicles]
    return max(ends) if ends else 0


def alone_feasible(problem: Problem, r: Request, v: Vehicle, horizon: int | None = None) -> bool:
    """Whether ``v`` could serve ``r`` as its only request (pass ``horizon`` in loops)."""
    t = problem.travel.time
    h = horizon_of(problem) if horizon is None else horizon
    pw, dw = _bounds(r.pickup_window, h), _bounds(r.dropoff_window, h)
    points = [
        Point(v.shift.earliest, v.shift.latest, 0),
        Point(pw[0], pw[1], r.pickup_service),
        Point(dw[0], dw[1], r.dropoff_service),
        Point(v.shift.earliest, v.shift.latest, 0),
    ]
    travel = [t[v.start][r.pickup], t[r.pickup][r.dropoff], t[r.dropoff][v.end]]
    gaps = []
    if r.max_ride_time is not None:
        gaps.append(Gap(1, 2, r.max_ride_time + r.pickup_service))
    if v.max_duration is not None:
        gaps.append(Gap(0, 3, v.max_duration))
    return earliest_schedule(points, travel, gaps) is not None


def _bounds(w: Window | None, horizon: int) -> tuple[int, int]:
    """A window as a pair; no window is the whole day."""
    return (w.earliest, w.latest) if w else (0, horizon)


class _Fleet:
    """The vehicles as numpy vectors, so a request is checked against all of them at once."""

    def __init__(self, problem: Problem, vehicles: list[Vehicle]) -> None:
        self.problem = problem
        self.vehicles = vehicles
        self.horizon = horizon_of(problem)
        self.time = np.asarray(problem.travel.time, dtype=np.int64)
        self.start = np.asarray([v.start for v in vehicles], dtype=np.int64)
        self.end = np.asarray([v.end for v in vehicles], dtype=np.int64)
        self.open = np.asarray([v.shift.earliest for v in vehicles], dtype=np.int64)
        self.close = np.asarray([v.shift.latest for v in vehicles], dtype=np.int64)
        dims = len(vehicles[0].capacity) if vehicles else 0
        self.capacity = np.asarray([v.capacity for v in vehicles], dtype=np.int64).reshape(
            len(vehicles), dims
        )
        self.timed = np.asarray([v.max_duration is not None for v in vehicles], dtype=bool)

    def able(self, r: Request, candidates: np.ndarray[tuple[int], np.dtype[np.int64]]) -> list[int]:
        """The ``candidates`` that could serve ``r`` as their only request.

        The same earliest schedule as ``alone_feasible``, in closed form: the pick-up waits for
        its window, the shift start and the ride-time limit counted back from the drop-off
        window; vehicles with a duration limit go through ``alone_feasible`` itself.
        """
        h = self.horizon
        (pe, pl), (de, dl) = _bounds(r.pickup_window, h), _bounds(r.dropoff_window, h)
        t = self.time
        ride = r.pickup_service + int(t[r.pickup, r.dropoff])
        limit = None if r.max_ride_time is None else r.max_ride_time + r.pickup_service
        if limit is not None and ride > limit:
            return []
        lo = max(pe, de - limit) if limit is not None else pe
        pick = np.maximum(lo, self.open[candidates] + t[self.start[candidates], r.pickup])
        drop = np.maximum(de, pick + ride)
        back = drop + r.dropoff_service + t[r.dropoff, self.end[candidates]]
        ok = (pick <= pl) & (drop <= dl) & (back <= self.close[candidates])
        ok &= self.open[candidates] <= self.close[candidates]
        out: list[int] = candidates[ok & ~self.timed[candidates]].tolist()
        out += [
            int(i)
            for i in candidates[self.timed[candidates]]
            if alone_feasible(self.problem, r, self.vehicles[i], h)
        ]
        return sorted(out)

    def tightened(self, r: Request, carriers: list[int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """Pick-up and drop-off windows implied by the direct trip, ride time and shifts."""
        t, h, ks = self.time, self.horizon, np.asarray(carriers, dtype=np.int64)
        (pe, pl), (de, dl) = _bounds(r.pickup_window, h), _bounds(r.dropoff_window, h)
        direct = r.pickup_service + int(t[r.pickup, r.dropoff])
        pe = max(pe, int((self.open[ks] + t[self.start[ks], r.pickup]).min()))
        back = self.close[ks] - r.dropoff_service - t[r.dropoff, self.end[ks]]
        dl = min(dl, int(back.max()))
        de = max(de, pe + direct)
        pl = min(pl, dl - direct)
        if r.max_ride_time is not None:
            dl = min(dl, pl + r.pickup_service + r.max_ride_time)
            pe = max(pe, de - r.pickup_service - r.max_ride_time)
        return (pe, pl), (de, dl)


def classify(
    problem: Problem, vehicles: list[Vehicle], fleet: _Fleet | None = None
) -> tuple[dict[str, UnservedReason], dict[str, list[int]]]:
    """Reasons for requests that cannot be served, and allowed vehicle indices for the rest."""
    reasons: dict[str, UnservedReason] = {}
    allowed: dict[str, list[int]] = {}
    vindex = {v.id: i for i, v in enumerate(vehicles)}
    fleet = fleet or _Fleet(problem, vehicles)
    by_skills: dict[frozenset[str], np.ndarray[tuple[int], np.dtype[np.int64]]] = {}
    for r in problem.requests:
        if r.id in problem.locks.unserved:
            reasons[r.id] = UnservedReason.LOCKED_UNSERVED
            continue
        if r.skills not in by_skills:
            by_skills[r.skills] = np.asarray(
                [i for i, v in enumerate(vehicles) if r.skills <= v.skills], dtype=np.int64
            )
        skilled = by_skills[r.skills]
        if not len(skilled):
            reasons[r.id] = UnservedReason.NO_SKILLS
            continue
        load = np.asarray(r.load, dtype=np.int64)
        roomy = skilled[(fleet.capacity[skilled] >= load).all(axis=1)]
        if not len(roomy):
            reasons[r.id] = UnservedReason.OVER_CAPACITY
            continue
        able = fleet.able(r, roomy)
        if not able:
            reasons[r.id] = UnservedReason.IMPOSSIBLE_ALONE
            continue
        pin = problem.locks.pinned.get(r.id)
        if pin is not None:
            if pin not in vindex or vindex[pin] not in able:
                reasons[r.id] = UnservedReason.PINNED_CANNOT_SERVE
                continue
            able = [vindex[pin]]
        allowed[r.id] = able
    return reasons, allowed


def compile_problem(
    problem: Problem, params: SolveParams
) -> tuple[Compiled, dict[str, UnservedReason]]:
    """Pre-check requests and lay out the nodes of the servable ones."""
    _validate(problem)
    frozen = problem.locks.frozen_routes
    vehicles = [v for v in problem.vehicles if v.id not in frozen]
    on_frozen = {s.request for stops in frozen.values() for s in stops}
    fleet = _Fleet(problem, vehicles)
    reasons, allowed = classify(problem, vehicles, fleet)
    for rid in on_frozen:
        reasons.pop(rid, None)
        allowed.pop(rid, None)
    by_id = {r.id: r for r in problem.requests}
    for r in problem.requests:
        # A return leg whose outbound cannot be served stays home too.
        if r.after is not None and r.id in allowed and r.after.outbound in reasons:
            del allowed[r.id]
            reasons[r.id] = UnservedReason.OUTBOUND_UNSERVED
    windows = {r.id: fleet.tightened(r, allowed[r.id]) for r in problem.requests if r.id in allowed}
    del fleet  # its copy of the time matrix
    for r in problem.requests:
        if r.after is not None and r.id in windows and not _return_fits(r, by_id, windows):
            del allowed[r.id]
            reasons[r.id] = UnservedReason.ROUND_TRIP_TOO_LONG
    requests = [r for r in problem.requests if r.id in allowed]
    c = Compiled(
        requests=requests,
        vehicles=vehicles,
        node_location=[],
        node_service=[],
        node_window=[],
        node_demand=[],
        vehicle_start_node=[],
        vehicle_end_node=[],
        allowed=[],
        penalty=[],
        horizon=horizon_of(problem),
    )
    everyone = list(range(len(vehicles)))
    for r in requests:
        pw, dw = windows[r.id]
        c.node_location += [r.pickup, r.dropoff]
        c.node_service += [r.pickup_service, r.dropoff_service]
        c.node_window += [pw, dw]
        c.node_demand += [r.load, tuple(-q for q in r.load)]
        c.allowed.append(None if allowed[r.id] == everyone else allowed[r.id])
        c.penalty.append(params.weights.unserved * max(r.priority, 1))
    depot_node: dict[int, int] = {}
    zero = tuple(0 for _ in problem.vehicles[0].capacity) if problem.vehicles else ()
    for v in vehicles:
        for loc in (v.start, v.end):
            if loc not in depot_node:
                depot_node[loc] = len(c.node_location)
                c.node_location.append(loc)
                c.node_service.append(0)
                c.node_window.append((0, c.horizon))
                c.node_demand.append(zero)
        c.vehicle_start_node.append(depot_node[v.start])
        c.vehicle_end_node.append(depot_node[v.end])
    index = {r.id: k for k, r in enumerate(requests)}
    c.links = [
        (index[r.after.outbound], index[r.id], r.after.min_gap)
        for r in requests
        if r.after is not None and r.after.outbound in index
    ]
    _bound_links(c)
    _attach_previous(problem, c, index)
    return c, reasons


def _return_fits(
    r: Request,
    by_id: dict[str, Request],
    windows: dict[str, tuple[tuple[int, int], tuple[int, int]]],
) -> bool:
    """Whether return leg ``r`` can be picked up after its outbound's earliest possible drop-off
    and the wait (tightened windows hold in every feasible plan, so False is a proof)."""
    assert r.after is not None
    outbound = windows.get(r.after.outbound)
    if outbound is None:
        return True  # the outbound is on a frozen route or already ruled out
    earliest_drop = outbound[1][0]
    ready = earliest_drop + by_id[r.after.outbound].dropoff_service + r.after.min_gap
    return ready <= windows[r.id][0][1]


def _bound_links(c: Compiled) -> None:
    """Turn each link into window bounds so the search never needs a cross-route constraint.

    A time coupling between two stops, possibly on two routes, is invisible to the routing
    heuristics and filters; the constraint solver rejects a move only after it is made. With
    many round trips the first-solution heuristics dead-end and the search serves nobody (a
    100-request day with 45 round trips served 0 of 147 legs). So each link is cut at a time T:
    the outbound drop-off must end by T - gap and the return is picked up at T or later, which
    meets the link in every solution. T is the outbound's latest possible end when the return's
    window allows it (no restriction at all), else halfway through the range both legs can
    share. The price is some flexibility: a return may be planned later, or an outbound earlier,
    than the pair would need. Every link has such a range: returns without one were found
    unservable before (``_return_fits``).
    """
    for out, ret, gap in c.links:
        drop, pick = 2 * out + 1, 2 * ret
        (d_lo, d_hi), (p_lo, p_hi) = c.node_window[drop], c.node_window[pick]
        shift = c.node_service[drop] + gap
        cut = d_hi + shift if d_hi + shift <= p_hi else (d_lo + shift + p_hi) // 2
        cut = max(cut, p_lo)
        c.node_window[drop] = (d_lo, min(d_hi, cut - shift))
        c.node_window[pick] = (max(p_lo, cut), p_hi)


def _attach_previous(problem: Problem, c: Compiled, index: dict[str, int]) -> None:
    vindex = {v.id: i for i, v in enumerate(c.vehicles)}
    c.previous_vehicle = [None] * len(c.requests)
    c.previous_routes = [[] for _ in c.vehicles]
    for vid, stops in problem.previous.items():
        if vid not in vindex:
            continue
        vi = vindex[vid]
        route: list[int] = []
        for s in stops:
            k = index.get(s.request)
            allowed = c.allowed[k] if k is not None else None
            if k is None or (allowed is not None and vi not in allowed):
                continue
            c.previous_vehicle[k] = vi
            route.append(2 * k + (0 if s.kind.value == "pickup" else 1))
        # Keep only complete pairs so the warm start is a valid assignment.
        counts: dict[int, int] = {}
        for n in route:
            counts[n // 2] = counts.get(n // 2, 0) + 1
        c.previous_routes[vi] = [n for n in route if counts[n // 2] == 2]


def _validate(problem: Problem) -> None:
    n = problem.travel.size
    dims = {len(v.capacity) for v in problem.vehicles} | {len(r.load) for r in problem.requests}
    if len(dims) > 1:
        raise ProblemError("every load and capacity needs one entry per seat type")
    ids = [r.id for r in problem.requests]
    if len(set(ids)) != len(ids):
        raise ProblemError("request ids must be unique")
    for r in problem.requests:
        if not (0 <= r.pickup < n and 0 <= r.dropoff < n):
            raise ProblemError(f"request {r.id}: location index outside the travel matrix")
    for v in problem.vehicles:
        if not (0 <= v.start < n and 0 <= v.end < n):
            raise ProblemError(f"vehicle {v.id}: location index outside the travel matrix")
    vehicle_ids = {v.id for v in problem.vehicles}
    known = set(ids)
    for vid, stops in problem.locks.frozen_routes.items():
        if vid not in vehicle_ids:
            raise LockConflictError(f"frozen route for unknown vehicle {vid}; unfreeze it")
        kinds = [(s.request, s.kind.value) for s in stops]
        for rid, kind in kinds:
            if rid not in known:
                raise LockConflictError(f"frozen route of {vid} names unknown request {rid}")
            if (
                kinds.count((rid, kind)) != 1
                or (rid, "pickup") not in kinds
                or (
                    rid,
                    "dropoff",
                )
                not in kinds
            ):
                raise LockConflictError(
                    f"frozen route of {vid} must pick up and drop off {rid} exactly once"
                )
        for rid in {r for r, _ in kinds}:
            if kinds.index((rid, "pickup")) > kinds.index((rid, "dropoff")):
                raise LockConflictError(f"frozen route of {vid} drops {rid} off before pick-up")


def restrict(c: Compiled, requests: list[int], vehicles: list[int]) -> tuple[Compiled, list[int]]:
    """The sub-problem of some requests and vehicles, and its node -> original node map.

    Links live on in the windows (see ``_bound_links``); a link the windows could not take is
    kept when both its legs are in the sub-problem and dropped otherwise, so callers must not
    cut such a pair. Previous-plan data is left out.
    """
    nodes = [n for r in requests for n in (2 * r, 2 * r + 1)]
    depot_of: dict[int, int] = {}
    for v in vehicles:
        for n in (c.vehicle_start_node[v], c.vehicle_end_node[v]):
            depot_of.setdefault(n, len(nodes) + len(depot_of))
    nodes += list(depot_of)
    vset = {v: k for k, v in enumerate(vehicles)}
    allowed: list[list[int] | None] = []
    for r in requests:
        a = c.allowed[r]
        allowed.append(None if a is None else [vset[v] for v in a if v in vset])
    sub = Compiled(
        requests=[c.requests[r] for r in requests],
        vehicles=[c.vehicles[v] for v in vehicles],
        node_location=[c.node_location[n] for n in nodes],
        node_service=[c.node_service[n] for n in nodes],
        node_window=[c.node_window[n] for n in nodes],
        node_demand=[c.node_demand[n] for n in nodes],
        vehicle_start_node=[depot_of[c.vehicle_start_node[v]] for v in vehicles],
        vehicle_end_node=[depot_of[c.vehicle_end_node[v]] for v in vehicles],
        allowed=allowed,
        penalty=[c.penalty[r] for r in requests],
        previous_vehicle=[None] * len(requests),
        previous_routes=[[] for _ in vehicles],
        horizon=c.horizon,
    )
    return sub, nodes
