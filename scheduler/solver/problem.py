"""The scheduling problem and its solution as plain frozen dataclasses.

Units are integers chosen by the caller: the product uses seconds and metres, the benchmark
loaders use file units scaled by 1000. Location indices point into the travel matrices; several
requests may share a location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

#: Seat types of the product; ``Request.load`` and ``Vehicle.capacity`` follow this order.
SEAT_TYPES: tuple[str, ...] = ("seat", "wheelchair")


@dataclass(frozen=True)
class Window:
    """Closed interval ``[earliest, latest]`` for the start of a service."""

    earliest: int
    latest: int


@dataclass(frozen=True)
class Link:
    """Makes a request the return leg of another one (a round trip with a wait).

    The return's pick-up starts no earlier than ``min_gap`` after the outbound drop-off has
    been served, and the return is served only if the outbound is.
    """

    outbound: str
    min_gap: int


@dataclass(frozen=True)
class Request:
    """One ride: pick a rider up at ``pickup`` and drop them at ``dropoff``."""

    id: str
    pickup: int
    dropoff: int
    load: tuple[int, ...] = (1, 0)
    pickup_window: Window | None = None
    dropoff_window: Window | None = None
    pickup_service: int = 0
    dropoff_service: int = 0
    max_ride_time: int | None = None
    skills: frozenset[str] = frozenset()
    priority: int = 1
    after: Link | None = None


@dataclass(frozen=True)
class Vehicle:
    """One driver's vehicle for the day."""

    id: str
    start: int
    end: int
    shift: Window
    capacity: tuple[int, ...] = (3, 0)
    skills: frozenset[str] = frozenset()
    max_duration: int | None = None
    fixed_cost: int = 0


class StopKind(StrEnum):
    """Whether a visit picks a rider up or drops them off."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True)
class Stop:
    """A request's pick-up or drop-off, as named in locks and previous plans."""

    request: str
    kind: StopKind


@dataclass(frozen=True)
class Travel:
    """Square integer matrices indexed by location: travel time and distance."""

    time: tuple[tuple[int, ...], ...]
    distance: tuple[tuple[int, ...], ...]

    @staticmethod
    def of(
        time: Sequence[Sequence[int]], distance: Sequence[Sequence[int]] | None = None
    ) -> Travel:
        """Build from any nested sequences; distance defaults to the time matrix."""
        t = tuple(tuple(int(x) for x in row) for row in time)
        d = t if distance is None else tuple(tuple(int(x) for x in row) for row in distance)
        return Travel(t, d)

    @property
    def size(self) -> int:
        """Number of locations."""
        return len(self.time)


@dataclass(frozen=True)
class Locks:
    """Decisions a dispatcher has fixed by hand and the solver must keep."""

    #: request id -> vehicle id it must ride on (or stay unserved if it cannot fit)
    pinned: Mapping[str, str] = field(default_factory=dict)
    #: requests the solver must leave unserved
    unserved: frozenset[str] = frozenset()
    #: vehicle id -> its exact route, kept as is (no stop added, removed or moved)
    frozen_routes: Mapping[str, tuple[Stop, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """Everything one solve needs."""

    requests: tuple[Request, ...]
    vehicles: tuple[Vehicle, ...]
    travel: Travel
    locks: Locks = Locks()
    #: vehicle id -> ordered stops of the plan published before, to keep re-plans stable
    previous: Mapping[str, tuple[Stop, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Weights:
    """Objective weights; each level must dwarf the next one for a hierarchical objective."""

    #: penalty for leaving a request unserved, per unit of its priority
    unserved: int = 10_000_000
    #: cost of moving a request off the vehicle it had in the previous plan
    moved: int = 3_600
    #: multiplier of the arc cost (travel time or distance, see ``SolveParams.arc_cost``)
    travel: int = 1
    #: cost per unit of route duration (waiting included); also makes OR-Tools schedule
    #: each route exactly (LP) in its filters instead of a quick earliest-time check
    duration: int = 0


FirstSolution = Literal[
    "auto",
    "parallel_cheapest_insertion",
    "local_cheapest_insertion",
    "global_cheapest_arc",
    "path_cheapest_arc",
    "savings",
    "christofides",
]
Metaheuristic = Literal[
    "guided_local_search",
    "simulated_annealing",
    "tabu_search",
    "generic_tabu_search",
    "greedy_descent",
]


@dataclass(frozen=True)
class SolveParams:
    """How to search. Every solve has a time limit."""

    time_limit: float = 10.0
    seed: int = 0
    weights: Weights = Weights()
    #: what an arc costs: travel time (product) or distance (benchmarks)
    arc_cost: Literal["time", "distance"] = "time"
    #: first-solution strategies tried in turn, the best start kept
    first_solutions: tuple[FirstSolution, ...] = ("auto",)
    metaheuristic: Metaheuristic = "guided_local_search"
    #: with several first solutions: run a descent from each (not just build it) and share
    #: of the time limit all starts get together
    descend_starts: bool = False
    start_share: float = 0.25
    #: try to empty routes one by one after the main search (fewest vehicles first)
    reduce_vehicles: bool = False
    #: re-optimise a few neighbouring routes at a time after the main search
    decompose: bool = False
    #: seconds per decomposition sub-problem (of about 25 requests)
    sub_seconds: float = 0.5
    #: what re-optimises a sub-problem: the routing search or CP-SAT (exact-ish, small ones)
    sub_solver: Literal["routing", "cpsat"] = "routing"
    #: share of the time limit given to the whole-problem search when other phases follow
    main_share: float = 0.4
    #: stop after this many improving solutions (a deterministic limit, for tests)
    solution_limit: int | None = None
    #: plan with our own insertion (``_construct``) improved by ruin and recreate (``_ruin``)
    #: instead of OR-Tools: "auto" does so with linked legs or from ``construct_from``
    #: servable requests up
    construct: Literal["auto", "always", "never"] = "auto"
    construct_from: int = 300
    #: ruin and recreate's simulated annealing: start and end temperatures in units of the
    #: plan's mean arc cost per stop (0: keep only plans that cost no more)
    anneal_start: float = 1.0
    anneal_end: float = 0.01
    #: share of ruin and recreate's time spent emptying routes when the vehicle count comes
    #: first (a vehicle's fixed cost outweighs any total of arcs)
    eliminate_share: float = 0.5
    #: extra OR-Tools RoutingSearchParameters in protobuf text format, for tuning
    backend_options: str = ""
    #: the same for the searches that try to empty a route (vehicle reduction)
    reduce_options: str | None = None


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
    """Result of ``solve``: routes of used vehicles, unserved requests, objective parts, stats."""

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    objective: Mapping[str, int]
    stats: Mapping[str, float]

    def route_of(self, vehicle: str) -> Route | None:
        """The route of ``vehicle``, or None when it is not used."""
        return next((r for r in self.routes if r.vehicle == vehicle), None)
