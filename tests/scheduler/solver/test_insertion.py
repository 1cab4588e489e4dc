"""try_insertion: a ride put into one route by hand, checked by the scheduler's own rules."""

from __future__ import annotations

from dataclasses import replace

from scheduler.solver import (
    Link,
    Problem,
    Request,
    Solution,
    Stop,
    StopKind,
    Travel,
    Vehicle,
    Window,
    check,
)
from scheduler.solver.insertion import check_route, try_insertion

# Locations: 0 depot, 1 home, 2 clinic; ten minutes between any two.
TRAVEL = Travel.of([[0, 600, 600], [600, 0, 600], [600, 600, 0]])
CAR = Vehicle("ann", 0, 0, Window(8 * 3600, 16 * 3600), capacity=(3, 0))
CLINIC_RIDE = Request(
    "r1",
    pickup=1,
    dropoff=2,
    dropoff_window=Window(9 * 3600, 10 * 3600),
    max_ride_time=1800,
)


def _problem(*requests: Request, vehicle: Vehicle = CAR) -> Problem:
    return Problem(requests=requests, vehicles=(vehicle,), travel=TRAVEL)


def test_a_ride_that_fits_gets_a_route_the_checker_accepts() -> None:
    problem = _problem(CLINIC_RIDE)
    inserted = try_insertion(problem, "ann", [], ["r1"])
    assert inserted.feasible and inserted.broken == ()
    assert inserted.route is not None
    assert [(v.request, v.kind) for v in inserted.route.visits] == [
        ("r1", StopKind.PICKUP),
        ("r1", StopKind.DROPOFF),
    ]
    solution = Solution((inserted.route,), (), {}, {})
    assert check(problem, solution) == []


def test_a_wheelchair_ride_in_a_car_without_the_space_is_refused() -> None:
    ride = replace(CLINIC_RIDE, skills=frozenset({"wheelchair"}), load=(0, 1))
    inserted = try_insertion(_problem(ride), "ann", [], ["r1"])
    assert not inserted.feasible
    assert {(b.rule, b.what) for b in inserted.broken} >= {("skills", "wheelchair")}


def test_too_many_passengers_break_the_seat_rule() -> None:
    ride = replace(CLINIC_RIDE, load=(4, 0))
    inserted = try_insertion(_problem(ride), "ann", [], ["r1"])
    [broken] = [b for b in inserted.broken if b.rule == "capacity"]
    assert (broken.what, broken.amount, broken.limit) == ("0", 4, 3)  # dimension 0: seats


def test_an_appointment_the_car_cannot_reach_in_time_says_how_late() -> None:
    late_shift = replace(CAR, shift=Window(10 * 3600, 16 * 3600))
    inserted = try_insertion(_problem(CLINIC_RIDE, vehicle=late_shift), "ann", [], ["r1"])
    [broken] = inserted.broken
    assert broken.rule == "window" and broken.kind is StopKind.DROPOFF
    assert broken.limit == 10 * 3600
    assert broken.amount == 20 * 60  # leaves at 10:00, 10 + 10 minutes of driving


def test_a_detour_past_the_ride_limit_breaks_the_ride_time_rule() -> None:
    # Another rider is dropped at home first; the clinic ride then lasts too long.
    other = Request("r2", pickup=2, dropoff=1)
    tight = replace(CLINIC_RIDE, max_ride_time=700, dropoff_window=None)
    order = [
        Stop("r1", StopKind.PICKUP),
        Stop("r2", StopKind.PICKUP),
        Stop("r2", StopKind.DROPOFF),
        Stop("r1", StopKind.DROPOFF),
    ]
    route, broken = check_route(_problem(tight, other), "ann", order)
    assert route is None
    assert any(b.rule == "ride_time" and b.limit == 700 for b in broken)


def test_a_return_waits_for_its_outbound_in_another_route() -> None:
    outbound = Request("out", pickup=1, dropoff=2)
    back = Request("back", pickup=2, dropoff=1, after=Link("out", 3600))
    problem = _problem(outbound, back)
    inserted = try_insertion(problem, "ann", [], ["back"], ready={"out": 9 * 3600})
    assert inserted.route is not None
    assert inserted.route.visits[0].time >= 10 * 3600
    alone = try_insertion(problem, "ann", [], ["back"])
    assert [b.rule for b in alone.broken] == ["link"]


def test_an_outbound_and_its_return_go_in_together() -> None:
    outbound = Request("out", pickup=1, dropoff=2, dropoff_window=Window(9 * 3600, 10 * 3600))
    back = Request("back", pickup=2, dropoff=1, after=Link("out", 3600))
    problem = _problem(outbound, back)
    inserted = try_insertion(problem, "ann", [], ["out", "back"])
    assert inserted.route is not None
    solution = Solution((inserted.route,), (), {}, {})
    assert check(problem, solution) == []
