"""The checker catches every kind of violation: feed it broken plans and name the kind."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from scheduler.solver import (
    Link,
    Locks,
    Problem,
    Route,
    Solution,
    Stop,
    StopKind,
    Unserved,
    UnservedReason,
    Visit,
    Window,
    check,
)
from tests.scheduler.conftest import HOUR, LOC, MIN, car, ride, town

P, D = StopKind.PICKUP, StopKind.DROPOFF


@pytest.fixture
def one_ride() -> Problem:
    """One rider from home_a (10 min from the depot) to the clinic (10 min further)."""
    return Problem(
        requests=(ride("r", "home_a", "clinic", pickup_service=60, max_ride_time=15 * MIN),),
        vehicles=(car("v", max_duration=HOUR),),
        travel=town(),
    )


@pytest.fixture
def good(one_ride: Problem) -> Solution:
    """A correct plan for ``one_ride``: leave at 9:00, pick up 9:10, drop 9:21."""
    t0 = 9 * HOUR
    visits = (
        Visit("r", P, LOC["home_a"], t0 + 10 * MIN),
        Visit("r", D, LOC["clinic"], t0 + 21 * MIN),
    )
    return Solution((Route("v", visits, t0, t0 + 41 * MIN),), (), {}, {})


def kinds(problem: Problem, solution: Solution) -> set[str]:
    """The kinds of violations found."""
    return {v.kind for v in check(problem, solution)}


def unvalidated(solution: Solution, **changes: object) -> Solution:
    """``solution`` with ``changes``, built around ``Solution``'s own validation.

    The checker must not lean on that validation: it judges any plan it is given, so the
    plans that validation would refuse are made here to show the checker catches them too.
    """
    made = object.__new__(Solution)
    for f in fields(Solution):
        object.__setattr__(made, f.name, changes.get(f.name, getattr(solution, f.name)))
    return made


def with_visits(solution: Solution, *visits: Visit, start: int | None = None) -> Solution:
    """``solution`` with its one route's visits replaced (not validated, see ``unvalidated``)."""
    route = solution.routes[0]
    route = replace(route, visits=visits, start=route.start if start is None else start)
    return unvalidated(solution, routes=(route,))


def test_correct_plan_has_no_violation(one_ride: Problem, good: Solution) -> None:
    """The reference plan is clean, so every other test isolates one fault."""
    assert check(one_ride, good) == []


def test_arriving_before_travel_allows_is_a_time_violation(
    one_ride: Problem, good: Solution
) -> None:
    """Service cannot start before the vehicle can get there."""
    p, d = good.routes[0].visits
    assert "time" in kinds(one_ride, with_visits(good, replace(p, time=p.time - 60), d))


def test_missing_a_window_is_caught(one_ride: Problem, good: Solution) -> None:
    """A pick-up after its window closes."""
    late = replace(one_ride.requests[0], pickup_window=Window(8 * HOUR, 9 * HOUR))
    assert "window" in kinds(replace(one_ride, requests=(late,)), good)


def test_dropoff_before_pickup_is_an_order_violation(one_ride: Problem, good: Solution) -> None:
    """The drop-off comes first in the route."""
    p, d = good.routes[0].visits
    swapped = with_visits(good, replace(d, time=p.time), replace(p, time=d.time + 30 * MIN))
    assert "order" in kinds(one_ride, swapped)


def test_overfull_vehicle_is_a_capacity_violation(one_ride: Problem, good: Solution) -> None:
    """Four seats needed in a three-seat car."""
    heavy = replace(one_ride.requests[0], load=(4, 0))
    assert "capacity" in kinds(replace(one_ride, requests=(heavy,)), good)


def test_long_ride_is_a_ride_time_violation(one_ride: Problem, good: Solution) -> None:
    """Waiting with the rider on board pushes the ride past its limit."""
    p, d = good.routes[0].visits
    slow = with_visits(good, p, replace(d, time=d.time + 10 * MIN))
    slow = replace(slow, routes=(replace(slow.routes[0], end=slow.routes[0].end + 10 * MIN),))
    assert kinds(one_ride, slow) == {"ride_time"}


def test_long_day_is_a_duration_violation(one_ride: Problem, good: Solution) -> None:
    """Leaving the depot hours early breaks the maximum route duration."""
    early = with_visits(good, *good.routes[0].visits, start=8 * HOUR)
    assert kinds(one_ride, early) == {"duration"}


def test_working_outside_the_shift_is_caught(one_ride: Problem, good: Solution) -> None:
    """Returning after the shift ends."""
    late = replace(good, routes=(replace(good.routes[0], end=19 * HOUR),))
    assert "shift" in kinds(one_ride, late)


def test_vehicle_without_the_skill_is_caught(one_ride: Problem, good: Solution) -> None:
    """A Cantonese-only rider with a driver who does not speak it."""
    yue = replace(one_ride.requests[0], skills=frozenset({"lang:yue"}))
    assert "skills" in kinds(replace(one_ride, requests=(yue,)), good)


def test_serving_twice_is_caught(one_ride: Problem, good: Solution) -> None:
    """A request both served and listed unserved."""
    twice = unvalidated(good, unserved=(Unserved("r", UnservedReason.NO_ROOM),))
    assert "served_twice" in kinds(one_ride, twice)


def test_request_left_out_silently_is_caught(one_ride: Problem, good: Solution) -> None:
    """Nothing may vanish: unserved requests must be listed with a reason."""
    assert "dropped" in kinds(one_ride, replace(good, routes=()))


def test_breaking_a_pin_is_caught(one_ride: Problem, good: Solution) -> None:
    """The request rides v although the dispatcher pinned it to w."""
    pinned = replace(one_ride, vehicles=(*one_ride.vehicles, car("w")), locks=Locks({"r": "w"}))
    assert "pinned" in kinds(pinned, good)


def test_serving_a_locked_unserved_request_is_caught(one_ride: Problem, good: Solution) -> None:
    """The dispatcher said do not serve it."""
    locked = replace(one_ride, locks=Locks(unserved=frozenset({"r"})))
    assert "locked_unserved" in kinds(locked, good)


def test_changing_a_frozen_route_is_caught(one_ride: Problem, good: Solution) -> None:
    """The frozen order had nothing on v; the plan added a ride."""
    frozen = replace(one_ride, locks=Locks(frozen_routes={"v": (Stop("r", P),)}))
    assert "frozen" in kinds(frozen, good)


def test_return_leaving_before_the_wait_is_over_is_caught(
    one_ride: Problem, good: Solution
) -> None:
    """A round trip's return picked up 5 minutes after the outbound drop-off, 30 required."""
    back = ride("back", "clinic", "home_a", after=Link("r", 30 * MIN))
    problem = replace(one_ride, requests=(*one_ride.requests, back))
    p, d = good.routes[0].visits
    t = d.time + 5 * MIN
    plan = with_visits(
        good, p, d, Visit("back", P, LOC["clinic"], t), Visit("back", D, LOC["home_a"], t + 600)
    )
    plan = replace(plan, routes=(replace(plan.routes[0], end=t + 600 + 600),))
    assert kinds(problem, plan) == {"link"}


def test_visit_at_the_wrong_place_is_caught(one_ride: Problem, good: Solution) -> None:
    """The plan says the pick-up is at the grocery, the request says home_a."""
    p, d = good.routes[0].visits
    assert "location" in kinds(one_ride, with_visits(good, replace(p, location=LOC["grocery"]), d))
