"""Ruin and recreate on our own insertion: many small repairs of a big day per second.

Take out a handful of requests that are close in space and time (around a served request,
or around one left out), put them back with the unserved ones nearby by cheapest insertion,
highest priority first, and keep the result when the plan's cost (penalties of the unserved,
routes' arcs, fixed and moved costs) does not rise. An OR-Tools sub-problem costs about a
second; one of these about 20 ms, so a big day gets a thousand of them in the same time.
A return leg goes out with its outbound, so no return is ever left without it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence

import numpy as np

from scheduler._compile import Compiled
from scheduler._construct import Day, Routes

log = logging.getLogger(__name__)

#: how many requests one ruin takes out, at least and at most
_SMALLEST, _LARGEST = 4, 20


class _Nearness:
    """Seconds between pick-ups plus the gap between their windows, from one to all."""

    def __init__(self, c: Compiled, time_matrix: Sequence[Sequence[int]]) -> None:
        pickups = [2 * r for r in range(len(c.requests))]
        self.loc = np.asarray([c.node_location[n] for n in pickups], dtype=np.int64)
        self.lo = np.asarray([c.node_window[n][0] for n in pickups], dtype=np.int64)
        self.hi = np.asarray([c.node_window[n][1] for n in pickups], dtype=np.int64)
        self.time = np.asarray(time_matrix, dtype=np.int64)

    def closest(self, r: int, among: list[int], count: int) -> list[int]:
        if not among or count <= 0:
            return []
        ks = np.asarray(among, dtype=np.int64)
        gap = np.maximum(0, np.maximum(self.lo[ks] - self.hi[r], self.lo[r] - self.hi[ks]))
        score = self.time[self.loc[r], self.loc[ks]] + gap
        return [among[i] for i in np.argsort(score, kind="stable")[:count]]


def ruin_and_recreate(day: Day, deadline: float, seed: int) -> tuple[Routes, int]:
    """Improve ``day`` until ``deadline``; return its routes and how many ruins improved it."""
    c = day.c
    rnd = random.Random(seed)
    near = _Nearness(c, day.b.time)
    cost = day.cost()
    kept = tried = 0
    while time.monotonic() < deadline:
        served = sorted(day.placed)
        waiting = [r for r in range(len(c.requests)) if day.may_place(r)]
        if not served:
            break
        centre = rnd.choice(waiting if waiting and rnd.random() < 0.5 else served)
        out = set(near.closest(centre, served, rnd.randint(_SMALLEST, _LARGEST)))
        out |= {day.return_of[r] for r in out if day.return_of.get(r) in day.placed}
        back = out | set(near.closest(centre, waiting, len(out) // 2 + 1))
        saved = (list(day.routes), set(day.placed))
        tried += 1
        if day.remove(out):
            for r in sorted(back, key=lambda r: (-c.requests[r].priority, near.lo[r])):
                if day.may_place(r):
                    day.place(r)
            new_cost = day.cost()
            if new_cost <= cost:
                kept += new_cost < cost
                cost = new_cost
                continue
        day.routes, day.placed = saved
    log.info("ruin and recreate: %d of %d kept", kept, tried)
    return day.routes_as_nodes(), kept
