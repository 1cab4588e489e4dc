"""Our cheapest-insertion start: complete, feasible routes that respect links and seats."""

from __future__ import annotations

import time
from dataclasses import replace

from scheduler.solver import Problem, Solution, SolveParams, Stop, StopKind, check
from scheduler.solver._compile import Compiled, compile_problem
from scheduler.solver._construct import fill, new_day
from scheduler.solver.solve import plan_of
from tests.scheduler.conftest import HOUR, busy_day


def construct(
    c: Compiled, problem: Problem, start: list[list[int]] | None = None, moved: int = 0
) -> list[list[int]]:
    day = new_day(c, problem.travel, "time", 1, start, moved)
    fill(day, time.monotonic() + 5)
    return day.routes_as_nodes()


def constructed(problem: Problem) -> tuple[list[list[int]], Solution]:
    c, reasons = compile_problem(problem, SolveParams())
    routes = construct(c, problem)
    timed, unserved = plan_of(problem, c, routes, reasons)
    return routes, Solution(tuple(timed), tuple(unserved), {}, {})


def test_constructed_routes_pass_the_checker_and_serve_most_requests() -> None:
    for seed in range(5):
        problem = busy_day(seed)
        _, solution = constructed(problem)
        assert check(problem, solution) == [], seed
        served = sum(len(r.visits) // 2 for r in solution.routes)
        assert served >= 0.8 * len(problem.requests), (seed, served)


def test_construction_never_places_a_return_without_its_outbound() -> None:
    problem = busy_day(0, n_trips=60, n_cars=2)
    c, _ = compile_problem(problem, SolveParams())
    routes = construct(c, problem)
    placed = {n // 2 for r in routes for n in r}
    assert len(placed) < len(c.requests)  # two cars cannot carry this day: some stay out
    for out, ret, _ in c.links:
        assert ret not in placed or out in placed


def test_construction_keeps_the_previous_plan_when_moving_costs_more_than_it_saves() -> None:
    problem = busy_day(1)
    c, _ = compile_problem(problem, SolveParams())
    first = construct(c, problem)
    kept = [[r[0], r[0] + 1] if r else [] for r in first]  # each route's first request
    previous = {
        problem.vehicles[v].id: tuple(
            Stop(c.requests[n // 2].id, StopKind.PICKUP if n % 2 == 0 else StopKind.DROPOFF)
            for n in route
        )
        for v, route in enumerate(kept)
        if route
    }
    replan = replace(problem, previous=previous)
    c, _ = compile_problem(replan, SolveParams())
    assert c.previous_routes == kept
    again = construct(c, problem, c.previous_routes, moved=10 * HOUR)
    for before, after in zip(kept, again, strict=True):
        assert [n for n in after if n in before] == before
    assert sum(map(len, again)) > sum(map(len, kept))
