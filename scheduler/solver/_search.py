"""Search strategy on top of the backend: starts, local search, vehicle reduction.

Plain orchestration: which model to build with which vehicles, which start to keep, how to
split the time limit. All OR-Tools calls stay in ``_ortools``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from scheduler.solver import _ortools as backend
from scheduler.solver._compile import Compiled
from scheduler.solver._construct import Day, fill, new_day
from scheduler.solver._decompose import SubSearch, improve
from scheduler.solver._ruin import Annealing, ruin_and_recreate
from scheduler.solver.params import SolveParams
from scheduler.solver.problem import Travel

log = logging.getLogger(__name__)

#: seconds kept back from the time limit for scheduling and reporting after the search,
#: plus a little per request (1,000 requests: about half a second of Python afterwards)
_MARGIN = 0.15
_MARGIN_PER_REQUEST = 0.0005


Routes = list[list[int]]  # per vehicle of ``Compiled.vehicles``: node indices in order


@dataclass
class Outcome:
    """Best routes found and a few statistics."""

    routes: Routes
    cost: int
    starts_tried: int = 0
    reductions: int = 0
    decomposed: int = 0


def _served(routes: Routes) -> int:
    return sum(len(r) for r in routes)


def optimise(c: Compiled, travel: Travel, params: SolveParams) -> Outcome:
    """Find routes for ``c`` within ``params.time_limit`` seconds."""
    knobs = params.search
    t0 = time.monotonic()
    deadline = t0 + params.time_limit - _MARGIN_PER_REQUEST * len(c.requests)
    nv = len(c.vehicles)
    empty: Routes = [[] for _ in range(nv)]
    if not c.requests or nv == 0:
        return Outcome(empty, 0)
    moved = params.weights.moved
    warm = c.previous_routes if any(c.previous_routes) else None
    fleet = fleet_first(c, travel, params)
    if _wants_construction(c, params, fleet):
        if knobs.compiled:
            # numba's import costs two seconds: only processes that plan pay for it.
            from scheduler.solver import _sisr

            # Counted in the time limit: loading the core takes about a second per process.
            log.info("compiled core ready in %.2fs", _sisr.warm())
            eliminate = knobs.eliminate_share if fleet else 0.0
            routes, cost = _sisr.search(
                c,
                travel,
                params.arc_cost,
                params.weights.travel,
                deadline - _MARGIN,
                params.seed,
                knobs.anneal_start,
                knobs.anneal_end,
                eliminate,
                moved,
                knobs.squeeze_share,
            )
            return Outcome(routes, cost)
        day = new_day(c, travel, params.arc_cost, params.weights.travel, warm, moved)
        # At most half the time: improving the day should get the rest.
        fill(day, time.monotonic() + (deadline - time.monotonic()) / 2)
        log.info("construction: %d of %d requests placed", len(day.placed), len(c.requests))
        return _by_parts(day, deadline, params, fleet)
    m = backend.node_matrices(c, travel, params.arc_cost, params.weights.travel)
    everyone = list(range(nv))

    def run(
        vehicles: list[int],
        budget: float,
        fixed: bool = True,
        options: str = knobs.backend_options,
        **kw: object,
    ) -> tuple[Routes, int] | None:
        model = backend.build(c, m, vehicles, moved, params.weights.duration, fixed)
        left = deadline - time.monotonic() - _MARGIN
        res = backend.search(
            model,
            time_limit=max(min(budget, left), 0.05),
            options=options,
            **kw,  # type: ignore[arg-type]
        )
        if res is None:
            return None
        full: Routes = [[] for _ in range(nv)]
        for k, veh in enumerate(vehicles):
            full[veh] = res[0][k]
        return full, res[1]

    best: tuple[Routes, int] | None = None
    starts = 0
    if len(knobs.first_solutions) > 1 and warm is None:
        share = knobs.start_share * params.time_limit / len(knobs.first_solutions)
        for fs in knobs.first_solutions:
            if knobs.descend_starts:
                # Each start descends to its own local optimum; on dial-a-ride the start
                # decides which optimum the search gets stuck in, so diversity pays.
                res = run(everyone, share, first_solution=fs, metaheuristic="greedy_descent")
            else:
                res = run(everyone, share, first_solution=fs, first_only=True)
            starts += 1
            log.debug("start %s: %s", fs, None if res is None else res[1])
            if res is not None and (best is None or res[1] < best[1]):
                best = res
        warm = best[0] if best else None
    decompose = knobs.decompose and not any(c.previous_routes)
    main_share = knobs.main_share if knobs.reduce_vehicles or decompose else 1.0
    budget = (deadline - time.monotonic()) * main_share
    res = run(
        everyone,
        budget,
        first_solution=knobs.first_solutions[0],
        # With a reduction phase to follow, stop at the first local optimum: guided local
        # search would fight the fixed costs sitting on the routes' first arcs.
        metaheuristic="greedy_descent" if knobs.reduce_vehicles else knobs.metaheuristic,
        initial=warm,
        solution_limit=knobs.solution_limit,
    )
    if res is not None and (best is None or res[1] <= best[1]):
        best = res
    servable = 2 * len(c.requests)
    while (best is None or _served(best[0]) < servable) and (
        deadline - time.monotonic() > 0.3 * params.time_limit
    ):
        # A short main phase can stop before the first solution inserts everything
        # (OR-Tools then returns its all-unperformed fallback): give the start more time.
        more = run(
            everyone,
            0.3 * params.time_limit,
            first_solution=knobs.first_solutions[0],
            metaheuristic="greedy_descent",
        )
        if more is None or (best is not None and _served(more[0]) <= _served(best[0])):
            break
        best = more
    if best is None:
        return Outcome(empty, 0, starts)
    outcome = Outcome(best[0], best[1], starts)
    log.info(
        "main search: %d routes, cost %d, %.1fs left",
        sum(1 for r in outcome.routes if r),
        outcome.cost,
        deadline - time.monotonic(),
    )
    if knobs.reduce_vehicles:
        _reduce(c, outcome, deadline, run, params, polish=not decompose)
    if decompose:
        outcome.routes, outcome.decomposed = improve(
            c, m, outcome.routes, deadline - _MARGIN, params.seed, _sub_search(params)
        )
    return outcome


def _sub_search(params: SolveParams) -> SubSearch:
    knobs = params.search
    return SubSearch(
        knobs.backend_options, knobs.metaheuristic, knobs.sub_seconds, knobs.sub_solver
    )


def _by_parts(day: Day, deadline: float, params: SolveParams, fleet: bool) -> Outcome:
    """Improve a constructed day by ruin and recreate on our own insertion.

    The whole-problem OR-Tools model is not searched: on 3,000 nodes it spends longer than
    a 60 s limit just checking a given start (and cannot be stopped meanwhile); with round
    trips its search drops outbounds and keeps their returns, which ``solve`` must then drop
    (100-request day: 104 legs from our start, 101 after 10 s of GLS, 108 by ruin and
    recreate). OR-Tools sub-problems of a few routes placed a handful of legs in 50 s on the
    big day where ruin and recreate places a hundred (``bench/RESULTS.md``).
    """
    knobs = params.search
    # Emptying routes pays only when a vehicle outweighs any distance; on a product day a
    # driver's cost does not, and the time goes to serving more and driving less.
    eliminate = knobs.eliminate_share if fleet else 0.0
    how = Annealing(knobs.anneal_start, knobs.anneal_end, eliminate)
    routes, kept = ruin_and_recreate(day, deadline - _MARGIN, params.seed, how)
    return Outcome(routes, day.cost(), decomposed=kept)


def _wants_construction(c: Compiled, params: SolveParams, fleet: bool) -> bool:
    """Our own planning unless told otherwise: the compiled core wherever it covers the rules,
    ``_construct``/``_ruin`` on big days and on days with round trips.

    The compiled SISR search beats OR-Tools on dial-a-ride (DARP a-set, six largest: 0.63%
    mean gap against 3.88% at 10 s) and on Li & Lim (``bench/RESULTS.md``). With linked legs
    OR-Tools' first solutions are weak even on small days (the 100-request sample day: 96 of
    147 legs from its start and 10 s of search, 108 from ours).
    """
    knobs = params.search
    if knobs.construct == "auto":
        if knobs.compiled:
            return True
        big_or_linked = len(c.requests) >= knobs.construct_from or bool(c.links)
        return (big_or_linked or fleet) and len(knobs.first_solutions) == 1
    return knobs.construct == "always"


def fleet_first(c: Compiled, travel: Travel, params: SolveParams) -> bool:
    """Whether every vehicle's fixed cost outweighs the longest arc out of every place summed.

    Then the plan's vehicle count comes before its arcs (Li & Lim): our ruin and recreate
    with a route elimination phase gets fewer vehicles and shorter routes in 10 s than the
    OR-Tools search and its reduction (Li & Lim 100: mean gap 2.03% against 10.32%, 3
    instances above the best-known vehicle count against 22, ``bench/RESULTS.md``).
    """
    fixed = min((v.fixed_cost for v in c.vehicles), default=0)
    if fixed <= 0:
        return False
    places = sorted(set(c.node_location))
    base = travel.time if params.arc_cost == "time" else travel.distance
    longest = sum(max(base[a][b] for b in places) for a in places)
    return fixed > longest * params.weights.travel


def _reduce(
    c: Compiled, out: Outcome, deadline: float, run: object, params: SolveParams, polish: bool
) -> None:
    """Empty the smallest routes one at a time while every served request stays served."""
    knobs = params.search
    assert callable(run)
    failures = 0
    while True:
        remaining = deadline - time.monotonic()
        used = [v for v, r in enumerate(out.routes) if r]
        if remaining < 0.2 or len(used) <= 1:
            return
        order = sorted(used, key=lambda v: len(out.routes[v]))
        victim = order[min(failures, len(order) - 1)]
        keep = [v for v in used if v != victim]
        slice_ = max(0.3, min(remaining, 0.25 * params.time_limit))
        initial = [out.routes[v] for v in keep]
        opts = knobs.backend_options if knobs.reduce_options is None else knobs.reduce_options
        res = run(keep, slice_, False, opts, metaheuristic=knobs.metaheuristic, initial=initial)
        if res is not None and _served(res[0]) >= _served(out.routes):
            out.routes, out.cost = res
            out.reductions += 1
            failures = 0
            log.info("route of vehicle %d emptied, %d left", victim, len(keep))
            continue
        failures += 1
        if failures >= 2:
            break
    remaining = deadline - time.monotonic()
    if polish and remaining > 0.2:
        used = [v for v, r in enumerate(out.routes) if r]
        res = run(
            used,
            remaining,
            False,
            metaheuristic=knobs.metaheuristic,
            initial=[out.routes[v] for v in used],
        )
        if res is not None and _served(res[0]) >= _served(out.routes) and res[1] <= out.cost:
            out.routes, out.cost = res
