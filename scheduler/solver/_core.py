"""The compiled core of ruin and recreate: routes in arrays, insertions checked in machine code.

Everything here works on flat integer arrays and is compiled by numba on first use (cached on
disk beside this file, so a later process loads it in a fraction of a second). ``_sisr`` drives
it from Python: one call runs a batch of ruin-and-recreate iterations.

The problem (``Arrays``, a tuple) and the state (``State``, a tuple of arrays changed in place):

- nodes as in ``Compiled``: request r has pick-up 2r and drop-off 2r+1, then the depots;
- ``route[v, :rlen[v]]`` the stops of vehicle v between its depots; ``where[r]`` its vehicle or
  -1; ``early``/``late`` per position (0: start depot, rlen+1: end depot) the earliest and latest
  start of service from windows and travel alone, ``load`` the seats taken after a position,
  ``rcost[v]`` the route's arcs plus its fixed cost when used.

An insertion is first screened with the route's earliest and latest times and loads, which is
exact for windows, shifts and seats (Savelsbergh's forward slack, in the form of latest start
times); where rides have a time limit or routes a duration limit, a screened insertion is then
scheduled exactly (``feasible``: the least solution of the route's difference constraints), and
only when it would beat the best insertion found so far.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

#: "no limit" for ride times and durations
UNLIMITED = 1 << 60


def _compiled(fn: F) -> F:
    """numba's ``njit``, cached on disk, typed for mypy as the function itself."""
    return cast(F, numba.njit(cache=True, nogil=True)(fn))


Arr = np.ndarray[Any, Any]
Arrays = tuple[Arr, ...]
State = tuple[Arr, ...]

# Field order of ``Arrays`` (kept in step with ``_sisr.arrays_of``):
# T, C, loc, svc, lo, hi, dem, lim, vstart, vend, vlo, vhi, cap, maxdur, fixed, allowed,
# penalty, twin, near, outbound, ret, prev, moved
# (``outbound[r]``/``ret[r]``: the other leg of a round trip or -1; ``prev[r]``: the vehicle
# of the previous plan or -1; ``moved[0]``: the cost of moving a request off it)
# Field order of ``State``: route, rlen, early, late, load, rcost, where, vopen


@_compiled
def seed_random(seed: int) -> None:
    """Seed the compiled code's own random generator."""
    np.random.seed(seed)


@_compiled
def refresh(P: Arrays, S: State, v: int) -> None:
    """Recompute the times, loads and cost of route ``v`` after a change."""
    T, C, loc, svc, lo, hi, dem = P[0], P[1], P[2], P[3], P[4], P[5], P[6]
    vstart, vend, vlo, vhi, fixed = P[8], P[9], P[10], P[11], P[14]
    route, rlen, early, late, load, rcost = S[0], S[1], S[2], S[3], S[4], S[5]
    m = rlen[v]
    early[v, 0] = vlo[v]
    load[v, 0, :] = 0
    prev = vstart[v]
    cost = 0
    for k in range(1, m + 1):
        n = route[v, k - 1]
        early[v, k] = max(lo[n], early[v, k - 1] + svc[prev] + T[loc[prev], loc[n]])
        load[v, k, :] = load[v, k - 1, :] + dem[n, :]
        cost += C[loc[prev], loc[n]]
        prev = n
    end = vend[v]
    early[v, m + 1] = max(vlo[v], early[v, m] + svc[prev] + T[loc[prev], loc[end]])
    load[v, m + 1, :] = 0
    cost += C[loc[prev], loc[end]]
    rcost[v] = cost + fixed[v] if m > 0 else 0
    late[v, m + 1] = vhi[v]
    nxt = end
    for k in range(m, 0, -1):
        n = route[v, k - 1]
        late[v, k] = min(hi[n], late[v, k + 1] - T[loc[n], loc[nxt]] - svc[n])
        nxt = n
    late[v, 0] = min(vhi[v], late[v, 1] - T[loc[vstart[v]], loc[nxt]])


@_compiled
def feasible(P: Arrays, v: int, seq: Arr, n: int, times: Arr, posof: Arr) -> bool:
    """Whether stops ``seq[:n]`` (depots excluded) have a schedule on vehicle ``v``.

    The least solution of the route's difference constraints: travel forward, ride-time limits
    and the duration limit pull earlier stops later; infeasible as soon as a time passes its
    latest (Bellman-Ford on a path with back arcs, as ``_schedule.earliest_schedule``).
    ``times`` and ``posof`` are scratch arrays (positions and nodes).
    """
    T, loc, svc, lo, hi, lim = P[0], P[2], P[3], P[4], P[5], P[7]
    vstart, vend, vlo, vhi, maxdur = P[8], P[9], P[10], P[11], P[13]
    last = n + 1
    times[0] = vlo[v]
    for k in range(1, n + 1):
        times[k] = lo[seq[k - 1]]
        posof[seq[k - 1]] = k
    times[last] = vlo[v]
    first = 1
    for _ in range(n + 3):
        for k in range(first, last + 1):
            a = vstart[v] if k == 1 else seq[k - 2]
            b = vend[v] if k == last else seq[k - 1]
            t = times[k - 1] + svc[a] + T[loc[a], loc[b]]
            if t > times[k]:
                times[k] = t
                if t > (vhi[v] if k == last else hi[b]):
                    return False
        first = last + 1
        for k in range(1, n + 1):
            node = seq[k - 1]
            if node % 2 == 0 and lim[node // 2] < UNLIMITED:
                b = posof[node + 1]
                if times[b] - times[k] > lim[node // 2]:
                    times[k] = times[b] - lim[node // 2]
                    if times[k] > hi[node]:
                        return False
                    first = min(first, k + 1)
        if maxdur[v] < UNLIMITED and times[last] - times[0] > maxdur[v]:
            times[0] = times[last] - maxdur[v]
            if times[0] > vhi[v]:
                return False
            first = 1
        if first > last:
            return True
    return False


@_compiled
def best_insertion(
    P: Arrays, S: State, r: int, exact: bool, blink: float, scratch: Arr, times: Arr, posof: Arr
) -> tuple[int, int, int, int]:
    """The cheapest feasible insertion of request ``r``: (added cost, vehicle, i, j).

    The pick-up goes after position i, the drop-off after position j (positions of the route
    before the insertion, 0 being the start depot); vehicle -1 when there is none. Each
    position is skipped with probability ``blink`` (SISR's blinks).
    """
    T, C, loc, svc, lo, hi, dem, lim = P[0], P[1], P[2], P[3], P[4], P[5], P[6], P[7]
    vstart, vend, cap, fixed, allowed, twin = P[8], P[9], P[12], P[14], P[15], P[17]
    route, rlen, early, late, load, where, vopen = S[0], S[1], S[2], S[3], S[4], S[6], S[7]
    outbound, was_on, moved = P[19], P[21], P[22][0]
    best = (1 << 62, -1, 0, 0)
    if outbound[r] >= 0 and where[outbound[r]] < 0:
        return best  # a return leg rides only when its outbound does
    p, d = 2 * r, 2 * r + 1
    lp, ld = loc[p], loc[d]
    lo_p, hi_p, lo_d, hi_d = lo[p], hi[p], lo[d], hi[d]
    limit = lim[r]
    p_to_d = svc[p] + T[lp, ld]
    dims = dem.shape[1]
    nv, width = route.shape
    seen_twin = np.zeros(nv, dtype=np.bool_)
    detour = np.empty(width + 2, dtype=np.int64)
    below = np.empty(width + 2, dtype=np.int64)
    for v in range(nv):
        if not vopen[v] or not allowed[r, v]:
            continue
        m = rlen[v]
        if m + 2 > width:
            continue
        if m == 0:
            if seen_twin[twin[v]]:
                continue
            seen_twin[twin[v]] = True
        room = True
        for k in range(dims):
            if dem[p, k] > cap[v, k]:
                room = False
        if not room:
            continue
        opening = fixed[v] if m == 0 else 0
        if was_on[r] >= 0 and was_on[r] != v:
            opening += moved
        # The stop after the pick-up starts no earlier than the pick-up's window opens: skip
        # the positions whose next stop must start before that (latest times only grow).
        first = np.searchsorted(late[v, 1 : m + 2], lo_p)
        # A drop-off after position j with early[v, j] past its window cannot be (times only
        # grow). detour[j]: what a drop-off after position j adds; below[j]: the least of
        # detour[j..jend], a lower bound that skips the pick-up positions whose drop-offs
        # cannot beat the best insertion found (computed when the first pick-up position gets
        # that far; the scan of drop-offs below never passes jend).
        jend = -1
        bounded = False
        for i in range(first, m + 1):
            if early[v, i] > hi_p:
                break
            prev = vstart[v] if i == 0 else route[v, i - 1]
            nxt = vend[v] if i == m else route[v, i]
            if blink > 0.0 and np.random.random() < blink:
                continue
            a_p = max(lo_p, early[v, i] + svc[prev] + T[loc[prev], lp])
            if a_p > hi_p:
                continue
            fits = True
            for k in range(dims):
                if load[v, i, k] + dem[p, k] > cap[v, k]:
                    fits = False
            if not fits:
                continue
            late_p = min(hi_p, late[v, i + 1] - T[lp, loc[nxt]] - svc[p])
            base = opening + C[loc[prev], lp] - C[loc[prev], loc[nxt]]
            # Drop-off right after the pick-up.
            a_d = max(lo_d, a_p + p_to_d)
            # (No ride-time screen: the tightened windows let every direct trip meet it.)
            if a_d <= hi_d and a_d + svc[d] + T[ld, loc[nxt]] <= late[v, i + 1]:
                added = base + C[lp, ld] + C[ld, loc[nxt]]
                if added < best[0] and _exact_ok(P, S, v, i, i, p, d, exact, scratch, times, posof):
                    best = (added, v, i, i)
            if late_p < a_p:
                continue
            base += C[lp, loc[nxt]]
            if not bounded:
                bounded = True
                jend = np.searchsorted(early[v, : m + 1], hi_d, side="right") - 1
                below[max(jend, i) + 1] = 1 << 62
                for j in range(jend, i, -1):
                    node = route[v, j - 1]
                    after = loc[vend[v]] if j == m else loc[route[v, j]]
                    detour[j] = C[loc[node], ld] + C[ld, after] - C[loc[node], after]
                    below[j] = min(below[j + 1], detour[j])
            if i >= jend or base + below[i + 1] >= best[0]:
                continue
            t = a_p
            here = p
            for j in range(i + 1, m + 1):
                node = route[v, j - 1]
                t = max(lo[node], t + svc[here] + T[loc[here], loc[node]])
                if t > late[v, j]:
                    break
                full = False
                for k in range(dims):
                    if load[v, j, k] + dem[p, k] > cap[v, k]:
                        full = True
                if full:
                    break
                if limit < UNLIMITED and t - late_p > limit:
                    break
                here = node
                after = vend[v] if j == m else route[v, j]
                a_d = max(lo_d, t + svc[node] + T[loc[node], ld])
                if a_d > hi_d or (limit < UNLIMITED and a_d - late_p > limit):
                    break
                if a_d + svc[d] + T[ld, loc[after]] > late[v, j + 1]:
                    continue
                if blink > 0.0 and np.random.random() < blink:
                    continue
                added = base + detour[j]
                if added < best[0] and _exact_ok(P, S, v, i, j, p, d, exact, scratch, times, posof):
                    best = (added, v, i, j)
    return best


@_compiled
def _exact_ok(
    P: Arrays,
    S: State,
    v: int,
    i: int,
    j: int,
    p: int,
    d: int,
    exact: bool,
    scratch: Arr,
    times: Arr,
    posof: Arr,
) -> bool:
    """The full schedule check of an insertion that passed the screen (when ``exact``)."""
    if not exact:
        return True
    n = _spliced(S[0], S[1], v, i, j, p, d, scratch)
    return feasible(P, v, scratch, n, times, posof)


@_compiled
def _spliced(route: Arr, rlen: Arr, v: int, i: int, j: int, p: int, d: int, out: Arr) -> int:
    """Route ``v`` with ``p`` after position i and ``d`` after position j, into ``out``."""
    n = 0
    for k in range(rlen[v] + 1):
        if k > 0:
            out[n] = route[v, k - 1]
            n += 1
        if k == i:
            out[n] = p
            n += 1
        if k == j:
            out[n] = d
            n += 1
    return n


@_compiled
def insert(P: Arrays, S: State, r: int, v: int, i: int, j: int, scratch: Arr) -> None:
    """Put request ``r`` into route ``v`` at positions (i, j) of ``best_insertion``."""
    route, rlen, where = S[0], S[1], S[6]
    n = _spliced(route, rlen, v, i, j, 2 * r, 2 * r + 1, scratch)
    route[v, :n] = scratch[:n]
    rlen[v] = n
    where[r] = v
    refresh(P, S, v)


@_compiled
def take_out(S: State, r: int) -> int:
    """Remove request ``r``'s stops from its route (times not refreshed); its vehicle."""
    route, rlen, where = S[0], S[1], S[6]
    v: int = where[r]
    n = 0
    for k in range(rlen[v]):
        node = route[v, k]
        if node // 2 != r:
            route[v, n] = node
            n += 1
    rlen[v] = n
    where[r] = -1
    return v


@_compiled
def total_cost(P: Arrays, S: State) -> int:
    """Routes' arcs and fixed costs plus the penalties of requests left out."""
    penalty, prev, moved, rcost, where = P[16], P[21], P[22][0], S[5], S[6]
    cost = 0
    for v in range(rcost.shape[0]):
        cost += rcost[v]
    for r in range(where.shape[0]):
        if where[r] < 0:
            cost += penalty[r]
        elif prev[r] >= 0 and prev[r] != where[r]:
            cost += moved
    return cost


@_compiled
def _ruin(P: Arrays, S: State, centre: int, mean_removed: float, max_string: int, out: Arr) -> int:
    """Requests to take out around ``centre`` (SISR: strings of neighbouring routes, or the
    nearest requests); written to ``out``, their count returned."""
    near = P[18]
    route, rlen, where = S[0], S[1], S[6]
    nv = rlen.shape[0]
    used = 0
    stops = 0
    for v in range(nv):
        if rlen[v] > 0:
            used += 1
            stops += rlen[v]
    count = 0
    if used == 0:
        return 0
    taken = np.zeros(where.shape[0], dtype=np.bool_)
    if np.random.random() < 0.5:
        # The nearest requests, as many as a ruin takes on average (from half to one and a half).
        want = max(1, int(mean_removed * (0.5 + np.random.random())))
        for k in range(-1, near.shape[1]):
            s = centre if k < 0 else near[centre, k]
            if where[s] >= 0 and not taken[s]:
                taken[s] = True
                out[count] = s
                count += 1
                if count >= want:
                    break
        return count
    longest = min(max_string, max(1, stops // used))
    strings_max = max(1.0, 4.0 * mean_removed / (1.0 + longest) - 1.0)
    strings = int(np.random.random() * strings_max) + 1
    ruined = np.zeros(nv, dtype=np.bool_)
    done = 0
    for k in range(-1, near.shape[1]):
        if done >= strings:
            break
        s = centre if k < 0 else near[centre, k]
        v = where[s]
        if v < 0 or ruined[v]:
            continue
        ruined[v] = True
        done += 1
        m = rlen[v]
        length = int(np.random.random() * min(m, longest)) + 1
        at = 0
        for q in range(m):
            if route[v, q] == 2 * s:
                at = q
        first = max(0, min(at - int(np.random.random() * length), m - length))
        for q in range(first, first + length):
            x = route[v, q] // 2
            if not taken[x]:
                taken[x] = True
                out[count] = x
                count += 1
    return count


@_compiled
def _waiting_near(P: Arrays, where: Arr, centre: int, waiting: int, most: int, back: Arr) -> int:
    """The requests left out to try again: all of them when there are at most ``most``, else
    the centre and those nearest it, ``most`` in all; written to ``back``, their count.

    (SISR tries every absent request; on a day with a hundred left out for lack of room that
    is most of each iteration's work, for requests that mostly stay out.)"""
    near = P[18]
    n = 0
    if waiting <= most:
        for r in range(where.shape[0]):
            if where[r] < 0:
                back[n] = r
                n += 1
        return n
    if where[centre] < 0:
        back[n] = centre
        n += 1
    for k in range(near.shape[1]):
        if n >= most:
            break
        s = near[centre, k]
        if where[s] < 0:
            back[n] = s
            n += 1
    return n


@_compiled
def _nth(where: Arr, served: bool, k: int) -> int:
    """The ``k``-th request (from 0) that is served, or left out."""
    for r in range(where.shape[0]):
        if (where[r] >= 0) == served:
            if k == 0:
                return r
            k -= 1
    return -1


@_compiled
def _left_out(penalty: Arr, absences: Arr, where: Arr) -> tuple[int, int]:
    """Penalty of the requests left out and how often they were left out before."""
    left = 0
    absent = 0
    for r in range(where.shape[0]):
        if where[r] < 0:
            left += penalty[r]
            absent += absences[r]
    return left, absent


@_compiled
def _with_returns(P: Arrays, S: State, out: Arr, count: int) -> int:
    """``out[:count]`` plus the placed return legs of the outbounds in it (a return never
    rides without its outbound); the new count."""
    ret, where = P[20], S[6]
    n = count
    for q in range(count):
        x = ret[out[q]]
        if x >= 0 and where[x] >= 0:
            seen = False
            for k in range(n):
                if out[k] == x:
                    seen = True
            if not seen:
                out[n] = x
                n += 1
    return n


@_compiled
def iterate(
    P: Arrays,
    S: State,
    best_route: Arr,
    best_rlen: Arr,
    iterations: int,
    temperature: float,
    absences: Arr,
    by_absence: bool,
    exact: bool,
    mean_removed: float,
    max_string: int,
    blink: float,
    current: int,
    best_cost: int,
) -> tuple[int, int, int]:
    """Run ``iterations`` ruins and recreates; return (current cost, best cost, kept).

    Acceptance: with ``by_absence`` (emptying a route), a plan is kept when it leaves out less
    penalty, or as much of requests less often left out, and ``absences`` counts who is left
    out after each iteration; otherwise simulated annealing at ``temperature``. The best plan
    is copied to ``best_route``/``best_rlen`` whenever it improves.
    """
    penalty = P[16]
    route, rlen, where = S[0], S[1], S[6]
    nv, width = route.shape
    nr = where.shape[0]
    scratch = np.empty(width + 2, dtype=np.int64)
    times = np.empty(width + 4, dtype=np.int64)
    posof = np.empty(P[2].shape[0], dtype=np.int64)
    out = np.empty(nr, dtype=np.int64)
    back = np.empty(nr, dtype=np.int64)
    keys = np.empty(nr, dtype=np.float64)
    saved_route = np.empty_like(route)
    saved_rlen = np.empty_like(rlen)
    touched = np.zeros(nv, dtype=np.bool_)
    kept = 0
    lo, dem, C, loc, vstart = P[4], P[6], P[1], P[2], P[8]
    for _ in range(iterations):
        served = 0
        for r in range(nr):
            if where[r] >= 0:
                served += 1
        waiting = nr - served
        # The centre of the ruin: a request left out half the time, if any, else a served one.
        if waiting > 0 and (served == 0 or np.random.random() < 0.5):
            centre = _nth(where, False, int(np.random.random() * waiting))
        else:
            centre = _nth(where, True, int(np.random.random() * served))
        left_before, absent_before = _left_out(penalty, absences, where)
        nback = _waiting_near(P, where, centre, waiting, int(2 * mean_removed), back)
        count = _ruin(P, S, centre, mean_removed, max_string, out)
        count = _with_returns(P, S, out, count)
        touched[:] = False
        for q in range(count):
            v = where[out[q]]
            if not touched[v]:
                touched[v] = True
                saved_route[v, : rlen[v]] = route[v, : rlen[v]]
                saved_rlen[v] = rlen[v]
            take_out(S, out[q])
        # Removing stops can break a schedule when travel times break the triangle inequality.
        broken = False
        for v in range(nv):
            if touched[v]:
                refresh(P, S, v)
                if not _schedulable(P, S, v, exact, scratch, times, posof):
                    broken = True
        back[nback : nback + count] = out[:count]
        nback += count
        _order(P, back, nback, keys, lo, dem, C, loc, vstart)
        if not broken:
            # Twice: a return leg put back before its outbound gets its turn after it.
            for q in range(2 * nback):
                r = back[q % nback]
                if where[r] >= 0 or (q >= nback and P[19][r] < 0):
                    continue
                found = best_insertion(P, S, r, exact, blink, scratch, times, posof)
                v = found[1]
                if v >= 0:
                    if not touched[v]:
                        touched[v] = True
                        saved_route[v, : rlen[v]] = route[v, : rlen[v]]
                        saved_rlen[v] = rlen[v]
                    insert(P, S, r, v, found[2], found[3], scratch)
        new = total_cost(P, S)
        accept = False
        if broken:
            accept = False
        elif by_absence:
            left, absent = _left_out(penalty, absences, where)
            accept = left < left_before or (left == left_before and absent <= absent_before)
        elif temperature > 0.0:
            accept = new < current - temperature * np.log(1.0 - np.random.random())
        else:
            accept = new <= current
        if accept:
            if new < current:
                kept += 1
            current = new
            if new < best_cost:
                best_cost = new
                best_route[:, :] = route[:, :]
                best_rlen[:] = rlen[:]
        else:
            for v in range(nv):
                if touched[v]:
                    for q in range(rlen[v]):
                        where[route[v, q] // 2] = -1
            for v in range(nv):
                if touched[v]:
                    rlen[v] = saved_rlen[v]
                    route[v, : rlen[v]] = saved_route[v, : rlen[v]]
                    for q in range(rlen[v]):
                        where[route[v, q] // 2] = v
                    refresh(P, S, v)
        if by_absence:
            for r in range(nr):
                if where[r] < 0:
                    absences[r] += 1
    return current, best_cost, kept


@_compiled
def _schedulable(
    P: Arrays, S: State, v: int, exact: bool, scratch: Arr, times: Arr, posof: Arr
) -> bool:
    """Whether route ``v`` as it stands has a schedule (after stops were taken out)."""
    route, rlen, early, late = S[0], S[1], S[2], S[3]
    m = rlen[v]
    for k in range(m + 2):
        if early[v, k] > late[v, k]:
            return False
    if not exact or m == 0:
        return True
    scratch[:m] = route[v, :m]
    return feasible(P, v, scratch, m, times, posof)


@_compiled
def _order(
    P: Arrays, back: Arr, n: int, keys: Arr, lo: Arr, dem: Arr, C: Arr, loc: Arr, vstart: Arr
) -> None:
    """Sort the requests to put back (SISR: random, most seats, farthest, nearest; and by
    earliest pick-up) in place."""
    roll = np.random.random() * 13.0
    depot = loc[vstart[0]]
    for q in range(n):
        r = back[q]
        if roll < 4.0:
            keys[q] = np.random.random()
        elif roll < 8.0:
            keys[q] = -float(dem[2 * r].sum())
        elif roll < 10.0:
            keys[q] = -float(C[depot, loc[2 * r]])
        elif roll < 11.0:
            keys[q] = float(C[depot, loc[2 * r]])
        else:
            keys[q] = float(lo[2 * r])
    idx = np.argsort(keys[:n], kind="mergesort")
    back[:n] = back[:n][idx]


@_compiled
def place_all(P: Arrays, S: State, order: Arr, exact: bool) -> None:
    """Insert the requests of ``order`` in turn where each adds the least (construction)."""
    route = S[0]
    width = route.shape[1]
    scratch = np.empty(width + 2, dtype=np.int64)
    times = np.empty(width + 4, dtype=np.int64)
    posof = np.empty(P[2].shape[0], dtype=np.int64)
    n = order.shape[0]
    for q in range(2 * n):
        r = order[q % n]
        if S[6][r] >= 0 or (q >= n and P[19][r] < 0):
            continue
        found = best_insertion(P, S, r, exact, 0.0, scratch, times, posof)
        if found[1] >= 0:
            insert(P, S, r, found[1], found[2], found[3], scratch)
