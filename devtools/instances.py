"""Loaders for the Li & Lim PDPTW and Cordeau DARP benchmark files, and their Problems.

Instances keep file units (floats, Euclidean). ``to_problem`` scales by ``SCALE`` and rounds
travel and service times up, windows inward and limits down, so any plan the integer solver
finds is strictly feasible in full precision too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scheduler.solver import Problem, Request, SchedulerError, Travel, Vehicle, Window

SCALE = 1000
Format = Literal["lilim", "darp"]


class InstanceError(SchedulerError):
    """A benchmark instance file is missing or not in the announced format."""


@dataclass(frozen=True)
class Node:
    """One line of an instance file, in file units."""

    id: int
    x: float
    y: float
    demand: int
    earliest: float
    latest: float
    service: float


@dataclass(frozen=True)
class Instance:
    """A benchmark instance. ``nodes[i].id == i``; node 0 is the (start) depot."""

    name: str
    format: Format
    nodes: tuple[Node, ...]
    pairs: tuple[tuple[int, int], ...]
    vehicles: int
    capacity: int
    end_depot: int = 0
    max_route: float | None = None
    max_ride: float | None = None

    def dist(self, a: int, b: int) -> float:
        """Unrounded Euclidean distance (also the travel time) between two nodes."""
        na, nb = self.nodes[a], self.nodes[b]
        return math.hypot(na.x - nb.x, na.y - nb.y)


def load(path: Path, fmt: Format) -> Instance:
    """Read an instance file; raise ``InstanceError`` with a one-line reason on failure."""
    if not path.is_file():
        raise InstanceError(f"instance file not found: {path}")
    try:
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
        if fmt == "lilim":
            return _lilim(path.stem, rows)
        if fmt == "darp":
            return _darp(path.stem, rows)
    except (ValueError, IndexError) as exc:
        raise InstanceError(f"{path} is not a valid {fmt} file: {exc}") from None
    raise InstanceError(f"unknown format {fmt!r}: use lilim or darp")


def _lilim(name: str, rows: list[list[str]]) -> Instance:
    k, q = int(rows[0][0]), int(float(rows[0][1]))
    nodes: list[Node] = []
    pairs: list[tuple[int, int]] = []
    for i, row in enumerate(rows[1:]):
        nid, x, y, dem, e, lt, s, pick, deliv = row[:9]
        if int(nid) != i:
            raise ValueError(f"node ids must run 0..n in order (line {i + 2})")
        nodes.append(Node(i, float(x), float(y), int(dem), float(e), float(lt), float(s)))
        if i > 0 and int(pick) == 0:
            pairs.append((i, int(deliv)))
    n = len(nodes)
    for p, d in pairs:
        if not 0 < d < n:
            raise ValueError(f"pickup {p} names a delivery {d} outside the file")
    return Instance(name, "lilim", tuple(nodes), tuple(pairs), k, q)


def _darp(name: str, rows: list[list[str]]) -> Instance:
    k, two_n, t_max, q, l_max = rows[0][:5]
    n = int(two_n) // 2
    nodes: list[Node] = []
    for i, row in enumerate(rows[1:]):
        nid, x, y, s, dem, e, lt = row[:7]
        if int(nid) != i:
            raise ValueError(f"node ids must run 0..2n(+1) in order (line {i + 2})")
        nodes.append(Node(i, float(x), float(y), int(dem), float(e), float(lt), float(s)))
    if len(nodes) not in (2 * n + 1, 2 * n + 2):
        raise ValueError(f"header says {n} requests but the file has {len(nodes)} nodes")
    end = 2 * n + 1 if len(nodes) == 2 * n + 2 else 0
    pairs = tuple((i, n + i) for i in range(1, n + 1))
    return Instance(
        name, "darp", tuple(nodes), pairs, int(k), int(q), end, float(t_max), float(l_max)
    )


def _up(x: float) -> int:
    # Guard against 12.000000001 * 1000 style float noise turning into an extra unit.
    return math.ceil(round(x * SCALE, 6))


def _down(x: float) -> int:
    return math.floor(round(x * SCALE, 6))


def to_problem(inst: Instance) -> Problem:
    """The scaled integer Problem of an instance; location i is node i."""
    n = len(inst.nodes)
    time = [[_up(inst.dist(a, b)) for b in range(n)] for a in range(n)]
    dist = [[round(inst.dist(a, b) * SCALE) for b in range(n)] for a in range(n)]
    requests = []
    for p, d in inst.pairs:
        np_, nd = inst.nodes[p], inst.nodes[d]
        requests.append(
            Request(
                id=str(p),
                pickup=p,
                dropoff=d,
                load=(np_.demand,),
                pickup_window=Window(_up(np_.earliest), _down(np_.latest)),
                dropoff_window=Window(_up(nd.earliest), _down(nd.latest)),
                pickup_service=_up(np_.service),
                dropoff_service=_up(nd.service),
                max_ride_time=None if inst.max_ride is None else _down(inst.max_ride),
            )
        )
    depot, end = inst.nodes[0], inst.nodes[inst.end_depot]
    shift = Window(_up(depot.earliest), _down(min(depot.latest, end.latest)))
    # Li & Lim counts vehicles first: one vehicle must cost more than any total distance.
    fixed = 0 if inst.format == "darp" else 1 + sum(max(row) for row in dist)
    vehicles = tuple(
        Vehicle(
            id=str(v),
            start=0,
            end=inst.end_depot,
            shift=shift,
            capacity=(inst.capacity,),
            max_duration=None if inst.max_route is None else _down(inst.max_route),
            fixed_cost=fixed,
        )
        for v in range(inst.vehicles)
    )
    return Problem(tuple(requests), vehicles, Travel.of(time, dist))
