"""The scheduling problem as plain frozen dataclasses.

Units are integers chosen by the caller: the product uses seconds and metres, the benchmark
loaders use file units scaled by 1000. Location indices point into the travel matrices; several
requests may share a location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


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
