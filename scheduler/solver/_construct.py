"""Our own planning by insertion: a full day in seconds, every rule of the model checked.

OR-Tools' first-solution heuristics evaluate every pair against every route through the
routing filters; on a 1,500-leg day (3,000 nodes) none of them finished within 60 s, and the
search cannot be stopped while they run; with round trips they are weak even on small days.
``fill`` builds a day in plain Python: requests in order of their earliest pick-up, each put
where it adds the least cost, then repaired by ejection and by emptying routes. Every rule
of the model is checked - windows, shifts, seats per type, ride time, route duration,
allowed vehicles and the link bounds already cut into the windows. A return is only placed
when its outbound is. ``_ruin`` improves a day built here.
"""

from __future__ import annotations

import bisect
import itertools
import time
from dataclasses import dataclass

from scheduler.solver._compile import Compiled
from scheduler.solver.problem import Travel

Routes = list[list[int]]

#: exact schedule checks per request, cheapest candidates first
_TRIES = 12


@dataclass
class Tour:
    """One vehicle's stops with times and loads per position (start depot, stops, end depot)."""

    stops: list[int]
    #: the stops between the vehicle's start and end depot nodes
    nodes: list[int]
    times: list[int]
    latest: list[int]
    loads: list[tuple[int, ...]]


class Builder:
    """Schedules and insertion positions of single routes, on the model's node arrays."""

    def __init__(self, c: Compiled, travel: Travel, arc_cost: str, weight: int) -> None:
        self.c = c
        self.time = travel.time
        base = travel.time if arc_cost == "time" else travel.distance
        self.cost = [[x * weight for x in row] for row in base]
        self.loc = c.node_location
        self.svc = c.node_service
        self.limit = [
            None if r.max_ride_time is None else r.max_ride_time + r.pickup_service
            for r in c.requests
        ]

    def full(self, v: int, stops: list[int]) -> list[int]:
        """``stops`` between the start and end depots of vehicle ``v``."""
        return [self.c.vehicle_start_node[v], *stops, self.c.vehicle_end_node[v]]

    def cost_of(self, v: int, stops: list[int]) -> int:
        """Arc costs of a route plus the vehicle's fixed cost."""
        arcs = sum(self.arc(a, b) for a, b in itertools.pairwise(self.full(v, stops)))
        return arcs + self.c.vehicles[v].fixed_cost

    def transit(self, a: int, b: int) -> int:
        return self.time[self.loc[a]][self.loc[b]] + self.svc[a]

    def arc(self, a: int, b: int) -> int:
        return self.cost[self.loc[a]][self.loc[b]]

    def bounds(self, v: int, full: list[int]) -> tuple[list[int], list[int]]:
        shift = self.c.vehicles[v].shift
        w = self.c.node_window
        lo = [shift.earliest, *(w[n][0] for n in full[1:-1]), shift.earliest]
        hi = [shift.latest, *(w[n][1] for n in full[1:-1]), shift.latest]
        return lo, hi

    def schedule(self, v: int, stops: list[int]) -> Tour | None:
        """Earliest times of ``stops`` on vehicle ``v``, or None when a rule breaks."""
        c = self.c
        full = self.full(v, stops)
        n = len(full)
        lo, hi = self.bounds(v, full)
        tr = [self.transit(a, b) for a, b in itertools.pairwise(full)]
        where = {node: k for k, node in enumerate(full[1:-1], 1)}
        gaps = []
        for k, node in enumerate(full[1:-1], 1):
            lim = self.limit[node // 2]
            if node % 2 == 0 and lim is not None:
                gaps.append((k, where[node + 1], lim))
        times = list(lo)
        first = 1
        for _ in range(n + 1):
            for k in range(first, n):
                t = times[k - 1] + tr[k - 1]
                if t > times[k]:
                    times[k] = t
                    if t > hi[k]:
                        return None
            first = n
            for a, b, lim in gaps:
                if times[b] - times[a] > lim:
                    times[a] = times[b] - lim
                    if times[a] > hi[a]:
                        return None
                    first = min(first, a + 1)
            if first == n:
                break
        else:
            return None
        md = c.vehicles[v].max_duration
        if md is not None:
            # Leave as late as the first stop allows: a safe (not always the least) duration.
            times[0] = min(hi[0], times[1] - tr[0]) if stops else times[0]
            if times[-1] - times[0] > md:
                return None
        latest = list(hi)
        for k in range(n - 2, -1, -1):
            latest[k] = min(hi[k], latest[k + 1] - tr[k])
        loads: list[tuple[int, ...]] = [tuple(0 for _ in c.vehicles[v].capacity)]
        for node in stops:
            loads.append(tuple(a + b for a, b in zip(loads[-1], c.node_demand[node], strict=True)))
        return Tour(stops, full, times, latest, loads)

    def candidates(self, v: int, route: Tour, r: int) -> list[tuple[int, int, int]]:
        """(added cost, pick-up position, drop-off position) that pass the quick checks.

        A node inserted at position i goes between ``nodes[i]`` and ``nodes[i + 1]``. The
        checks use the current earliest and latest times, so they are necessary, not
        sufficient; the exact schedule decides. (The hot loop of construction and ruin and
        recreate: matrix rows are looked up once, not through ``transit`` and ``arc``.)
        """
        c, t_mat, loc, svc, cost = self.c, self.time, self.loc, self.svc, self.cost
        p, d = 2 * r, 2 * r + 1
        lp, ld = loc[p], loc[d]
        to_p, to_d = t_mat[lp], t_mat[ld]
        full, times, latest, loads = route.nodes, route.times, route.latest, route.loads
        window = c.node_window
        (lo_p, hi_p), (lo_d, hi_d) = window[p], window[d]
        cap = c.vehicles[v].capacity
        seats = [(k, q, cap[k]) for k, q in enumerate(c.node_demand[p]) if q]
        lim = self.limit[r]
        p_to_d = to_p[ld] + svc[p]
        m = len(route.stops)
        out: list[tuple[int, int, int]] = []
        start = max(bisect.bisect_left(latest, lo_p) - 1, 0)
        for i in range(start, m + 1):
            if times[i] > hi_p:
                break
            prev, nxt = full[i], full[i + 1]
            l_prev, l_nxt = loc[prev], loc[nxt]
            a_p = max(lo_p, times[i] + t_mat[l_prev][lp] + svc[prev])
            if a_p > hi_p or not _room(loads[i], seats):
                continue
            late_p = min(hi_p, latest[i + 1] - to_p[l_nxt] - svc[p])
            base = cost[l_prev][lp] - cost[l_prev][l_nxt]
            a_d = max(lo_d, a_p + p_to_d)
            if (
                a_d <= hi_d
                and a_d + to_d[l_nxt] + svc[d] <= latest[i + 1]
                and (lim is None or a_d - late_p <= lim)
            ):
                out.append((base + cost[lp][ld] + cost[ld][l_nxt], i, i))
            if late_p < a_p:
                continue
            t, here = a_p, p
            base += cost[lp][l_nxt]
            for j in range(i + 1, m + 1):
                node = full[j]
                l_here, l_node = loc[here], loc[node]
                t = max(window[node][0], t + t_mat[l_here][l_node] + svc[here])
                if t > latest[j] or not _room(loads[j], seats):
                    break
                if lim is not None and t - late_p > lim:
                    break
                here, after = node, full[j + 1]
                l_after = loc[after]
                a_d = max(lo_d, t + t_mat[l_node][ld] + svc[node])
                if a_d > hi_d:
                    break
                if a_d + to_d[l_after] + svc[d] > latest[j + 1]:
                    continue
                added = cost[l_node][ld] + cost[ld][l_after] - cost[l_node][l_after]
                out.append((base + added, i, j))
        return out


def _room(load: tuple[int, ...], seats: list[tuple[int, int, int]]) -> bool:
    """Whether ``load`` leaves room for the request's (seat type, count, capacity)."""
    return all(load[k] + q <= cap for k, q, cap in seats)


def _insert(stops: list[int], r: int, i: int, j: int) -> list[int]:
    """``stops`` with request ``r``'s pick-up at position i and drop-off at position j."""
    return [*stops[:i], 2 * r, *stops[i:j], 2 * r + 1, *stops[j:]]


class Day:
    """The routes being built and which requests they serve."""

    def __init__(self, b: Builder, start: Routes | None, moved: int) -> None:
        c = b.c
        self.b, self.c, self.moved = b, c, moved
        #: while True, opening a vehicle costs nothing (see ``fill``)
        self.spreading = False
        # None: the vehicle cannot even drive from its start to its end within its shift.
        self.routes: list[Tour | None] = []
        for v in range(len(c.vehicles)):
            kept = b.schedule(v, list(start[v])) if start and start[v] else None
            self.routes.append(kept or b.schedule(v, []))
        self.placed = {n // 2 for r in self.routes if r for n in r.stops}
        self.outbound_of = {ret: out for out, ret, _ in c.links}
        self.return_of = {out: ret for out, ret, _ in c.links}
        self.everyone = list(range(len(c.vehicles)))
        # Empty vehicles alike in every rule offer the same insertions: only the first is
        # tried (Li & Lim: 25 vehicles of which 10 are used, a third of the candidate work).
        # Not on a re-plan, where moving a request off its vehicle costs.
        alike: dict[object, int] = {}
        self.twin = [
            alike.setdefault(
                (v.start, v.end, v.shift, v.capacity, v.skills, v.max_duration, v.fixed_cost), k
            )
            for k, v in enumerate(c.vehicles)
        ]
        self.dedupe = not any(p is not None for p in c.previous_vehicle)

    def routes_as_nodes(self) -> Routes:
        return [r.stops if r else [] for r in self.routes]

    def cost(self) -> int:
        """Penalties of the unplaced plus arc, fixed and moved costs of the routes."""
        c = self.c
        total = sum(p for r, p in enumerate(c.penalty) if r not in self.placed)
        for v, route in enumerate(self.routes):
            if route and route.stops:
                total += self.b.cost_of(v, route.stops)
                total += sum(self.moving(n // 2, v) for n in route.stops if n % 2 == 0)
        return total

    def remove(self, requests: set[int]) -> bool:
        """Take ``requests`` out of their routes; False (nothing changed) if one cannot be."""
        new: dict[int, Tour] = {}
        for v, route in enumerate(self.routes):
            if route and any(n // 2 in requests for n in route.stops):
                lighter = self.b.schedule(v, [n for n in route.stops if n // 2 not in requests])
                if lighter is None:
                    return False
                new[v] = lighter
        for v, route in new.items():
            self.routes[v] = route
        self.placed -= requests
        return True

    def size(self, v: int) -> int:
        route = self.routes[v]
        return len(route.stops) if route else 0

    def may_place(self, r: int) -> bool:
        """Unplaced, and counted if placed: a return needs its outbound placed first."""
        if r in self.placed:
            return False
        return r not in self.outbound_of or self.outbound_of[r] in self.placed

    def best(
        self, r: int, routes: list[Tour | None], banned: int = -1
    ) -> tuple[int, Tour, int] | None:
        """The cheapest feasible insertion of ``r`` into ``routes`` (not on vehicle ``banned``):
        vehicle, new route and added cost."""
        c, b = self.c, self.b
        seen: set[int] = set()
        options = []
        for v in c.allowed[r] or self.everyone:
            route = routes[v]
            if v == banned or route is None:
                continue
            if not route.stops and self.dedupe:
                if self.twin[v] in seen:
                    continue
                seen.add(self.twin[v])
            extra = self.opening(v, route) + self.moving(r, v)
            options += [(added + extra, v, i, j) for added, i, j in b.candidates(v, route, r)]
        options.sort()
        for added, v, i, j in options[:_TRIES]:
            old = routes[v]
            assert old is not None
            new = b.schedule(v, _insert(old.stops, r, i, j))
            if new is not None:
                return v, new, added
        return None

    def opening(self, v: int, route: Tour) -> int:
        """The fixed cost of vehicle ``v`` when its route is still empty."""
        return 0 if route.stops or self.spreading else self.c.vehicles[v].fixed_cost

    def moving(self, r: int, v: int) -> int:
        """The cost of putting ``r`` on ``v`` when the previous plan had it elsewhere."""
        was = self.c.previous_vehicle[r] if self.c.previous_vehicle else None
        return self.moved if was is not None and was != v else 0

    def empty_route(self, v: int) -> bool:
        """Move every request of route ``v`` to other routes when that saves cost."""
        route = self.routes[v]
        if route is None or not route.stops:
            return False
        requests = [n // 2 for n in route.stops if n % 2 == 0]
        trial = list(self.routes)
        trial[v] = self.b.schedule(v, [])
        saved = self.b.cost_of(v, route.stops) + sum(self.moving(r, v) for r in requests)
        for r in sorted(requests, key=lambda r: self.c.node_window[2 * r][0]):
            found = self.best(r, trial, banned=v)
            if found is None:
                return False
            trial[found[0]] = found[1]
            saved -= found[2]
        if saved <= 0:
            return False
        self.routes = trial
        return True

    def place(self, r: int) -> bool:
        found = self.best(r, self.routes)
        if found is None:
            return False
        self.routes[found[0]] = found[1]
        self.placed.add(r)
        return True

    def place_by_ejection(self, r: int) -> bool:
        """Make room for ``r`` by taking out one request of no higher priority.

        The request taken out goes to its cheapest place elsewhere; when there is none, the
        swap is kept only if ``r`` has the higher priority.
        """
        c, b = self.c, self.b
        (lo, _), (_, hi) = c.node_window[2 * r], c.node_window[2 * r + 1]
        prio = c.requests[r].priority
        for v in c.allowed[r] or self.everyone:
            route = self.routes[v]
            if route is None:
                continue
            for x in {n // 2 for n in route.stops}:
                if (
                    c.requests[x].priority > prio
                    or self.return_of.get(x) in self.placed
                    or c.node_window[2 * x][0] > hi
                    or c.node_window[2 * x + 1][1] < lo
                ):
                    continue
                lighter = b.schedule(v, [n for n in route.stops if n // 2 != x])
                if lighter is None:
                    continue
                trial = list(self.routes)
                trial[v] = lighter
                found = self.best(r, trial)
                if found is None:
                    continue
                trial[found[0]] = found[1]
                moved = self.best(x, trial)
                if moved is None and c.requests[x].priority == prio:
                    continue
                if moved is not None:
                    trial[moved[0]] = moved[1]
                else:
                    self.placed.discard(x)
                self.routes = trial
                self.placed.add(r)
                return True
        return False


def new_day(
    c: Compiled,
    travel: Travel,
    arc_cost: str,
    weight: int,
    start: Routes | None = None,
    moved: int = 0,
) -> Day:
    """An empty day (or one holding ``start`` where still feasible) to build on.

    ``moved`` is what moving a request off its vehicle in the previous plan costs.
    """
    return Day(Builder(c, travel, arc_cost, weight), start, moved)


def fill(day: Day, deadline: float) -> None:
    """Insert every request ``day`` may place, then repair, until ``deadline``.

    Requests already in the day are not inserted again. Then, while anything improves:
    requests left out get a second chance, by ejection if need be (highest priority first),
    and routes are emptied into the others, smallest first, when that saves cost.
    """
    c = day.c
    order = sorted(
        range(len(c.requests)), key=lambda r: (c.node_window[2 * r][0], c.node_window[2 * r + 1][1])
    )
    # The first pass spreads requests over every driver, fixed costs ignored: charging them
    # piles the early requests onto few drivers, who then miss later ones (1,000-request GTA
    # day: 1,166 legs that way, 1,185 this way). Emptying routes below consolidates.
    day.spreading = True
    for r in order:
        if time.monotonic() > deadline:
            break
        if day.may_place(r):
            day.place(r)
    day.spreading = False
    by_priority = sorted(order, key=lambda r: -c.requests[r].priority)
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for r in by_priority:
            if time.monotonic() > deadline:
                break
            if day.may_place(r) and (day.place(r) or day.place_by_ejection(r)):
                changed = True
        for v in sorted(day.everyone, key=day.size):
            if time.monotonic() > deadline:
                break
            changed = day.empty_route(v) or changed
