"""A Solution refuses to exist when it contradicts itself, and names what is wrong."""

from __future__ import annotations

import pytest

from scheduler.solver import (
    Route,
    SchedulerError,
    Solution,
    SolutionError,
    StopKind,
    Unserved,
    UnservedReason,
    Visit,
)

P, D = StopKind.PICKUP, StopKind.DROPOFF
NO_ROOM = UnservedReason.NO_ROOM


def route(vehicle: str, *stops: tuple[str, StopKind]) -> Route:
    """A route visiting ``stops`` in order, ten minutes apart (times do not matter here)."""
    visits = tuple(Visit(r, kind, 0, 600 * (k + 1)) for k, (r, kind) in enumerate(stops))
    return Route(vehicle, visits, 0, 600 * (len(stops) + 1))


def solution(*routes: Route, unserved: tuple[str, ...] = ()) -> Solution:
    """A solution of ``routes`` with ``unserved`` listed as having no room."""
    return Solution(routes, tuple(Unserved(r, NO_ROOM) for r in unserved), {}, {})


def test_a_consistent_solution_is_accepted() -> None:
    """Two rides sharing a car, one ride alone, one request left out: all fine."""
    made = solution(
        route("v1", ("a", P), ("b", P), ("a", D), ("b", D)),
        route("v2", ("c", P), ("c", D)),
        unserved=("d",),
    )
    assert made.route_of("v1") is not None
    assert made.route_of("v3") is None


def test_an_empty_solution_is_accepted() -> None:
    """No routes and nothing unserved is a valid (empty) solution."""
    assert solution().routes == ()


def test_a_request_both_served_and_unserved_is_refused() -> None:
    """Served on v1 and listed unserved at the same time."""
    with pytest.raises(SolutionError, match=r"request a is both served \(on v1\) and unserved"):
        solution(route("v1", ("a", P), ("a", D)), unserved=("a",))


def test_a_request_listed_unserved_twice_is_refused() -> None:
    """One reason per unserved request."""
    with pytest.raises(SolutionError, match="request a is listed unserved more than once"):
        solution(unserved=("a", "a"))


def test_a_drop_off_before_its_pick_up_is_refused() -> None:
    """The rider cannot leave the car before getting in."""
    with pytest.raises(SolutionError, match="request a is dropped off on v1 without being picked"):
        solution(route("v1", ("a", D), ("a", P)))


def test_a_pick_up_without_a_drop_off_is_refused() -> None:
    """Nobody stays in the car at the end of the day."""
    with pytest.raises(SolutionError, match="v1 picks up a but never drops off"):
        solution(route("v1", ("a", P), ("b", P), ("b", D)))


def test_pick_up_and_drop_off_on_different_routes_is_refused() -> None:
    """A ride is one vehicle's: picked up by v1, dropped by v2 is two halves of nothing."""
    with pytest.raises(SolutionError, match="request a is dropped off on v2 without being picked"):
        solution(route("v2", ("a", D)), route("v1", ("a", P), ("a", D)))
    with pytest.raises(SolutionError, match="v1 picks up a but never drops off"):
        solution(route("v1", ("a", P)), route("v2", ("a", D)))


def test_a_pick_up_twice_is_refused() -> None:
    """The same stop twice, on one route or on two."""
    with pytest.raises(
        SolutionError, match=r"request a is picked up more than once \(on v1 and v1\)"
    ):
        solution(route("v1", ("a", P), ("a", D), ("a", P), ("a", D)))
    with pytest.raises(
        SolutionError, match=r"request a is picked up more than once \(on v1 and v2\)"
    ):
        solution(route("v1", ("a", P), ("a", D)), route("v2", ("a", P), ("a", D)))


def test_a_drop_off_twice_is_refused() -> None:
    """Dropped off, then dropped off again."""
    with pytest.raises(SolutionError, match="request a is dropped off more than once on v1"):
        solution(route("v1", ("a", P), ("a", D), ("a", D)))


def test_two_routes_for_one_vehicle_are_refused() -> None:
    """A vehicle drives one route a day."""
    with pytest.raises(SolutionError, match="vehicle v1 has more than one route"):
        solution(route("v1", ("a", P), ("a", D)), route("v1", ("b", P), ("b", D)))


def test_solution_errors_are_scheduler_errors() -> None:
    """Callers that catch ``SchedulerError`` (the CLI, the adapter) catch these too."""
    assert issubclass(SolutionError, SchedulerError)
