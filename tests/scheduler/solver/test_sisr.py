"""The compiled core and its SISR search: the same verdicts as the reference scheduler, the
cheapest insertion, and plans the independent checker accepts.

CI also runs this file with ``NUMBA_DISABLE_JIT=1``, so the core's lines run as Python too.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from scheduler.solver import (
    Problem,
    SearchKnobs,
    Solution,
    SolveParams,
    Vehicle,
    Weights,
    _search,
    _sisr,
    check,
    solve,
)
from scheduler.solver import _core as core
from scheduler.solver._compile import Compiled, compile_problem
from scheduler.solver.insertion import check_route
from scheduler.solver.problem import Stop, StopKind, Travel
from scheduler.solver.solve import plan_of
from tests.scheduler.conftest import HOUR, MIN, busy_day


def one_way_day(seed: int, n_trips: int = 30, n_cars: int = 4, **car: object) -> Problem:
    """``busy_day`` with every return made a ride of its own (the core does not take links)."""
    base = busy_day(seed, n_trips, n_cars)
    return replace(
        base,
        requests=tuple(replace(r, after=None) for r in base.requests),
        vehicles=tuple(replace(v, **car) for v in base.vehicles),  # type: ignore[arg-type]
    )


def run_of(problem: Problem, seed: int = 0) -> tuple[Compiled, _sisr.CompiledSearch]:
    c, _ = compile_problem(problem, SolveParams())
    return c, _sisr.CompiledSearch(c, problem.travel, "time", 1, seed)


def stops_of(nodes: list[int], c: Compiled) -> list[Stop]:
    return [
        Stop(c.requests[n // 2].id, StopKind.PICKUP if n % 2 == 0 else StopKind.DROPOFF)
        for n in nodes
    ]


def random_order(rnd: random.Random, requests: list[int]) -> list[int]:
    """Pick-ups and drop-offs of ``requests`` in a random order, each pick-up first."""
    order: list[int] = []
    for r in requests:
        i = rnd.randint(0, len(order))
        j = rnd.randint(i, len(order))
        order[j:j] = [2 * r + 1]
        order[i:i] = [2 * r]
    return order


def test_the_exact_check_agrees_with_the_reference_scheduler() -> None:
    """Ride-time and duration limits: ``feasible`` says yes exactly when ``check_route`` does
    (windows, shift, duration, ride time; seats are the screen's and are left out here)."""
    problem = one_way_day(3, n_trips=20, max_duration=3 * HOUR)
    c, run = run_of(problem)
    assert run.exact
    rnd = random.Random(7)
    times = np.empty(2 * len(c.requests) + 4, dtype=np.int64)
    posof = np.empty(len(c.node_location), dtype=np.int64)
    verdicts = set()
    for _ in range(300):
        # Requests close in time, so that some orders are feasible; a vehicle with the skills
        # and seats for all (the search only tries those).
        first = rnd.randrange(len(c.requests))
        near = sorted(range(len(c.requests)), key=lambda r: abs(r - first))
        chosen = near[: rnd.randint(1, 4)]
        able = [
            v
            for v in range(len(c.vehicles))
            if all(c.allowed[r] is None or v in (c.allowed[r] or []) for r in chosen)
        ]
        if not able:
            continue
        v = rnd.choice(able)
        nodes = random_order(rnd, chosen)
        seq = np.asarray(nodes, dtype=np.int64)
        ours = core.feasible(run.P, v, seq, len(nodes), times, posof)
        reference, _ = check_route(problem, c.vehicles[v].id, stops_of(nodes, c))
        assert ours == (reference is not None), nodes
        verdicts.add(ours)
    assert verdicts == {True, False}


@pytest.mark.parametrize("limits", [False, True])
def test_an_insertion_is_the_cheapest_feasible_one(limits: bool) -> None:
    """Against every position pair tried by the reference scheduler, with and without ride
    time and duration limits (without them the screen alone decides)."""
    problem = one_way_day(5, n_trips=24, n_cars=3, max_duration=4 * HOUR if limits else None)
    if not limits:
        problem = replace(
            problem, requests=tuple(replace(r, max_ride_time=None) for r in problem.requests)
        )
    c, run = run_of(problem)
    assert run.exact is limits
    keep = np.asarray([r for r in range(len(c.requests)) if r % 3], dtype=np.int64)
    core.place_all(run.P, run.S, keep, run.exact)
    width = run.S[0].shape[1]
    scratch = np.empty(width + 2, dtype=np.int64)
    times = np.empty(width + 4, dtype=np.int64)
    posof = np.empty(len(c.node_location), dtype=np.int64)
    cost = run.P[1]
    loc = c.node_location
    checked = 0
    for r in range(len(c.requests)):
        if run.S[6][r] >= 0:
            continue
        added, v, _, _ = core.best_insertion(run.P, run.S, r, run.exact, 0.0, scratch, times, posof)
        best: int | None = None
        for w, nodes in enumerate(run.routes()):
            if c.allowed[r] is not None and w not in (c.allowed[r] or []):
                continue
            full_before = [c.vehicle_start_node[w], *nodes, c.vehicle_end_node[w]]
            before = sum(int(cost[loc[a], loc[b]]) for a, b in itertools.pairwise(full_before))
            fixed = c.vehicles[w].fixed_cost if not nodes else 0
            for i in range(len(nodes) + 1):
                for j in range(i, len(nodes) + 1):
                    trial = [*nodes[:i], 2 * r, *nodes[i:j], 2 * r + 1, *nodes[j:]]
                    route, _ = check_route(problem, c.vehicles[w].id, stops_of(trial, c))
                    if route is None:
                        continue
                    full = [c.vehicle_start_node[w], *trial, c.vehicle_end_node[w]]
                    after = sum(int(cost[loc[a], loc[b]]) for a, b in itertools.pairwise(full))
                    extra = after - before + fixed
                    best = extra if best is None else min(best, extra)
        if best is None:
            assert v == -1
        else:
            assert v >= 0 and added == best
            checked += 1
    assert checked >= 3


def test_the_compiled_search_plans_every_rule_and_is_the_one_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seats of two kinds, skills, ride time, duration limits and fixed costs: the checker
    finds nothing, and the compiled search is the one that planned."""
    problem = one_way_day(11, n_trips=40, n_cars=4, max_duration=6 * HOUR)
    calls: list[object] = []
    real = _sisr.search

    def recording(*args: Any, **kw: Any) -> Any:
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(_sisr, "search", recording)
    solution = solve(problem, SolveParams(time_limit=3.0))
    assert calls, "the compiled search did not run"
    assert check(problem, solution) == []
    assert len(solution.unserved) < len(problem.requests) // 4


def test_emptying_routes_keeps_every_request_and_uses_fewer_vehicles() -> None:
    """Start from one vehicle per request: elimination closes vehicles and serves everyone."""
    base = one_way_day(4, n_trips=6, n_cars=1)
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            start=base.vehicles[0].start,
            end=base.vehicles[0].end,
            shift=base.vehicles[0].shift,
            capacity=(3, 1),
            skills=frozenset({"wheelchair"}),
            fixed_cost=100 * HOUR,
        )
        for k in range(len(base.requests))
    )
    problem = replace(base, vehicles=vehicles)
    c, run = run_of(problem, seed=3)
    for r in range(len(c.requests)):
        core.insert(run.P, run.S, r, r, 0, 0, np.empty(8, dtype=np.int64))
    run.cost = core.total_cost(run.P, run.S)
    served = int((run.S[6] >= 0).sum())
    emptied = run.eliminate(time.monotonic() + 2.0)
    assert emptied >= 1
    assert int((run.S[6] >= 0).sum()) == served
    # Putting a victim's requests back empties other routes on the way.
    assert sum(1 for r in run.routes() if r) <= len(c.requests) - 2
    routes, unserved = plan_of(problem, c, run.routes(), {})
    assert check(problem, Solution(tuple(routes), tuple(unserved), {}, {})) == []


def test_a_ruin_that_would_break_the_triangle_inequality_is_undone() -> None:
    """Travel times that break the triangle inequality: going round by a stop is quicker than
    going straight, so taking the stop out can make the next one late. Plans stay feasible."""
    problem = one_way_day(6, n_trips=30, n_cars=3)
    t = [list(row) for row in problem.travel.time]
    rnd = random.Random(1)
    for a, b in itertools.permutations(range(len(t)), 2):
        if rnd.random() < 0.3:
            t[a][b] += 40 * MIN
    problem = replace(problem, travel=Travel.of(t, t))
    solution = solve(problem, SolveParams(time_limit=1.5))
    assert check(problem, solution) == []
    assert solution.routes


def test_annealing_returns_the_best_plan_seen() -> None:
    problem = one_way_day(8, n_trips=40, n_cars=4)
    c, run = run_of(problem, seed=2)
    run.construct()
    built = run.best_cost
    run.anneal(time.monotonic() + 1.0, 5.0, 0.01)
    assert run.iterations > 0
    assert run.cost == run.best_cost <= built
    routes, unserved = plan_of(problem, c, run.routes(), {})
    assert check(problem, Solution(tuple(routes), tuple(unserved), {}, {})) == []


def test_the_engine_can_be_told_to_use_the_python_search() -> None:
    problem = one_way_day(9, n_trips=12)
    params = SolveParams(time_limit=1.0, search=SearchKnobs(compiled=False))
    c, _ = compile_problem(problem, params)
    assert _search._wants_construction(c, params, fleet=False) is False
    assert check(problem, solve(problem, params)) == []


def test_warming_up_loads_the_core() -> None:
    assert _sisr.warm() >= 0.0


def test_a_return_leg_never_rides_without_its_outbound() -> None:
    """Round trips: after construction and many ruins, every placed return has its outbound
    placed, and the plan passes the checker with nothing dropped as an orphan."""
    problem = busy_day(12, n_trips=50, n_cars=3)
    c, run = run_of(problem, seed=4)
    assert c.links
    run.construct()
    run.anneal(time.monotonic() + 1.0, 1.0, 0.01)
    where = run.S[6]
    for out, ret, _ in c.links:
        assert where[ret] < 0 or where[out] >= 0
    assert any(where[ret] >= 0 for _, ret, _ in c.links)
    routes, unserved = plan_of(problem, c, run.routes(), {})
    assert check(problem, Solution(tuple(routes), tuple(unserved), {}, {})) == []
    assert all(u.reason != "outbound_unserved" for u in unserved)


def test_a_re_plan_starts_from_the_previous_plan_and_keeps_requests_on_their_vehicles() -> None:
    """With a high price on moving, a re-plan of an unchanged day keeps every request where it
    was; a route that became infeasible is rebuilt, not kept."""
    problem = one_way_day(13, n_trips=24, n_cars=3)
    first = solve(problem, SolveParams(time_limit=1.0))
    previous = {r.vehicle: tuple(Stop(v.request, v.kind) for v in r.visits) for r in first.routes}
    again = replace(problem, previous=previous)
    params = SolveParams(time_limit=1.0, weights=Weights(moved=10 * HOUR))
    second = solve(again, params)
    assert check(again, second) == []
    assert second.objective["moved"] == 0
    assert len(second.unserved) <= len(first.unserved)
    # A previous route with a stop order no schedule can keep is dropped, not trusted.
    c, run = run_of(again)
    broken = [list(reversed(r)) for r in c.previous_routes]
    run.start_from(broken)
    assert all(int(n) == 0 for n, r in zip(run.S[1], broken, strict=True) if r)
