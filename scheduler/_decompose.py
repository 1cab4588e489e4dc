"""Decomposition (POPMUSIC-style LNS): re-optimise a few neighbouring routes at a time.

On dial-a-ride instances the routing filters reject almost every neighbour of a large
model, so a full local search spends its time on a slow first descent. Small sub-problems
(2-3 nearby routes and their requests) are searched fast and often to optimality; an
improvement of a sub-problem is an improvement of the whole plan because the routes are
independent once their requests are fixed.
"""

from __future__ import annotations

import logging
import random
import time

import numpy as np

from scheduler import _ortools as backend
from scheduler._compile import Compiled, restrict

log = logging.getLogger(__name__)

Routes = list[list[int]]


def route_cost(m: backend.Matrices, c: Compiled, v: int, route: list[int]) -> int:
    """Arc cost of one route of vehicle ``v``, depots included."""
    if not route:
        return 0
    path = [c.vehicle_start_node[v], *route, c.vehicle_end_node[v]]
    return int(m.cost[path[:-1], path[1:]].sum()) + c.vehicles[v].fixed_cost


def closeness(m: backend.Matrices, a: list[int], b: list[int]) -> float:
    """Mean distance from the stops of ``a`` to the nearest stop of ``b``."""
    if not a or not b:
        return float("inf")
    return float(m.cost[np.ix_(a, b)].min(axis=1).mean())


def improve(
    c: Compiled,
    m: backend.Matrices,
    routes: Routes,
    deadline: float,
    seed: int,
    options: str,
    metaheuristic: str,
    sub_seconds: float,
    sub_solver: str = "routing",
) -> tuple[Routes, int]:
    """Improve ``routes`` sub-problem by sub-problem until ``deadline``; return them and count."""
    rnd = random.Random(seed)
    routes = [list(r) for r in routes]
    nv = len(routes)
    accepted = tried = 0
    while True:
        left = deadline - time.monotonic()
        if left < 0.1:
            break
        used = [v for v in range(nv) if routes[v]]
        if len(used) < 2:
            break
        seed_v = rnd.choice(used)
        others = sorted(
            (v for v in used if v != seed_v), key=lambda v: closeness(m, routes[seed_v], routes[v])
        )
        k = rnd.choice((1, 2, 2, 3))
        chosen = [seed_v, *others[:k]]
        empty = [v for v in range(nv) if not routes[v]]
        if empty and rnd.random() < 0.3:
            chosen.append(rnd.choice(empty))
        # Bigger sub-problems need longer; sub_seconds is the time for ~25 requests.
        size = sum(len(routes[v]) for v in chosen) // 2
        budget = min(max(0.2, sub_seconds * size / 25), 4 * sub_seconds, left)
        better = _solve_sub(
            c, m, routes, chosen, budget, options, metaheuristic, sub_solver, rnd.randrange(1 << 30)
        )
        tried += 1
        if better is not None:
            for v, r in better.items():
                routes[v] = r
            accepted += 1
    log.info("decomposition: %d of %d sub-problems improved", accepted, tried)
    return routes, accepted


def _solve_sub(
    c: Compiled,
    m: backend.Matrices,
    routes: Routes,
    chosen: list[int],
    budget: float,
    options: str,
    metaheuristic: str,
    sub_solver: str,
    seed: int,
) -> dict[int, list[int]] | None:
    if sub_solver == "cpsat":
        found = backend.cpsat_routes(c, m, chosen, [routes[v] for v in chosen], budget, seed)
        if found is None:
            return None
        new = dict(zip(chosen, found, strict=True))
        before = sum(route_cost(m, c, v, routes[v]) for v in chosen)
        after = sum(route_cost(m, c, v, new[v]) for v in chosen)
        return new if after < before else None
    reqs = sorted({n // 2 for v in chosen for n in routes[v]})
    sub, node_map = restrict(c, reqs, chosen)
    local = {orig: k for k, orig in enumerate(node_map)}
    initial = [[local[n] for n in routes[v]] for v in chosen]
    model = backend.build(sub, m.sub(node_map), list(range(len(chosen))), 0, fixed_costs=False)
    res = backend.search(
        model, time_limit=budget, metaheuristic=metaheuristic, initial=initial, options=options
    )
    if res is None:
        return None
    new = {v: [node_map[n] for n in res[0][k]] for k, v in enumerate(chosen)}
    if sum(len(r) for r in new.values()) < sum(len(routes[v]) for v in chosen):
        return None
    before = sum(route_cost(m, c, v, routes[v]) for v in chosen)
    after = sum(route_cost(m, c, v, new[v]) for v in chosen)
    return new if after < before else None
