"""The OR-Tools routing backend: the only module that talks to OR-Tools.

It builds a routing model from a ``Compiled`` problem restricted to a subset of vehicles, and
runs one search (first solution, then local search) from scratch or from given routes. Every
callback is a prebuilt integer matrix or vector, so the search never calls back into Python
except for the ride-time limit functions, which only read a list.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf import text_format  # type: ignore[import-untyped]
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from scheduler.solver._compile import Compiled
from scheduler.solver.problem import Travel

log = logging.getLogger(__name__)

_FIRST = routing_enums_pb2.FirstSolutionStrategy
_META = routing_enums_pb2.LocalSearchMetaheuristic
FIRST_SOLUTIONS: dict[str, int] = {
    "auto": _FIRST.AUTOMATIC,
    "parallel_cheapest_insertion": _FIRST.PARALLEL_CHEAPEST_INSERTION,
    "local_cheapest_insertion": _FIRST.LOCAL_CHEAPEST_INSERTION,
    "global_cheapest_arc": _FIRST.GLOBAL_CHEAPEST_ARC,
    "path_cheapest_arc": _FIRST.PATH_CHEAPEST_ARC,
    "savings": _FIRST.SAVINGS,
    "christofides": _FIRST.CHRISTOFIDES,
}
METAHEURISTICS: dict[str, int] = {
    "guided_local_search": _META.GUIDED_LOCAL_SEARCH,
    "simulated_annealing": _META.SIMULATED_ANNEALING,
    "tabu_search": _META.TABU_SEARCH,
    "generic_tabu_search": _META.GENERIC_TABU_SEARCH,
    "greedy_descent": _META.GREEDY_DESCENT,
}


@dataclass(frozen=True)
class Matrices:
    """Node-level integer matrices (numpy int64) shared by every model of one ``Compiled``."""

    transit: Any
    cost: Any

    def sub(self, nodes: list[int]) -> Matrices:
        """The matrices restricted to ``nodes``, in that order."""
        ix = np.ix_(nodes, nodes)
        return Matrices(self.transit[ix], self.cost[ix])


def node_matrices(c: Compiled, travel: Travel, arc_cost: str, weight: int) -> Matrices:
    """Node-to-node time (service at the origin included) and arc cost matrices."""
    loc = np.asarray(c.node_location, dtype=np.int64)
    t = np.asarray(travel.time, dtype=np.int64)[np.ix_(loc, loc)]
    transit = t + np.asarray(c.node_service, dtype=np.int64)[:, None]
    base = (
        t if arc_cost == "time" else np.asarray(travel.distance, dtype=np.int64)[np.ix_(loc, loc)]
    )
    return Matrices(transit, base * weight)


@dataclass
class Model:
    """A closed routing model over ``vehicles`` (indices into ``Compiled.vehicles``)."""

    manager: Any
    routing: Any
    vehicles: list[int]
    keep: list[Any]  # callbacks and vectors OR-Tools must not outlive


def build(
    c: Compiled,
    m: Matrices,
    vehicles: list[int],
    moved_cost: int,
    duration_cost: int = 0,
    fixed_costs: bool = True,
) -> Model:
    """Build the routing model of ``c`` using only ``vehicles``.

    ``fixed_costs=False`` leaves vehicle fixed costs out: OR-Tools adds them to the first arc
    of a route, where guided local search would penalise them like a huge arc.
    """
    n = len(c.node_location)
    starts = [c.vehicle_start_node[v] for v in vehicles]
    ends = [c.vehicle_end_node[v] for v in vehicles]
    manager = pywrapcp.RoutingIndexManager(n, len(vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    keep: list[Any] = []
    cost_cb = routing.RegisterTransitMatrix(m.cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = routing.RegisterTransitMatrix(m.transit.tolist())
    h = c.horizon
    routing.AddDimension(time_cb, h, h, False, "time")
    time = routing.GetDimensionOrDie("time")
    if duration_cost:
        time.SetSpanCostCoefficientForAllVehicles(duration_cost)
    for k, veh in enumerate(vehicles):
        v = c.vehicles[veh]
        time.CumulVar(routing.Start(k)).SetRange(v.shift.earliest, v.shift.latest)
        time.CumulVar(routing.End(k)).SetRange(v.shift.earliest, v.shift.latest)
        if v.max_duration is not None:
            time.SetSpanUpperBoundForVehicle(v.max_duration, k)
        if v.fixed_cost and fixed_costs:
            routing.SetFixedCostOfVehicle(v.fixed_cost, k)
    _add_capacities(c, routing, vehicles)
    vpos = {veh: k for k, veh in enumerate(vehicles)}
    limits: list[int] = []
    for r, req in enumerate(c.requests):
        p = manager.NodeToIndex(2 * r)
        d = manager.NodeToIndex(2 * r + 1)
        for node_index, node in ((p, 2 * r), (d, 2 * r + 1)):
            lo, hi = c.node_window[node]
            time.CumulVar(node_index).SetRange(lo, hi)
            routing.AddDisjunction([node_index], c.penalty[r])
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(time.CumulVar(p) <= time.CumulVar(d))
        if req.max_ride_time is not None:
            limit = req.max_ride_time + req.pickup_service
            limits.append(limit)
            # The filters only see the limit through this function; the constraint makes it hard.
            time.SetPickupToDeliveryLimitFunctionForPair(_const(limit, keep), r)
            solver.Add(time.CumulVar(d) - time.CumulVar(p) <= limit)
        allowed = c.allowed[r]
        if allowed is not None:
            ks = [vpos[a] for a in allowed if a in vpos]
            # SetAllowedVehiclesForIndex's span argument is unusable from Python in 9.15;
            # a vehicle-var domain does the same and the routing filters honour it.
            for index in (p, d):
                routing.VehicleVar(index).SetValues([-1, *ks])
    # "A return only with its outbound" is not posted here: like any coupling of two stops it
    # is invisible to the heuristics and filters and made the search serve nobody; ``solve``
    # removes a return whose outbound ended up unserved instead.
    if moved_cost and any(p is not None for p in c.previous_vehicle):
        _add_moved_dimension(c, routing, vehicles, moved_cost)
    return Model(manager, routing, vehicles, keep)


def _const(limit: int, keep: list[Any]) -> Any:
    def fn(_pickup_alternative: int, _delivery_alternative: int) -> int:
        return limit

    keep.append(fn)
    return fn


def _add_capacities(c: Compiled, routing: Any, vehicles: list[int]) -> None:
    dims = len(c.node_demand[0]) if c.node_demand else 0
    for s in range(dims):
        demand = [d[s] for d in c.node_demand]
        if not any(demand):
            continue
        cb = routing.RegisterUnaryTransitVector(demand)
        caps = [c.vehicles[v].capacity[s] for v in vehicles]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{s}")


def _add_moved_dimension(c: Compiled, routing: Any, vehicles: list[int], cost: int) -> None:
    """Counts, per route, the requests it took from another vehicle of the previous plan."""
    n = len(c.node_location)
    evaluators = []
    for veh in vehicles:
        vec = [0] * n
        for r, prev in enumerate(c.previous_vehicle):
            if prev is not None and prev != veh:
                vec[2 * r] = 1
        evaluators.append(routing.RegisterUnaryTransitVector(vec))
    routing.AddDimensionWithVehicleTransits(evaluators, 0, len(c.requests) + 1, True, "moved")
    routing.GetDimensionOrDie("moved").SetSpanCostCoefficientForAllVehicles(cost)


def search(
    model: Model,
    *,
    time_limit: float,
    first_solution: str = "auto",
    metaheuristic: str = "guided_local_search",
    initial: list[list[int]] | None = None,
    solution_limit: int | None = None,
    first_only: bool = False,
    options: str = "",
) -> tuple[list[list[int]], int] | None:
    """Run one search; return the routes (node lists per model vehicle) and the cost."""
    routing, manager = model.routing, model.manager
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = FIRST_SOLUTIONS[first_solution]
    sp.local_search_metaheuristic = METAHEURISTICS[metaheuristic]
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if options:
        text_format.Merge(options, sp)
    if first_only:
        sp.solution_limit = 1
    elif solution_limit is not None:
        sp.solution_limit = solution_limit
    if initial is not None:
        idx = [[manager.NodeToIndex(n) for n in route] for route in initial]
        start = routing.ReadAssignmentFromRoutes(idx, True)
        if start is None:
            log.info("warm start rejected by the model; searching from scratch")
            solution = routing.SolveWithParameters(sp)
        else:
            solution = routing.SolveFromAssignmentWithParameters(start, sp)
    else:
        solution = routing.SolveWithParameters(sp)
    if solution is None:
        return None
    routes: list[list[int]] = []
    for k in range(len(model.vehicles)):
        index = routing.Start(k)
        route: list[int] = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return routes, int(solution.ObjectiveValue())


def cpsat_routes(
    c: Compiled,
    m: Matrices,
    vehicles: list[int],
    routes: list[list[int]],
    time_limit: float,
    seed: int,
) -> list[list[int]] | None:
    """Re-solve a few routes exactly-ish with CP-SAT, hinted with the current routes.

    A giant-tour circuit over the vehicles' start/end copies and the routes' stops; each arc
    literal carries the time, load and vehicle propagation. Returns better routes (same
    requests, all served) or None when CP-SAT found nothing better in time.
    """
    from ortools.sat.python import cp_model

    k_count = len(vehicles)
    stops = [n for r in routes for n in r]
    nodes = (
        [c.vehicle_start_node[v] for v in vehicles]
        + [c.vehicle_end_node[v] for v in vehicles]
        + stops
    )
    size = len(nodes)
    first_stop = 2 * k_count
    pos = {n: first_stop + i for i, n in enumerate(stops)}
    model = cp_model.CpModel()
    h = c.horizon
    t = []
    veh = []
    for i, n in enumerate(nodes):
        if i < first_stop:
            v = c.vehicles[vehicles[i % k_count]]
            t.append(model.new_int_var(v.shift.earliest, v.shift.latest, f"t{i}"))
            veh.append(model.new_constant(i % k_count))
        else:
            lo, hi = c.node_window[n]
            t.append(model.new_int_var(lo, min(hi, h), f"t{i}"))
            allowed = c.allowed[n // 2]
            dom = (
                list(range(k_count))
                if allowed is None
                else [k for k, v in enumerate(vehicles) if v in allowed]
            )
            veh.append(model.new_int_var_from_domain(cp_model.Domain.from_values(dom), f"v{i}"))
    dims = len(c.node_demand[0]) if c.node_demand else 0
    cap = [max(c.vehicles[v].capacity[s] for v in vehicles) for s in range(dims)]
    load = [[model.new_int_var(0, cap[s], f"q{s}_{i}") for i in range(size)] for s in range(dims)]
    for s in range(dims):
        for k in range(k_count):
            model.add(load[s][k] == 0)
    arcs: list[tuple[int, int, Any]] = []
    cost_terms = []
    hint: set[tuple[int, int]] = set()
    for r_i, r in enumerate(routes):
        path = [r_i, *(pos[n] for n in r), k_count + r_i]
        hint.update(itertools.pairwise(path))
    for i in range(size):
        for j in range(size):
            if i == j:
                continue
            ni, nj = nodes[i], nodes[j]
            if i < k_count and j >= first_stop and nj % 2 == 1:
                continue  # a route starts with a pick-up
            if j < k_count or (k_count <= i < first_stop):
                continue  # into a start / out of an end: only the chain arcs below
            if k_count <= j < first_stop and (i >= k_count and i < first_stop):
                continue
            if k_count <= j < first_stop and i < k_count and j - k_count != i:
                continue  # empty route: start k -> end k only
            if i >= first_stop and k_count <= j < first_stop and ni % 2 == 0:
                continue  # a route ends with a drop-off
            if i >= first_stop and j >= first_stop and ni % 2 == 1 and nj == ni - 1:
                continue  # drop-off before its own pick-up
            travel = int(m.transit[ni][nj])
            lo_i = c.node_window[ni][0] if i >= first_stop else 0
            hi_j = c.node_window[nj][1] if j >= first_stop else h
            if lo_i + travel > hi_j:
                continue
            lit = model.new_bool_var(f"x{i}_{j}")
            arcs.append((i, j, lit))
            model.add(t[j] >= t[i] + travel).only_enforce_if(lit)
            model.add(veh[j] == veh[i]).only_enforce_if(lit)
            for s in range(dims):
                d = c.node_demand[nj][s] if j >= first_stop else 0
                model.add(load[s][j] == load[s][i] + d).only_enforce_if(lit)
            cost_terms.append(int(m.cost[ni][nj]) * lit)
            model.add_hint(lit, (i, j) in hint)
    for k in range(k_count):
        chain = model.new_bool_var(f"chain{k}")
        model.add(chain == 1)
        arcs.append((k_count + k, (k + 1) % k_count, chain))
        v = c.vehicles[vehicles[k]]
        if v.max_duration is not None:
            model.add(t[k_count + k] - t[k] <= v.max_duration)
    for n in stops:
        if n % 2 == 0:
            p, d = pos[n], pos[n + 1]
            req = c.requests[n // 2]
            model.add(veh[p] == veh[d])
            model.add(t[d] >= t[p] + int(m.transit[n][n + 1]))
            if req.max_ride_time is not None:
                model.add(t[d] - t[p] <= req.max_ride_time + req.pickup_service)
    for i in range(first_stop, size):
        for s in range(dims):
            per_vehicle_cap = [c.vehicles[v].capacity[s] for v in vehicles]
            if len(set(per_vehicle_cap)) > 1:
                cap_var = model.new_int_var(0, cap[s], f"cap{s}_{i}")
                model.add_element(veh[i], per_vehicle_cap, cap_var)
                model.add(load[s][i] <= cap_var)
    model.add_circuit([(i, j, lit) for i, j, lit in arcs])
    model.minimize(sum(cost_terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.05)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    succ = {i: j for i, j, lit in arcs if solver.boolean_value(lit)}
    out: list[list[int]] = []
    for k in range(k_count):
        route: list[int] = []
        i = succ[k]
        while i >= first_stop:
            route.append(nodes[i])
            i = succ[i]
        out.append(route)
    return out
