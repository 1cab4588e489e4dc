"""Behaviour of ``solve`` on small named scenarios; every plan goes through the checker."""

from __future__ import annotations

from dataclasses import replace

from scheduler.solver import (
    Link,
    Locks,
    Problem,
    Request,
    SearchKnobs,
    Solution,
    SolveParams,
    Stop,
    StopKind,
    UnservedReason,
    Window,
    check,
    solve,
)
from tests.scheduler.conftest import FAST, HOUR, LOC, MIN, car, ride


def solved(problem: Problem, params: SolveParams = FAST) -> Solution:
    """Solve and insist the plan is feasible."""
    solution = solve(problem, params)
    assert check(problem, solution) == []
    return solution


def vehicle_of(solution: Solution, rid: str) -> str | None:
    """Which vehicle serves ``rid``."""
    for r in solution.routes:
        if any(v.request == rid for v in r.visits):
            return r.vehicle
    return None


def visit_time(solution: Solution, rid: str, kind: StopKind) -> int:
    """Planned service start of a request's pick-up or drop-off."""
    return next(
        v.time for r in solution.routes for v in r.visits if v.request == rid and v.kind is kind
    )


def test_every_ordinary_ride_is_served_on_a_feasible_plan(two_cars_four_rides: Problem) -> None:
    """Four easy rides, two cars: all served, checker finds nothing."""
    solution = solved(two_cars_four_rides)
    assert solution.unserved == ()
    assert solution.objective["unserved"] == 0


def grocery_trip(wait: int, home_by: int) -> tuple[Request, Request]:
    """Home to the grocery at 9:00-9:15 ("out") and back ("back") after ``wait`` at the store."""
    out = ride(
        "out",
        "home_a",
        "grocery",
        pickup_window=Window(9 * HOUR, 9 * HOUR + 15 * MIN),
        dropoff_service=2 * MIN,
    )
    back = ride(
        "back",
        "grocery",
        "home_a",
        after=Link("out", wait),
        dropoff_window=Window(9 * HOUR, home_by),
    )
    return out, back


def test_round_trip_return_waits_at_the_store_before_pickup(
    two_cars_four_rides: Problem,
) -> None:
    """The return leg leaves the grocery at least 45 minutes after the outbound drop-off."""
    problem = replace(two_cars_four_rides, requests=grocery_trip(45 * MIN, home_by=13 * HOUR))
    solution = solved(problem)
    assert solution.unserved == ()
    dropped = visit_time(solution, "out", StopKind.DROPOFF)
    assert visit_time(solution, "back", StopKind.PICKUP) >= dropped + 2 * MIN + 45 * MIN


def test_return_leg_stays_home_when_its_outbound_cannot_be_served(
    two_cars_four_rides: Problem,
) -> None:
    """No outbound, no return: the rider would be stranded otherwise."""
    out = ride("out", "home_a", "grocery", skills=frozenset({"lang:ar"}))
    back = ride("back", "grocery", "home_a", after=Link("out", 30 * MIN))
    solution = solved(replace(two_cars_four_rides, requests=(out, back)))
    reasons = {u.request: u.reason for u in solution.unserved}
    assert reasons == {
        "out": UnservedReason.NO_SKILLS,
        "back": UnservedReason.OUTBOUND_UNSERVED,
    }


def test_a_return_that_cannot_follow_its_outbound_is_unserved_with_that_reason(
    two_cars_four_rides: Problem,
) -> None:
    """The rider must be home by 10:00, but the store visit alone ends after that: the outbound
    still goes (the rider may have another way home) and the return says why it cannot."""
    trip = grocery_trip(60 * MIN, home_by=10 * HOUR)
    solution = solved(replace(two_cars_four_rides, requests=trip))
    assert {u.request: u.reason for u in solution.unserved} == {
        "back": UnservedReason.ROUND_TRIP_TOO_LONG
    }
    assert visit_time(solution, "out", StopKind.DROPOFF) > 9 * HOUR


def test_wheelchair_rider_rides_only_the_accessible_vehicle(two_cars_four_rides: Problem) -> None:
    """The only car with a wheelchair space and the skill gets the wheelchair rider."""
    chair = ride("chair", "home_a", "clinic", load=(0, 1), skills=frozenset({"wheelchair"}))
    van = car("van", capacity=(2, 1), skills=frozenset({"wheelchair"}))
    problem = replace(
        two_cars_four_rides,
        requests=(*two_cars_four_rides.requests, chair),
        vehicles=(car("v1"), van),
    )
    assert vehicle_of(solved(problem), "chair") == "van"


def test_cantonese_only_rider_gets_a_cantonese_speaking_driver(
    two_cars_four_rides: Problem,
) -> None:
    """A language skill restricts the rider to the driver who speaks it."""
    rider = ride("yue", "home_b", "legal_aid", skills=frozenset({"lang:yue"}))
    problem = replace(
        two_cars_four_rides,
        requests=(rider,),
        vehicles=(car("en"), car("yue_driver", skills=frozenset({"lang:yue", "lang:en"}))),
    )
    assert vehicle_of(solved(problem), "yue") == "yue_driver"


def test_shared_ride_is_refused_when_it_breaks_a_riders_max_ride_time(
    two_cars_four_rides: Problem,
) -> None:
    """Both riders go to the clinic; any shared order would detour one past their limit."""
    a = ride("a", "home_a", "clinic", max_ride_time=11 * MIN)  # direct: 10 min
    b = ride("b", "home_b", "clinic", max_ride_time=23 * MIN)  # direct: 22.4 min
    base = replace(two_cars_four_rides, requests=(a, b), vehicles=(car("v1"),))
    solution = solved(base)
    assert solution.unserved == ()
    stops = [(v.request, v.kind) for v in solution.routes[0].visits]
    for rider, other in (("a", "b"), ("b", "a")):
        onboard = stops[
            stops.index((rider, StopKind.PICKUP)) : stops.index((rider, StopKind.DROPOFF))
        ]
        assert not any(r == other for r, _ in onboard)
    # Without the limits the car shares, which is shorter: the limits made it refuse.
    loose = replace(base, requests=(replace(a, max_ride_time=None), replace(b, max_ride_time=None)))
    assert solved(loose).objective["travel_time"] < solution.objective["travel_time"]


def test_locked_assignment_is_kept_through_replanning(two_cars_four_rides: Problem) -> None:
    """A request pinned to v2 stays on v2 even when v1 would be cheaper."""
    locks = Locks(pinned={"r1": "v2"})
    problem = replace(two_cars_four_rides, locks=locks)
    first = solved(problem)
    assert vehicle_of(first, "r1") == "v2"
    again = solved(replace(problem, previous=previous_of(first)))
    assert vehicle_of(again, "r1") == "v2"


def test_frozen_route_is_kept_stop_for_stop(two_cars_four_rides: Problem) -> None:
    """A frozen route keeps its exact order; other requests go elsewhere."""
    order = (
        Stop("r2", StopKind.PICKUP),
        Stop("r4", StopKind.PICKUP),
        Stop("r2", StopKind.DROPOFF),
        Stop("r4", StopKind.DROPOFF),
    )
    problem = replace(two_cars_four_rides, locks=Locks(frozen_routes={"v1": order}))
    solution = solved(problem)
    route = solution.route_of("v1")
    assert route is not None
    assert tuple(Stop(v.request, v.kind) for v in route.visits) == order


def test_request_locked_unserved_stays_out_with_its_reason(two_cars_four_rides: Problem) -> None:
    """A dispatcher's 'do not serve' lock is honoured and explained."""
    problem = replace(two_cars_four_rides, locks=Locks(unserved=frozenset({"r3"})))
    solution = solved(problem)
    assert [(u.request, u.reason) for u in solution.unserved] == [
        ("r3", UnservedReason.LOCKED_UNSERVED)
    ]


def previous_of(solution: Solution) -> dict[str, tuple[Stop, ...]]:
    """A published plan as the next solve's ``previous``."""
    return {r.vehicle: tuple(Stop(v.request, v.kind) for v in r.visits) for r in solution.routes}


def test_replan_after_one_new_request_changes_few_published_stops(
    two_cars_four_rides: Problem,
) -> None:
    """Adding one ride moves at most one old ride to another vehicle."""
    more = (
        *two_cars_four_rides.requests,
        ride("r5", "home_a", "grocery", pickup_window=Window(13 * HOUR, 14 * HOUR)),
        ride("r6", "home_c", "clinic", pickup_window=Window(14 * HOUR, 15 * HOUR)),
    )
    base = replace(two_cars_four_rides, requests=more)
    first = solved(base)
    new = ride("new", "home_b", "clinic", pickup_window=Window(10 * HOUR, 11 * HOUR))
    replanned = solved(replace(base, requests=(*more, new), previous=previous_of(first)), FAST)
    assert vehicle_of(replanned, "new") is not None
    moved = [r.id for r in more if vehicle_of(first, r.id) != vehicle_of(replanned, r.id)]
    assert len(moved) <= 1
    assert replanned.objective["moved"] == len(moved)


def test_impossible_requests_are_reported_unserved_with_their_reason(
    two_cars_four_rides: Problem,
) -> None:
    """Each pre-check names its own reason; nothing is dropped silently."""
    requests = (
        ride("skills", "home_a", "clinic", skills=frozenset({"lang:ar"})),
        ride("big", "home_a", "clinic", load=(9, 0)),
        ride("late", "home_a", "far_town", dropoff_window=Window(8 * HOUR, 8 * HOUR + 5 * MIN)),
        ride("ok", "home_b", "grocery"),
    )
    solution = solved(replace(two_cars_four_rides, requests=requests))
    assert {u.request: u.reason for u in solution.unserved} == {
        "skills": UnservedReason.NO_SKILLS,
        "big": UnservedReason.OVER_CAPACITY,
        "late": UnservedReason.IMPOSSIBLE_ALONE,
    }


def test_request_without_room_is_unserved_and_the_medical_ride_wins(
    two_cars_four_rides: Problem,
) -> None:
    """Two rides at the same moment, one car: the higher priority one is served."""
    when = Window(9 * HOUR, 9 * HOUR)
    grocery = ride("grocery", "home_a", "grocery", pickup_window=when, priority=1)
    medical = ride("medical", "home_c", "clinic", pickup_window=when, priority=3)
    problem = replace(two_cars_four_rides, requests=(grocery, medical), vehicles=(car("v1"),))
    solution = solved(problem)
    assert [(u.request, u.reason) for u in solution.unserved] == [
        ("grocery", UnservedReason.NO_ROOM)
    ]


def test_fewest_vehicles_are_used_when_one_can_do_it_all(two_cars_four_rides: Problem) -> None:
    """A fixed cost per vehicle makes one car do the whole easy morning."""
    vehicles = (car("v1", fixed_cost=100_000), car("v2", fixed_cost=100_000))
    solution = solved(replace(two_cars_four_rides, vehicles=vehicles))
    assert solution.objective["vehicles"] == 1


def test_same_seed_gives_the_same_plan(two_cars_four_rides: Problem) -> None:
    """With a deterministic stop (solution limit), repeated solves agree exactly."""
    params = replace(FAST, seed=7, time_limit=5, search=SearchKnobs(solution_limit=50))
    a = solved(two_cars_four_rides, params)
    b = solved(two_cars_four_rides, params)
    assert a.routes == b.routes


def test_every_first_solution_strategy_gives_a_feasible_plan(
    two_cars_four_rides: Problem,
) -> None:
    """Trying several starts keeps the best and stays feasible."""
    params = replace(
        FAST,
        search=SearchKnobs(
            first_solutions=("parallel_cheapest_insertion", "local_cheapest_insertion", "savings")
        ),
    )
    assert solved(two_cars_four_rides, params).unserved == ()


def test_location_outside_the_matrix_is_a_problem_error(two_cars_four_rides: Problem) -> None:
    """A bad index is refused with a clear error, not a crash inside OR-Tools."""
    import pytest

    from scheduler.solver import ProblemError

    bad = replace(two_cars_four_rides, requests=(ride("x", "home_a", "clinic"),))
    bad = replace(bad, requests=(replace(bad.requests[0], dropoff=len(LOC) + 3),))
    with pytest.raises(ProblemError, match="outside the travel matrix"):
        solve(bad, FAST)


def test_frozen_route_naming_an_unknown_request_is_a_lock_conflict(
    two_cars_four_rides: Problem,
) -> None:
    """A frozen route must only name known requests, each picked up before drop-off."""
    import pytest

    from scheduler.solver import LockConflictError

    bad = (Stop("ghost", StopKind.PICKUP), Stop("ghost", StopKind.DROPOFF))
    problem = replace(two_cars_four_rides, locks=Locks(frozen_routes={"v1": bad}))
    with pytest.raises(LockConflictError, match="unknown request ghost"):
        solve(problem, FAST)
    backwards = (Stop("r1", StopKind.DROPOFF), Stop("r1", StopKind.PICKUP))
    problem = replace(two_cars_four_rides, locks=Locks(frozen_routes={"v1": backwards}))
    with pytest.raises(LockConflictError, match="before pick-up"):
        solve(problem, FAST)


def test_frozen_route_that_cannot_be_kept_on_time_is_a_lock_conflict(
    two_cars_four_rides: Problem,
) -> None:
    """Freezing an order that misses a window is refused with a message, not a bad plan."""
    import pytest

    from scheduler.solver import LockConflictError

    early = replace(two_cars_four_rides.requests[0], pickup_window=Window(8 * HOUR, 8 * HOUR))
    late = ride("late", "home_c", "legal_aid")
    order = (
        Stop("late", StopKind.PICKUP),
        Stop("late", StopKind.DROPOFF),
        Stop("r1", StopKind.PICKUP),
        Stop("r1", StopKind.DROPOFF),
    )
    problem = replace(
        two_cars_four_rides,
        requests=(early, late),
        locks=Locks(frozen_routes={"v1": order}),
    )
    with pytest.raises(LockConflictError, match="cannot be kept on time"):
        solve(problem, FAST)
