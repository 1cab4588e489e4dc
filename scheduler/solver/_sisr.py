"""Slack induction by string removals (SISR) on the compiled core, for problems without links.

Christiaens & Vanden Berghe's ruin and recreate: take out strings of consecutive stops from
routes near a request (or the requests nearest it), put every request left out back by
cheapest insertion in a random order of a few kinds, with blinks, and accept by simulated
annealing. Where vehicles carry a fixed cost that outweighs any distance, part of the time
first empties routes: close the smallest route's vehicle and accept plans that leave out
less, or requests less often left out (their absences), until all are placed again.

The hot loops are in ``_core`` (numba); this module lays out the arrays, splits the time and
keeps the best plan. Round trips: a return leg is only placed when its outbound is, and
leaves with it (the time between them is already cut into both legs' windows by
``_compile``). Re-plans start from the previous plan's routes and pay ``moved`` for each
request put on another vehicle.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from scheduler.solver import _core as core
from scheduler.solver._compile import Compiled
from scheduler.solver.problem import Travel

log = logging.getLogger(__name__)

Routes = list[list[int]]

#: SISR's average number of requests a ruin takes out, and the longest string
_MEAN_REMOVED = 10.0
_MAX_STRING = 10
#: probability of skipping an insertion position
_BLINK = 0.01
#: neighbours kept per request for the ruins
_NEAR = 100
#: seconds one batch of iterations should take (between time checks)
_BATCH_SECONDS = 0.02
#: routes tried in a row without emptying one before elimination gives up
_ATTEMPTS = 6


#: the most stops a route may hold (a driver's day is far shorter)
_WIDTH = 1_024


def _arrays(c: Compiled, travel: Travel, arc_cost: str, weight: int, moved: int) -> core.Arrays:
    nr, nv = len(c.requests), len(c.vehicles)
    i64 = np.int64
    t = np.asarray(travel.time, dtype=i64)
    base = travel.time if arc_cost == "time" else travel.distance
    cost = np.asarray(base, dtype=i64) * weight
    loc = np.asarray(c.node_location, dtype=i64)
    windows = np.asarray(c.node_window, dtype=i64).reshape(-1, 2)
    dims = len(c.vehicles[0].capacity) if c.vehicles else 0
    demand = np.asarray(c.node_demand, dtype=i64).reshape(len(c.node_location), dims)
    limit = np.asarray(
        [
            core.UNLIMITED if r.max_ride_time is None else r.max_ride_time + r.pickup_service
            for r in c.requests
        ],
        dtype=i64,
    )
    allowed = np.ones((nr, nv), dtype=np.bool_)
    for r, ok in enumerate(c.allowed):
        if ok is not None:
            allowed[r, :] = False
            allowed[r, ok] = True
    # Empty vehicles alike in every rule offer the same insertions: only the first is tried.
    # Not on a re-plan, where moving a request off its vehicle costs.
    alike: dict[object, int] = {}
    replan = any(p is not None for p in c.previous_vehicle)
    twin = [
        k
        if replan
        else alike.setdefault(
            (v.start, v.end, v.shift, v.capacity, v.skills, v.max_duration, v.fixed_cost), k
        )
        for k, v in enumerate(c.vehicles)
    ]
    outbound = np.full(nr, -1, dtype=i64)
    ret = np.full(nr, -1, dtype=i64)
    for out, back, _ in c.links:
        outbound[back], ret[out] = out, back
    prev = np.asarray(
        [-1 if p is None else p for p in (c.previous_vehicle or [None] * nr)], dtype=i64
    ).reshape(nr)
    vehicles = c.vehicles
    return (
        t,
        cost,
        loc,
        np.asarray(c.node_service, dtype=i64),
        windows[:, 0].copy(),
        windows[:, 1].copy(),
        demand,
        limit,
        np.asarray(c.vehicle_start_node, dtype=i64),
        np.asarray(c.vehicle_end_node, dtype=i64),
        np.asarray([v.shift.earliest for v in vehicles], dtype=i64),
        np.asarray([v.shift.latest for v in vehicles], dtype=i64),
        np.asarray([v.capacity for v in vehicles], dtype=i64).reshape(nv, dims),
        np.asarray(
            [core.UNLIMITED if v.max_duration is None else v.max_duration for v in vehicles],
            dtype=i64,
        ),
        np.asarray([v.fixed_cost for v in vehicles], dtype=i64),
        allowed,
        np.asarray(c.penalty, dtype=i64),
        np.asarray(twin, dtype=i64),
        _neighbours(t, loc, windows, nr),
        outbound,
        ret,
        prev,
        np.asarray([moved], dtype=i64),
    )


def _neighbours(t: core.Arr, loc: core.Arr, windows: core.Arr, nr: int) -> core.Arr:
    """Per request, the others nearest in space and time: travel between the pick-ups and
    between the drop-offs plus the gaps between their windows."""
    count = min(_NEAR, max(nr - 1, 0))
    out = np.zeros((nr, count), dtype=np.int64)
    if count == 0:
        return out
    p, d = loc[0 : 2 * nr : 2], loc[1 : 2 * nr : 2]
    plo, phi = windows[0 : 2 * nr : 2, 0], windows[0 : 2 * nr : 2, 1]
    for first in range(0, nr, 256):
        rows = np.arange(first, min(first + 256, nr))
        gap = np.maximum(0, np.maximum(plo[None, :] - phi[rows, None], plo[rows, None] - phi))
        score = t[p[rows, None], p[None, :]] + t[d[rows, None], d[None, :]] + gap
        score[np.arange(len(rows)), rows] = np.iinfo(np.int64).max
        part = np.argpartition(score, count - 1, axis=1)[:, :count]
        order = np.take_along_axis(score, part, axis=1).argsort(axis=1, kind="stable")
        out[rows] = np.take_along_axis(part, order, axis=1)
    return out


def _paired(nodes: list[int]) -> bool:
    """Whether every request of ``nodes`` is picked up once and then dropped off once."""
    picked: set[int] = set()
    dropped: set[int] = set()
    for n in nodes:
        r = n // 2
        if n % 2 == 0 and r not in picked:
            picked.add(r)
        elif n % 2 == 1 and r in picked and r not in dropped:
            dropped.add(r)
        else:
            return False
    return picked == dropped


class CompiledSearch:
    """One SISR run: the problem's arrays, the current plan and the best one seen."""

    def __init__(
        self, c: Compiled, travel: Travel, arc_cost: str, weight: int, seed: int, moved: int = 0
    ) -> None:
        self.c = c
        self.P = _arrays(c, travel, arc_cost, weight, moved)
        nr, nv = len(c.requests), len(c.vehicles)
        dims = self.P[6].shape[1]
        width = min(2 * nr + 2, _WIDTH)
        self.S: core.State = (
            np.zeros((nv, width), dtype=np.int64),
            np.zeros(nv, dtype=np.int64),
            np.zeros((nv, width + 2), dtype=np.int64),
            np.zeros((nv, width + 2), dtype=np.int64),
            np.zeros((nv, width + 2, dims), dtype=np.int64),
            np.zeros(nv, dtype=np.int64),
            np.full(nr, -1, dtype=np.int64),
            np.ones(nv, dtype=np.bool_),
        )
        for v in range(nv):
            core.refresh(self.P, self.S, v)
        # Without ride-time or duration limits the screen is exact (windows, shifts, seats).
        self.exact = bool((self.P[7] < core.UNLIMITED).any() or (self.P[13] < core.UNLIMITED).any())
        core.seed_random(seed)
        self.best_route = self.S[0].copy()
        self.best_rlen = self.S[1].copy()
        self.cost = core.total_cost(self.P, self.S)
        self.best_cost = self.cost
        self.batch = 20
        self.iterations = self.kept = 0

    def start_from(self, routes: Routes) -> None:
        """Keep the routes of ``routes`` (the previous plan) that are still feasible."""
        route, rlen, where = self.S[0], self.S[1], self.S[6]
        cap, dims = self.P[12], self.P[6].shape[1]
        times = np.empty(route.shape[1] + 4, dtype=np.int64)
        posof = np.empty(len(self.P[2]), dtype=np.int64)
        for v, nodes in enumerate(routes):
            if not nodes or len(nodes) > route.shape[1]:
                continue
            route[v, : len(nodes)] = nodes
            rlen[v] = len(nodes)
            core.refresh(self.P, self.S, v)
            loads = self.S[4][v, : len(nodes) + 2].reshape(-1, dims)
            seq = np.asarray(nodes, dtype=np.int64)
            if (
                _paired(nodes)
                and (loads <= cap[v]).all()
                and core.feasible(self.P, v, seq, len(nodes), times, posof)
            ):
                where[seq // 2] = v
            else:
                rlen[v] = 0
                core.refresh(self.P, self.S, v)
        # A return kept without its outbound goes back to the waiting list.
        outbound = self.P[19]
        for r in np.flatnonzero((where >= 0) & (outbound >= 0)):
            if where[outbound[r]] < 0:
                v = core.take_out(self.S, int(r))
                core.refresh(self.P, self.S, v)
        self.cost = core.total_cost(self.P, self.S)

    def construct(self) -> None:
        """Insert every request left out, earliest pick-up first, where it adds the least."""
        lo = self.P[4]
        order = np.argsort(lo[0 : 2 * len(self.c.requests) : 2], kind="stable").astype(np.int64)
        core.place_all(self.P, self.S, order, self.exact)
        self.cost = core.total_cost(self.P, self.S)
        self._keep_as_best()

    def _keep_as_best(self) -> None:
        self.best_route[:] = self.S[0]
        self.best_rlen[:] = self.S[1]
        self.best_cost = self.cost

    def restore_best(self) -> None:
        """Make the best plan seen the current one."""
        route, rlen, where = self.S[0], self.S[1], self.S[6]
        route[:] = self.best_route
        rlen[:] = self.best_rlen
        where[:] = -1
        for v in range(len(rlen)):
            for node in route[v, : rlen[v]]:
                where[node // 2] = v
            core.refresh(self.P, self.S, v)
        self.cost = core.total_cost(self.P, self.S)

    def unit(self) -> float:
        """Mean arc cost per stop of the current plan: the temperature's unit."""
        rlen, rcost = self.S[1], self.S[5]
        used = rlen > 0
        stops = int(rlen[used].sum() + used.sum())
        arcs = int(rcost[used].sum() - self.P[14][used].sum())
        return arcs / stops if stops else 0.0

    def _run(
        self, deadline: float, temperature: float, absences: core.Arr, by_absence: bool
    ) -> None:
        """One batch of iterations, sized to take about ``_BATCH_SECONDS``."""
        t0 = time.monotonic()
        self.cost, self.best_cost, kept = core.iterate(
            self.P,
            self.S,
            self.best_route,
            self.best_rlen,
            self.batch,
            temperature,
            absences,
            by_absence,
            self.exact,
            _MEAN_REMOVED,
            _MAX_STRING,
            _BLINK,
            self.cost,
            self.best_cost,
        )
        took = time.monotonic() - t0
        self.iterations += self.batch
        self.kept += kept
        left = deadline - time.monotonic()
        wanted = self.batch * _BATCH_SECONDS / max(took, 1e-6)
        self.batch = int(max(1, min(wanted, 2 * self.batch, 10_000)))
        if left < _BATCH_SECONDS * 2:
            self.batch = max(1, min(self.batch, int(self.batch * left / _BATCH_SECONDS)))

    def anneal(self, deadline: float, hot: float, cold: float) -> None:
        """Simulated annealing from ``hot`` to ``cold`` (in mean arc costs per stop)."""
        t0 = time.monotonic()
        unit = self.unit()
        hot, cold = hot * unit, cold * unit
        none = np.zeros(len(self.c.requests), dtype=np.int64)
        while (now := time.monotonic()) < deadline:
            if hot <= 0:
                temperature = 0.0
            else:
                frac = (now - t0) / max(deadline - t0, 1e-9)
                temperature = hot * (max(cold, 1e-9) / hot) ** frac
            self._run(deadline, temperature, none, False)
        self.restore_best()

    def squeeze(self, deadline: float) -> None:
        """Place requests left out: keep plans that leave out less, or as much of requests
        less often left out, whatever they drive (SISR's absences); the best plan seen wins."""
        where = self.S[6]
        absences = np.zeros(len(self.c.requests), dtype=np.int64)
        while time.monotonic() < deadline and bool((where < 0).any()):
            self._run(deadline, 0.0, absences, True)
        self.restore_best()

    def eliminate(self, deadline: float) -> int:
        """Empty routes, smallest first, while every placed request stays placed."""
        route, rlen, vopen, where = self.S[0], self.S[1], self.S[7], self.S[6]
        emptied = failures = 0
        vopen[rlen == 0] = False
        rng = np.random.default_rng(int(self.cost) % (2**32))
        while time.monotonic() < deadline and failures < _ATTEMPTS:
            used = [int(v) for v in np.flatnonzero(rlen > 0)]
            if len(used) <= 1:
                break
            used.sort(key=lambda v: (int(rlen[v]), rng.random()))
            victim = used[min(failures, len(used) - 1)]
            target = int((where >= 0).sum())
            saved = [a.copy() for a in self.S]
            saved_cost = self.cost
            ret = self.P[20]
            for node in route[victim, : rlen[victim]].copy():
                if node % 2 == 0:
                    core.take_out(self.S, int(node // 2))
                    back = int(ret[node // 2])
                    if back >= 0 and where[back] >= 0:
                        core.refresh(self.P, self.S, core.take_out(self.S, back))
            core.refresh(self.P, self.S, victim)
            vopen[victim] = False
            self.cost = core.total_cost(self.P, self.S)
            self._keep_as_best()
            end = min(deadline, time.monotonic() + max(0.2, (deadline - time.monotonic()) / 2))
            absences = np.zeros(len(self.c.requests), dtype=np.int64)
            while time.monotonic() < end and int((where >= 0).sum()) < target:
                self._run(end, 0.0, absences, True)
            self.restore_best()
            if int((where >= 0).sum()) >= target:
                emptied += 1
                failures = 0
                continue
            for a, b in zip(self.S, saved, strict=True):
                a[...] = b
            self.cost = saved_cost
            self._keep_as_best()
            failures += 1
        vopen[:] = True
        self.cost = core.total_cost(self.P, self.S)
        self._keep_as_best()
        return emptied

    def routes(self) -> Routes:
        """The current plan as node lists per vehicle."""
        route, rlen = self.S[0], self.S[1]
        return [[int(n) for n in route[v, : rlen[v]]] for v in range(len(rlen))]


def search(
    c: Compiled,
    travel: Travel,
    arc_cost: str,
    weight: int,
    deadline: float,
    seed: int,
    hot: float,
    cold: float,
    eliminate: float,
    moved: int = 0,
    squeeze: float = 0.0,
) -> tuple[Routes, int]:
    """Start from the previous plan if any, construct, then empty routes for a share
    ``eliminate`` of the time when vehicles carry fixed costs, then anneal; the best plan's
    routes and its cost. ``moved`` is what moving a request off its previous vehicle costs."""
    t0 = time.monotonic()
    run = CompiledSearch(c, travel, arc_cost, weight, seed, moved)
    if any(c.previous_routes):
        run.start_from(c.previous_routes)
    run.construct()
    built = time.monotonic() - t0
    log.info(
        "compiled search: first plan in %.2fs, %d of %d requests placed",
        built,
        int((run.S[6] >= 0).sum()),
        len(c.requests),
        extra={"first_pass_s": built, "construction_s": built},
    )
    fixed = bool((run.P[14] > 0).any())
    if fixed and eliminate > 0:
        t0 = time.monotonic()
        emptied = run.eliminate(t0 + eliminate * (deadline - t0))
        log.info("compiled search: %d routes emptied", emptied)
    elif squeeze > 0:
        t0 = time.monotonic()
        run.squeeze(t0 + squeeze * (deadline - t0))
    run.anneal(deadline, hot, cold)
    log.info(
        "compiled search: %d iterations, %d improving, cost %d",
        run.iterations,
        run.kept,
        run.best_cost,
        extra={"tried": run.iterations, "kept": run.kept},
    )
    assert math.isfinite(run.best_cost)
    return run.routes(), int(run.best_cost)


def warm() -> float:
    """Load the compiled core (compile it on the first use after an install: numba caches it
    on disk beside the code); the seconds it took. A process pays this once."""
    t0 = time.monotonic()
    i64 = np.int64
    travel = np.asarray([[0, 1], [1, 0]], dtype=i64)
    one = np.ones(1, dtype=i64)
    P: core.Arrays = (
        travel,
        travel,
        np.asarray([0, 1, 0], dtype=i64),
        np.zeros(3, dtype=i64),
        np.zeros(3, dtype=i64),
        np.full(3, 100, dtype=i64),
        np.asarray([[1], [-1], [0]], dtype=i64),
        np.full(1, core.UNLIMITED - 1, dtype=i64),
        np.asarray([2], dtype=i64),
        np.asarray([2], dtype=i64),
        np.zeros(1, dtype=i64),
        np.full(1, 100, dtype=i64),
        np.ones((1, 1), dtype=i64),
        np.full(1, 50, dtype=i64),
        one,
        np.ones((1, 1), dtype=np.bool_),
        one,
        np.zeros(1, dtype=i64),
        np.zeros((1, 0), dtype=i64),
        np.full(1, -1, dtype=i64),
        np.full(1, -1, dtype=i64),
        np.full(1, -1, dtype=i64),
        np.zeros(1, dtype=i64),
    )
    S: core.State = (
        np.zeros((1, 4), dtype=i64),
        np.zeros(1, dtype=i64),
        np.zeros((1, 6), dtype=i64),
        np.zeros((1, 6), dtype=i64),
        np.zeros((1, 6, 1), dtype=i64),
        np.zeros(1, dtype=i64),
        np.full(1, -1, dtype=i64),
        np.ones(1, dtype=np.bool_),
    )
    core.seed_random(0)
    core.refresh(P, S, 0)
    core.place_all(P, S, np.zeros(1, dtype=i64), True)
    best_route, best_rlen = S[0].copy(), S[1].copy()
    cost = core.total_cost(P, S)
    core.iterate(
        P,
        S,
        best_route,
        best_rlen,
        1,
        1.0,
        np.zeros(1, dtype=i64),
        True,
        True,
        10.0,
        10,
        0.01,
        cost,
        cost,
    )
    core.take_out(S, 0)
    return time.monotonic() - t0
