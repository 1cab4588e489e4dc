"""Ruin and recreate: never a worse plan, never a broken rule or a return without its outbound."""

from __future__ import annotations

import time
from dataclasses import replace

from scheduler.solver import Solution, SolveParams, check
from scheduler.solver._compile import compile_problem
from scheduler.solver._construct import fill, new_day
from scheduler.solver._ruin import Annealing, ruin_and_recreate
from scheduler.solver.solve import plan_of
from tests.scheduler.conftest import HOUR, busy_day


def test_ruin_and_recreate_keeps_the_plan_feasible_and_never_raises_its_cost() -> None:
    problem = busy_day(4, n_trips=60, n_cars=5)
    c, reasons = compile_problem(problem, SolveParams())
    day = new_day(c, problem.travel, "time", 1)
    fill(day, time.monotonic() + 5)
    before = day.cost()
    weight_before = sum(c.requests[r].priority for r in day.placed)
    routes, _ = ruin_and_recreate(day, time.monotonic() + 0.5, seed=1)
    assert day.cost() <= before
    # unserved penalties dwarf route costs: a cost no higher serves no less priority
    assert sum(c.requests[r].priority for r in day.placed) >= weight_before
    placed = {n // 2 for r in routes for n in r}
    for out, ret, _ in c.links:
        assert ret not in placed or out in placed
    timed, unserved = plan_of(problem, c, routes, reasons)
    assert check(problem, Solution(tuple(timed), tuple(unserved), {}, {})) == []


def test_annealing_returns_the_best_plan_seen_never_a_worse_one() -> None:
    """Worse plans may be accepted on the way; what comes back costs no more than the start."""
    problem = busy_day(5, n_trips=60, n_cars=5)
    c, reasons = compile_problem(problem, SolveParams())
    day = new_day(c, problem.travel, "time", 1)
    fill(day, time.monotonic() + 5)
    before = day.cost()
    how = Annealing(start=5.0, end=0.05)
    routes, _ = ruin_and_recreate(day, time.monotonic() + 0.5, seed=2, how=how)
    assert day.cost() <= before
    assert routes == day.routes_as_nodes()
    timed, unserved = plan_of(problem, c, routes, reasons)
    assert check(problem, Solution(tuple(timed), tuple(unserved), {}, {})) == []


def test_route_elimination_uses_no_more_vehicles_and_serves_no_fewer_requests() -> None:
    """With a fixed cost per vehicle, emptying routes keeps every placed request placed."""
    problem = busy_day(6, n_trips=40, n_cars=6)
    problem = replace(
        problem, vehicles=tuple(replace(v, fixed_cost=100 * HOUR) for v in problem.vehicles)
    )
    c, reasons = compile_problem(problem, SolveParams())
    day = new_day(c, problem.travel, "time", 1)
    day.spreading = True  # every driver gets work: something to eliminate
    for r in range(len(c.requests)):
        if day.may_place(r):
            day.place(r)
    day.spreading = False
    used = sum(1 for r in day.routes_as_nodes() if r)
    placed = len(day.placed)
    how = Annealing(eliminate=0.7)
    routes, _ = ruin_and_recreate(day, time.monotonic() + 1.0, seed=3, how=how)
    assert len(day.placed) >= placed
    assert sum(1 for r in routes if r) <= used
    timed, unserved = plan_of(problem, c, routes, reasons)
    assert check(problem, Solution(tuple(timed), tuple(unserved), {}, {})) == []
