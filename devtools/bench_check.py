"""The benchmark checker: Li & Lim and Cordeau routes checked in file units, in floats.

Independent of the solver's integer model: it reads the instance as the file gives it, so a
plan the scaled problem accepts is judged again in full precision.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from devtools.instances import Instance
from scheduler.solver import Violation

EPS = 1e-9


@dataclass(frozen=True)
class BenchRoute:
    """A benchmark route in file units: depot departure, stops (node, service start), return."""

    start: float
    end: float
    stops: tuple[tuple[int, float], ...]


def check_bench(inst: Instance, routes: Sequence[BenchRoute]) -> list[Violation]:
    """Rules of a Li & Lim or Cordeau instance, checked in floats on the file's data."""
    out: list[Violation] = []
    nodes = inst.nodes
    mate = {p: d for p, d in inst.pairs} | {d: p for p, d in inst.pairs}
    pickups = {p for p, _ in inst.pairs}
    seen: set[int] = set()
    if len(routes) > inst.vehicles:
        out.append(Violation("fleet", f"{len(routes)} routes > {inst.vehicles} vehicles"))
    depot, end_depot = nodes[0], nodes[inst.end_depot]
    for k, route in enumerate(routes):
        load, onboard = 0, {}
        prev, prev_end = 0, route.start
        if route.start < depot.earliest - EPS:
            out.append(Violation("shift", f"route {k} leaves before the depot opens"))
        for node, time in route.stops:
            if node in seen or node not in mate:
                out.append(Violation("node", f"route {k}: node {node} repeated or unknown"))
                continue
            seen.add(node)
            n = nodes[node]
            if time < prev_end + inst.dist(prev, node) - EPS:
                out.append(Violation("time", f"route {k}: node {node} starts before arrival"))
            if not n.earliest - EPS <= time <= n.latest + EPS:
                out.append(Violation("window", f"route {k}: node {node} at {time} off window"))
            load += n.demand
            if load > inst.capacity:
                out.append(Violation("capacity", f"route {k}: load {load} at node {node}"))
            if node in pickups:
                onboard[node] = time + n.service
            elif mate[node] not in onboard:
                out.append(Violation("order", f"route {k}: {node} before its pick-up"))
            else:
                ride = time - onboard.pop(mate[node])
                if inst.max_ride is not None and ride > inst.max_ride + EPS:
                    out.append(Violation("ride_time", f"request {mate[node]} rides {ride}"))
            prev, prev_end = node, time + n.service
        if onboard:
            out.append(Violation("order", f"route {k}: pick-ups {sorted(onboard)} not delivered"))
        if route.end < prev_end + inst.dist(prev, inst.end_depot) - EPS:
            out.append(Violation("time", f"route {k} returns before it can arrive"))
        if route.end > end_depot.latest + EPS:
            out.append(Violation("shift", f"route {k} returns after the depot closes"))
        if inst.max_route is not None and route.end - route.start > inst.max_route + EPS:
            out.append(Violation("duration", f"route {k} lasts {route.end - route.start}"))
    missing = set(mate) - seen
    if missing:
        out.append(Violation("unserved", f"{len(missing) // 2} requests not served"))
    return out


def bench_distance(inst: Instance, routes: Sequence[BenchRoute]) -> float:
    """Total unrounded Euclidean length of the routes, depots included."""
    total = 0.0
    for route in routes:
        path = [0, *(n for n, _ in route.stops), inst.end_depot]
        total += sum(inst.dist(a, b) for a, b in itertools.pairwise(path))
    return total
