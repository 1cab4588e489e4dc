"""Ruin and recreate: never a worse plan, never a broken rule or a return without its outbound."""

from __future__ import annotations

import time

from scheduler._compile import compile_problem
from scheduler._construct import fill, new_day
from scheduler._ruin import ruin_and_recreate
from scheduler.check import check
from scheduler.problem import Solution, SolveParams
from scheduler.solve import plan_of
from tests.scheduler.conftest import busy_day


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
