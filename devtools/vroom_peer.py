"""VROOM as a peer on Li & Lim instances, for side-by-side benchmark tables only.

VROOM (``pyvroom``) is a development dependency; nothing in the solver uses it.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from devtools.bench_check import BenchRoute, bench_distance, check_bench
from devtools.instances import SCALE, Instance


def solve_vroom(inst: Instance, time_limit: float) -> tuple[int, float, bool]:
    """(vehicles, distance, feasible) of VROOM's plan, distance recomputed in floats."""
    import numpy as np
    import vroom

    n = len(inst.nodes)
    durations = np.array(
        [[math.ceil(round(inst.dist(a, b) * SCALE, 6)) for b in range(n)] for a in range(n)],
        dtype=np.uint32,
    )
    problem: Any = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=durations)
    depot = inst.nodes[0]
    for v in range(inst.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                id=v + 1,
                start=0,
                end=inst.end_depot,
                capacity=[inst.capacity],
                time_window=vroom.TimeWindow(
                    math.ceil(depot.earliest * SCALE), math.floor(depot.latest * SCALE)
                ),
            )
        )
    for p, d in inst.pairs:
        steps = []
        for node in (p, d):
            nd = inst.nodes[node]
            window = vroom.TimeWindow(math.ceil(nd.earliest * SCALE), math.floor(nd.latest * SCALE))
            steps.append(
                vroom.ShipmentStep(
                    id=node,
                    location=node,
                    default_service=math.ceil(nd.service * SCALE),
                    time_windows=[window],
                )
            )
        problem.add_shipment(steps[0], steps[1], amount=vroom.Amount([inst.nodes[p].demand]))
    sol = problem.solve(
        exploration_level=5, nb_threads=1, timeout=datetime.timedelta(seconds=time_limit)
    )
    df = sol.routes
    routes: list[BenchRoute] = []
    for _, group in df.groupby("vehicle_id"):
        stops = tuple(
            (int(row.location_index), float(row.arrival + row.waiting_time) / SCALE)
            for row in group.itertuples()
            if row.type in ("pickup", "delivery")
        )
        if stops:
            routes.append(BenchRoute(0.0, 0.0, stops))
    unserved = len(inst.pairs) * 2 - sum(len(r.stops) for r in routes)
    feasible = unserved == 0 and not [
        v for v in check_bench(inst, routes) if v.kind not in ("time", "shift")
    ]
    return len(routes), bench_distance(inst, routes), feasible
