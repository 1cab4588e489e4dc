"""Earliest feasible service times for a fixed sequence of stops.

The constraints of one route (travel between consecutive stops, windows, maximum ride time,
maximum route duration) are all difference constraints ``t_j >= t_i + w``, so the earliest
schedule is a longest-path computation: start every time at its window's earliest and relax
until nothing moves, then compare with the latest bounds. Works on ints and floats alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """One position of a route (start depot, stop, or end depot)."""

    earliest: float
    latest: float
    service: float


@dataclass(frozen=True)
class Gap:
    """``t[later] - t[earlier] <= limit``: a maximum ride time or route duration."""

    earlier: int
    later: int
    limit: float


def earliest_schedule(
    points: Sequence[Point], travel: Sequence[float], gaps: Sequence[Gap] = ()
) -> list[float] | None:
    """Earliest start time at each point, or None when no schedule fits.

    ``travel[k]`` is the travel time from point k to point k+1.
    """
    n = len(points)
    times = [p.earliest for p in points]
    # Edges j -> i with weight w meaning t_i >= t_j + w.
    edges: list[tuple[int, int, float]] = [
        (k, k + 1, points[k].service + travel[k]) for k in range(n - 1)
    ]
    edges += [(g.later, g.earlier, -g.limit) for g in gaps]
    for _ in range(n + 1):
        changed = False
        for src, dst, w in edges:
            if times[src] + w > times[dst]:
                times[dst] = times[src] + w
                changed = True
                if times[dst] > points[dst].latest:
                    return None
        if not changed:
            return times
    return None  # a positive cycle: the gaps contradict the travel times
