"""Search phases: several starts, vehicle reduction and decomposition keep plans feasible."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from scheduler.solver import (
    Problem,
    SearchKnobs,
    Solution,
    Stop,
    Weights,
    Window,
    _decompose,
    check,
    solve,
)
from scheduler.solver import _ortools as backend
from scheduler.solver._compile import compile_problem
from scheduler.solver._search import fleet_first
from scheduler.solver.solve import plan_of
from tests.scheduler.conftest import FAST, HOUR, busy_day, car, ride


def busy_morning(base: Problem, fixed_cost: int = 50_000) -> Problem:
    """Twelve rides and four cars with a fixed cost each: room to merge routes.

    At the default fixed cost a car outweighs every arc (fleet first: our own search plans
    it); at ``ROUTING`` a car is cheap enough that the OR-Tools search and its phases do."""
    places = ["home_a", "home_b", "home_c", "grocery", "clinic", "legal_aid"]
    requests = tuple(
        ride(
            f"r{k}",
            places[k % 6],
            places[(k + 2) % 6],
            pickup_window=Window(9 * HOUR + k * 900, 10 * HOUR + k * 900),
        )
        for k in range(12)
    )
    vehicles = tuple(car(f"v{k}", fixed_cost=fixed_cost) for k in range(4))
    return replace(base, requests=requests, vehicles=vehicles)


ROUTING = 2_000  # a car's fixed cost below the town's longest arcs summed: OR-Tools plans


def spy(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    """Record each call of ``module.name`` (still calling it) and return the record."""
    calls: list[object] = []
    real = getattr(module, name)

    def recording(*args: Any, **kw: Any) -> Any:
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(module, name, recording)
    return calls


def test_when_a_vehicle_outweighs_any_distance_our_search_plans_with_fewest_routes(
    two_cars_four_rides: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed cost above every place's longest arc summed: vehicle count first, planned by
    our construction, ruin and recreate and route elimination; OR-Tools is not called."""
    problem = busy_morning(two_cars_four_rides)
    c, _ = compile_problem(problem, FAST)
    assert fleet_first(c, problem.travel, FAST)
    # the same cars when distance weighs a hundred times more: no longer vehicle count first
    assert not fleet_first(c, problem.travel, replace(FAST, weights=Weights(travel=100)))

    def no_search(model: backend.Model, **kw: Any) -> Any:
        raise AssertionError("OR-Tools searched")

    monkeypatch.setattr(backend, "search", no_search)
    solution = solve(problem, replace(FAST, time_limit=1.5))
    assert check(problem, solution) == []
    assert solution.unserved == ()
    assert solution.objective["vehicles"] <= 2


def test_vehicle_reduction_ends_with_no_more_routes_than_the_main_search(
    two_cars_four_rides: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Emptying routes one by one serves everyone on few cars, feasibly."""
    problem = busy_morning(two_cars_four_rides, ROUTING)
    searches = spy(monkeypatch, backend, "search")
    search = SearchKnobs(reduce_vehicles=True, construct="never")
    solution = solve(problem, replace(FAST, time_limit=1.5, search=search))
    assert check(problem, solution) == []
    assert solution.unserved == ()
    assert solution.objective["vehicles"] <= 2
    assert len(searches) >= 2  # the main search, then at least one reduction attempt


def decompose_round_robin(problem: Problem, how: _decompose.SubSearch) -> tuple[Solution, int]:
    """Hand the decomposition a feasible start (ride k on car k mod 4) and three seconds.

    Called directly rather than through ``solve``, so that how busy the machine is cannot
    decide whether any sub-problem gets searched; returns the plan and how many improved.
    """
    c, reasons = compile_problem(problem, FAST)
    m = backend.node_matrices(c, problem.travel, FAST.arc_cost, FAST.weights.travel)
    start: list[list[int]] = [[] for _ in c.vehicles]
    for k in range(len(c.requests)):
        start[k % len(c.vehicles)] += [2 * k, 2 * k + 1]
    before, _ = plan_of(problem, c, start, reasons)
    assert check(problem, Solution(tuple(before), (), objective={}, stats={})) == []
    routes, improved = _decompose.improve(c, m, start, time.monotonic() + 3.0, 0, how)
    after, unserved = plan_of(problem, c, routes, reasons)
    return Solution(tuple(after), tuple(unserved), objective={}, stats={}), improved


def test_decomposition_keeps_the_plan_feasible_and_complete(
    two_cars_four_rides: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-optimising a few routes at a time never loses a request or breaks a rule."""
    problem = busy_morning(two_cars_four_rides, ROUTING)
    subs = spy(monkeypatch, _decompose, "_solve_sub")
    how = _decompose.SubSearch("", "guided_local_search", sub_seconds=0.2)
    solution, _ = decompose_round_robin(problem, how)
    assert check(problem, solution) == []
    assert solution.unserved == ()
    assert subs, "no sub-problem was solved"


def test_several_first_solutions_with_a_previous_plan_still_warm_start(
    two_cars_four_rides: Problem,
) -> None:
    """With a previous plan the warm start wins over trying other starts."""
    first = solve(two_cars_four_rides, FAST)
    previous = {r.vehicle: tuple(Stop(v.request, v.kind) for v in r.visits) for r in first.routes}
    params = replace(
        FAST, search=SearchKnobs(first_solutions=("savings", "parallel_cheapest_insertion"))
    )
    again = solve(replace(two_cars_four_rides, previous=previous), params)
    assert check(two_cars_four_rides, again) == []
    assert again.objective["moved"] == 0


def test_cpsat_sub_problems_keep_the_plan_feasible_and_complete(
    two_cars_four_rides: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CP-SAT sub-problem solver only ever returns complete, rule-abiding routes."""
    problem = busy_morning(two_cars_four_rides, ROUTING)
    cpsat = spy(monkeypatch, backend, "cpsat_routes")
    how = _decompose.SubSearch("", "guided_local_search", sub_seconds=0.3, sub_solver="cpsat")
    solution, _ = decompose_round_robin(problem, how)
    assert check(problem, solution) == []
    assert solution.unserved == ()
    assert cpsat, "CP-SAT solved no sub-problem"


def test_descending_from_several_starts_keeps_the_best_feasible_plan(
    two_cars_four_rides: Problem,
) -> None:
    """A portfolio of starts, each descended, ends on one feasible plan."""
    problem = busy_morning(two_cars_four_rides, ROUTING)
    params = replace(
        FAST,
        time_limit=1.5,
        search=SearchKnobs(
            first_solutions=("parallel_cheapest_insertion", "savings", "global_cheapest_arc"),
            construct="never",  # the OR-Tools path's portfolio of starts
            descend_starts=True,
            start_share=0.6,
        ),
    )
    solution = solve(problem, params)
    assert check(problem, solution) == []
    assert solution.unserved == ()
    assert solution.stats["starts_tried"] == 3


def test_a_big_linked_day_is_planned_by_parts_and_the_whole_model_is_never_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Our start, then ruin and recreate; OR-Tools is not called.

    (OR-Tools cannot be stopped while it checks a start or builds a first solution for the
    whole of a big day, so searching it would break the time limit.)
    """
    problem = busy_day(3, n_trips=150, n_cars=10)
    searched: list[int] = []
    real = backend.search

    def spy(model: backend.Model, **kw: Any) -> Any:
        searched.append(model.manager.GetNumberOfNodes())
        return real(model, **kw)

    monkeypatch.setattr(backend, "search", spy)
    solution = solve(problem, replace(FAST, time_limit=2.0))
    assert check(problem, solution) == []
    served = sum(len(r.visits) // 2 for r in solution.routes)
    assert served >= 0.85 * len(problem.requests)
    assert searched == []


def test_decomposition_keeps_a_day_with_round_trips_feasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sub-problems move linked legs only within their window bounds."""
    problem = busy_day(2, n_trips=24, n_cars=4)
    subs: list[int] = []
    real = _decompose._solve_sub

    def spy(plan: Any, reqs: list[int], *args: Any) -> Any:
        subs.append(len(reqs))
        return real(plan, reqs, *args)

    monkeypatch.setattr(_decompose, "_solve_sub", spy)
    params = replace(
        FAST,
        time_limit=2.0,
        search=SearchKnobs(construct="never", decompose=True, main_share=0.3, sub_seconds=0.2),
    )
    solution = solve(problem, params)
    assert subs, "sub-problems were searched"
    assert check(problem, solution) == []


def test_cpsat_re_solves_two_routes_into_complete_ordered_routes_no_dearer(
    two_cars_four_rides: Problem,
) -> None:
    """Given two routes, CP-SAT returns routes over the same stops, each pick-up before its
    drop-off, within every window, and costing no more than the routes it was given."""
    problem = two_cars_four_rides
    c, _ = compile_problem(problem, FAST)
    m = backend.node_matrices(c, problem.travel, FAST.arc_cost, FAST.weights.travel)
    given = [[0, 1, 2, 3], [4, 5, 6, 7]]
    found = backend.cpsat_routes(c, m, [0, 1], given, time_limit=5.0, seed=0)
    assert found is not None
    assert sorted(n for r in found for n in r) == list(range(8))
    for route in found:
        for n in route:
            if n % 2 == 0:
                assert n + 1 in route and route.index(n) < route.index(n + 1)
    routes, unserved = plan_of(problem, c, found, {})
    assert unserved == []
    assert check(problem, Solution(tuple(routes), (), objective={}, stats={})) == []
    cost = [_decompose.route_cost(m, c, v, r) for v, r in enumerate(found)]
    before = [_decompose.route_cost(m, c, v, r) for v, r in enumerate(given)]
    assert sum(cost) <= sum(before)
