"""Decomposition (POPMUSIC-style LNS): re-optimise a few neighbouring routes at a time.

On dial-a-ride instances the routing filters reject almost every neighbour of a large
model, so a full local search spends its time on a slow first descent. Small sub-problems
(2-3 nearby routes and their requests) are searched fast and often to optimality; an
improvement of a sub-problem is an improvement of the whole plan because the routes are
independent once their requests are fixed.

Linked legs move freely: their link is cut into window bounds (``_compile._bound_links``);
a link the windows could not take is only ever in a sub-problem with both legs, and a plan
that leaves a return without its outbound counts that return as unserved.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import numpy as np

from scheduler.solver import _ortools as backend
from scheduler.solver._compile import Compiled, restrict

log = logging.getLogger(__name__)

Routes = list[list[int]]


@dataclass(frozen=True)
class SubSearch:
    """How each sub-problem is searched."""

    options: str
    metaheuristic: str
    #: seconds for a sub-problem of about 25 requests
    sub_seconds: float
    sub_solver: str = "routing"


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


class _Plan:
    """The routes plus what the acceptance test needs: who is served, and which leg is a return."""

    def __init__(self, c: Compiled, m: backend.Matrices, routes: Routes) -> None:
        self.c, self.m = c, m
        self.routes = [list(r) for r in routes]
        self.outbound_of = {ret: out for out, ret, _ in c.links}

    def served(self) -> set[int]:
        return {n // 2 for r in self.routes for n in r}

    def penalty(self, served: set[int]) -> int:
        """Penalties of the unserved, counting a return without its outbound as unserved."""
        return sum(
            p
            for k, p in enumerate(self.c.penalty)
            if k not in served or (k in self.outbound_of and self.outbound_of[k] not in served)
        )


def improve(
    c: Compiled,
    m: backend.Matrices,
    routes: Routes,
    deadline: float,
    seed: int,
    how: SubSearch,
) -> tuple[Routes, int]:
    """Improve ``routes`` sub-problem by sub-problem until ``deadline``; return them and count."""
    rnd = random.Random(seed)
    plan = _Plan(c, m, routes)
    nv = len(routes)
    accepted = tried = 0
    while True:
        left = deadline - time.monotonic()
        if left < 0.1:
            break
        used = [v for v in range(nv) if plan.routes[v]]
        if len(used) < 2:
            break
        seed_v = rnd.choice(used)
        others = sorted(
            (v for v in used if v != seed_v),
            key=lambda v: closeness(m, plan.routes[seed_v], plan.routes[v]),
        )
        k = rnd.choice((1, 2, 2, 3))
        chosen = [seed_v, *others[:k]]
        empty = [v for v in range(nv) if not plan.routes[v]]
        if empty and rnd.random() < 0.3:
            chosen.append(rnd.choice(empty))
        reqs = {n // 2 for v in chosen for n in plan.routes[v]}
        # Bigger sub-problems need longer; sub_seconds is the time for ~25 requests.
        budget = min(max(0.2, how.sub_seconds * len(reqs) / 25), 4 * how.sub_seconds, left)
        better = _solve_sub(plan, sorted(reqs), chosen, budget, how, rnd.randrange(1 << 30))
        tried += 1
        if better is not None:
            for v, r in better.items():
                plan.routes[v] = r
            accepted += 1
    log.info("decomposition: %d of %d sub-problems improved", accepted, tried)
    return plan.routes, accepted


def _solve_sub(
    plan: _Plan,
    reqs: list[int],
    chosen: list[int],
    budget: float,
    how: SubSearch,
    seed: int,
) -> dict[int, list[int]] | None:
    c, m, routes = plan.c, plan.m, plan.routes
    if how.sub_solver == "cpsat":
        found = backend.cpsat_routes(c, m, chosen, [routes[v] for v in chosen], budget, seed)
        if found is None:
            return None
        new = dict(zip(chosen, found, strict=True))
    else:
        sub, node_map = restrict(c, reqs, chosen)
        local = {orig: k for k, orig in enumerate(node_map)}
        initial = [[local[n] for n in routes[v]] for v in chosen]
        model = backend.build(sub, m.sub(node_map), list(range(len(chosen))), 0, fixed_costs=False)
        res = backend.search(
            model,
            time_limit=budget,
            metaheuristic=how.metaheuristic,
            initial=initial,
            options=how.options,
        )
        if res is None:
            return None
        new = {v: [node_map[n] for n in res[0][k]] for k, v in enumerate(chosen)}
    served = plan.served()
    after = served - set(reqs) | {n // 2 for r in new.values() for n in r}
    before_cost = plan.penalty(served) + sum(route_cost(m, c, v, routes[v]) for v in chosen)
    after_cost = plan.penalty(after) + sum(route_cost(m, c, v, new[v]) for v in chosen)
    return new if after_cost < before_cost else None
