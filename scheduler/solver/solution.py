"""The result of a solve: timed routes, unserved requests with reasons, objective parts.

A ``Solution`` checks on construction that it is consistent in itself (each served request
picked up, then dropped off, on one route; nothing twice; nothing both served and unserved)
and raises ``SolutionError`` naming the fault. Whether it also keeps the problem's rules
(windows, capacity, locks) is ``check``'s job, which needs the ``Problem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from scheduler.solver.errors import SolutionError
from scheduler.solver.problem import StopKind


class UnservedReason(StrEnum):
    """Why a request is not in any route."""

    LOCKED_UNSERVED = "locked unserved by a dispatcher"
    NO_SKILLS = "no vehicle has the required skills"
    OVER_CAPACITY = "load exceeds every vehicle's capacity"
    IMPOSSIBLE_ALONE = "windows or ride time cannot be met even on a direct trip"
    PINNED_CANNOT_SERVE = "the vehicle it is pinned to cannot serve it"
    OUTBOUND_UNSERVED = "its outbound leg is not served"
    ROUND_TRIP_TOO_LONG = "the outbound, the wait and this return do not fit in their windows"
    NO_ROOM = "no room in any route within the time limit"


@dataclass(frozen=True)
class Visit:
    """One stop of a route with its planned service start."""

    request: str
    kind: StopKind
    location: int
    time: int


@dataclass(frozen=True)
class Route:
    """A vehicle's planned day: leave ``start`` time, visits in order, arrive back at ``end``."""

    vehicle: str
    visits: tuple[Visit, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Unserved:
    """A request left out, with the reason the solver can tell."""

    request: str
    reason: UnservedReason


@dataclass(frozen=True)
class Solution:
    """Result of ``solve``: routes of used vehicles, unserved requests, objective parts, stats.

    Building one that contradicts itself raises ``SolutionError`` (see the module docstring).
    """

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    objective: Mapping[str, int]
    stats: Mapping[str, float]

    def __post_init__(self) -> None:
        _validate(self)

    def route_of(self, vehicle: str) -> Route | None:
        """The route of ``vehicle``, or None when it is not used."""
        return next((r for r in self.routes if r.vehicle == vehicle), None)


def _validate(solution: Solution) -> None:
    """Raise ``SolutionError`` on the first inconsistency of ``solution`` in itself."""
    vehicles: set[str] = set()
    served: dict[str, str] = {}
    for route in solution.routes:
        if route.vehicle in vehicles:
            raise SolutionError(f"vehicle {route.vehicle} has more than one route")
        vehicles.add(route.vehicle)
        picked: set[str] = set()
        for visit in route.visits:
            if visit.kind is StopKind.PICKUP:
                if visit.request in served:
                    raise SolutionError(
                        f"request {visit.request} is picked up more than once "
                        f"(on {served[visit.request]} and {route.vehicle})"
                    )
                served[visit.request] = route.vehicle
                picked.add(visit.request)
            elif visit.request in picked:
                picked.remove(visit.request)
            elif served.get(visit.request) == route.vehicle:
                raise SolutionError(
                    f"request {visit.request} is dropped off more than once on {route.vehicle}"
                )
            else:
                raise SolutionError(
                    f"request {visit.request} is dropped off on {route.vehicle} "
                    "without being picked up before on that route"
                )
        if picked:
            raise SolutionError(
                f"{route.vehicle} picks up {', '.join(sorted(picked))} but never drops off"
            )
    unserved: set[str] = set()
    for u in solution.unserved:
        if u.request in unserved:
            raise SolutionError(f"request {u.request} is listed unserved more than once")
        if u.request in served:
            raise SolutionError(
                f"request {u.request} is both served (on {served[u.request]}) and unserved"
            )
        unserved.add(u.request)
