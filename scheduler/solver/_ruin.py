"""Ruin and recreate on our own insertion: many small repairs of a big day per second.

Take out a handful of requests that are close in space and time - the nearest ones to a
served or a left-out request, or strings of consecutive stops from the routes nearest to it
(SISR) - put them back with the unserved ones nearby by cheapest insertion, and keep the
result when the plan's cost (penalties of the unserved, routes' arcs, fixed and moved costs)
does not rise by more than a temperature that cools to nothing (simulated annealing; with no
temperature, "does not rise"). The best plan seen is the one returned. An OR-Tools
sub-problem costs about a second; one of these about 20 ms, so a big day gets a thousand of
them in the same time. A return leg goes out with its outbound, so no return is ever left
without it.

With fixed vehicle costs, part of the time goes to emptying routes first (fewest vehicles
first): the smallest route's vehicle is closed, its requests are left out, and ruin and
recreate tries to place them elsewhere; the route comes back if they cannot all be placed.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.solver._compile import Compiled
from scheduler.solver._construct import Day, Routes

log = logging.getLogger(__name__)

#: how many requests one ruin takes out, at least and at most
_SMALLEST, _LARGEST = 4, 20


@dataclass(frozen=True)
class Annealing:
    """Acceptance and phases of ruin and recreate.

    ``start`` and ``end`` are temperatures in units of the plan's mean arc cost per stop
    (0: accept only plans that cost no more); ``eliminate`` is the share of the time spent
    emptying routes when vehicles have fixed costs.
    """

    start: float = 0.0
    end: float = 0.0
    eliminate: float = 0.0


class _Nearness:
    """Seconds between pick-ups plus the gap between their windows, from one to all."""

    def __init__(self, c: Compiled, time_matrix: Sequence[Sequence[int]]) -> None:
        pickups = [2 * r for r in range(len(c.requests))]
        self.loc = np.asarray([c.node_location[n] for n in pickups], dtype=np.int64)
        self.lo = np.asarray([c.node_window[n][0] for n in pickups], dtype=np.int64)
        self.hi = np.asarray([c.node_window[n][1] for n in pickups], dtype=np.int64)
        self.time = np.asarray(time_matrix, dtype=np.int64)

    def closest(self, r: int, among: list[int], count: int) -> list[int]:
        if not among or count <= 0:
            return []
        ks = np.asarray(among, dtype=np.int64)
        gap = np.maximum(0, np.maximum(self.lo[ks] - self.hi[r], self.lo[r] - self.hi[ks]))
        score = self.time[self.loc[r], self.loc[ks]] + gap
        return [among[i] for i in np.argsort(score, kind="stable")[:count]]


class _Search:
    """One ruin and recreate run over ``day``, keeping the best plan seen."""

    def __init__(self, day: Day, seed: int, how: Annealing) -> None:
        self.day, self.c, self.how = day, day.c, how
        self.rnd = random.Random(seed)
        self.near = _Nearness(day.c, day.b.time)
        self.cost = day.cost()
        self.best = (list(day.routes), set(day.placed), self.cost)
        self.kept = self.tried = 0

    def unit(self) -> float:
        """Mean arc cost per stop of the current plan: the temperature's unit."""
        day = self.day
        stops = sum(len(r.stops) + 1 for r in day.routes if r and r.stops)
        arcs = sum(
            day.b.cost_of(v, r.stops) - self.c.vehicles[v].fixed_cost
            for v, r in enumerate(day.routes)
            if r and r.stops
        )
        return arcs / stops if stops else 0.0

    def ruin(self, centre: int, served: list[int]) -> set[int]:
        """Requests to take out around ``centre``: its nearest, or strings of routes near it."""
        day, rnd = self.day, self.rnd
        count = rnd.randint(_SMALLEST, _LARGEST)
        if rnd.random() < 0.5:
            return set(self.near.closest(centre, served, count))
        where = {n // 2: v for v, r in enumerate(day.routes) if r for n in r.stops}
        out: set[int] = set()
        seen: set[int] = set()
        for r in self.near.closest(centre, served, count):
            v = where[r]
            if v in seen:
                continue
            seen.add(v)
            route = day.routes[v]
            assert route is not None
            stops = route.stops
            length = min(len(stops), rnd.randint(2, max(2, 2 * count // 3)))
            k = stops.index(2 * r)
            first = max(0, min(k - rnd.randrange(length), len(stops) - length))
            out |= {n // 2 for n in stops[first : first + length]}
            if len(out) >= count:
                break
        return out

    def step(self, threshold: float, absences: list[int] | None = None) -> None:
        """One ruin and recreate; kept when its cost is below the current one + threshold.

        With ``absences`` (how often each request was left out so far), a plan is kept when
        it leaves out less (by penalty), or as much but of requests less often left out,
        whatever its arcs cost (SISR's fleet minimisation): the hard ones get placed first.
        """
        day, c, near, rnd = self.day, self.c, self.near, self.rnd
        served = sorted(day.placed)
        waiting = [r for r in range(len(c.requests)) if day.may_place(r)]
        if not served and not waiting:
            return
        centre = rnd.choice(waiting if waiting and (not served or rnd.random() < 0.5) else served)
        out = self.ruin(centre, served) if served else set()
        out |= {day.return_of[r] for r in out if day.return_of.get(r) in day.placed}
        back = out | set(near.closest(centre, waiting, len(out) // 2 + 1))
        saved = (list(day.routes), set(day.placed))
        self.tried += 1
        if day.remove(out):
            order = sorted(back, key=lambda r: (-c.requests[r].priority, near.lo[r]))
            if rnd.random() < 0.5:
                rnd.shuffle(order)
                order.sort(key=lambda r: -c.requests[r].priority)
            for r in order:
                if day.may_place(r):
                    day.place(r)
            new_cost = day.cost()
            if absences is not None:
                before = self.left_out(saved[1], absences)
                if self.left_out(day.placed, absences) <= before:
                    self.cost = new_cost
                    if new_cost < self.best[2]:
                        self.best = (list(day.routes), set(day.placed), new_cost)
                    return
            elif new_cost <= self.cost + threshold:
                self.kept += new_cost < self.cost
                self.cost = new_cost
                if new_cost < self.best[2]:
                    self.best = (list(day.routes), set(day.placed), new_cost)
                return
        day.routes, day.placed = saved

    def left_out(self, placed: set[int], absences: list[int]) -> tuple[int, int]:
        """Penalty of the requests not in ``placed`` and how often they were left out."""
        c = self.c
        out = [r for r in range(len(c.requests)) if r not in placed]
        return sum(c.penalty[r] for r in out), sum(absences[r] for r in out)

    def anneal(self, deadline: float) -> None:
        """Ruin and recreate until ``deadline``, the temperature cooling geometrically."""
        t0 = time.monotonic()
        unit = self.unit()
        hot, cold = self.how.start * unit, self.how.end * unit
        while (now := time.monotonic()) < deadline:
            if hot <= 0:
                threshold = 0.0
            else:
                frac = (now - t0) / max(deadline - t0, 1e-9)
                temp = hot * (max(cold, 1e-9) / hot) ** frac
                # SA acceptance drawn ahead: accept when the rise is below -T ln(u).
                threshold = -temp * math.log(1.0 - self.rnd.random())
            self.step(threshold)

    def restore_best(self) -> None:
        routes, placed, cost = self.best
        self.day.routes, self.day.placed, self.cost = list(routes), set(placed), cost

    def eliminate(self, deadline: float) -> int:
        """Empty routes, smallest first, while every placed request stays placed."""
        day = self.day
        emptied = failures = 0
        # Vehicles without a route stay closed while routes are emptied (and so do the ones
        # emptied): the acceptance by absences does not see fixed costs and would open them.
        closed = [v for v, r in enumerate(day.routes) if r is not None and not r.stops]
        for v in closed:
            day.routes[v] = None
        while time.monotonic() < deadline and failures < 3:
            used = [v for v, r in enumerate(day.routes) if r and r.stops]
            if len(used) <= 1:
                break
            used.sort(key=lambda v: (day.size(v), self.rnd.random()))
            victim = used[min(failures, len(used) - 1)]
            target = len(day.placed)
            saved = (list(day.routes), set(day.placed), self.cost, self.best)
            route = day.routes[victim]
            assert route is not None
            day.placed -= {n // 2 for n in route.stops}
            day.routes[victim] = None
            self.cost = day.cost()
            self.best = (list(day.routes), set(day.placed), self.cost)
            remaining = deadline - time.monotonic()
            slice_end = time.monotonic() + max(0.2, remaining / 2)
            absences = [0] * len(day.c.requests)
            while time.monotonic() < min(slice_end, deadline) and len(day.placed) < target:
                self.step(0.0, absences)
                for r in range(len(absences)):
                    if r not in day.placed:
                        absences[r] += 1
            self.restore_best()
            if len(day.placed) >= target:
                closed.append(victim)
                emptied += 1
                failures = 0
                log.info("route of vehicle %d emptied", victim)
                continue
            routes, placed, cost, best = saved
            day.routes, day.placed, self.cost, self.best = list(routes), set(placed), cost, best
            failures += 1
        for v in closed:
            day.routes[v] = day.b.schedule(v, [])
        self.cost = day.cost()
        self.best = (list(day.routes), set(day.placed), self.cost)
        return emptied


def ruin_and_recreate(
    day: Day, deadline: float, seed: int, how: Annealing | None = None
) -> tuple[Routes, int]:
    """Improve ``day`` until ``deadline``; return its routes and how many ruins improved it."""
    how = how or Annealing()
    search = _Search(day, seed, how)
    if not day.placed and not any(day.may_place(r) for r in range(len(day.c.requests))):
        return day.routes_as_nodes(), 0
    fixed = any(v.fixed_cost for v in day.c.vehicles)
    if fixed and how.eliminate > 0:
        t0 = time.monotonic()
        search.eliminate(t0 + how.eliminate * (deadline - t0))
    search.anneal(deadline)
    search.restore_best()
    log.info("ruin and recreate: %d of %d kept", search.kept, search.tried)
    return day.routes_as_nodes(), search.kept
