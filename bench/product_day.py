"""A large day planned the way the product plans it: database rows in, a stored draft plan out.

    uv run python bench/product_day.py --requests 1000 --drivers 150 --time-limit 60

The deterministic sample generator (``shared.sample``) makes a Greater Toronto network of N
requests and M drivers; it is stored in a throwaway SQLite database, planned by
``scheduler.planning.plan_and_store`` (the adapter, the solver, the plan rows) and the solution is
verified by the independent feasibility checker. Prints one table row: legs, drivers, served,
unserved by reason, drivers used, solve and wall time; then how many legs are infeasible by
construction (pre-check reasons, and return legs that cannot follow their outbound in time:
the outbound's earliest drop-off plus the wait passes the return's latest pick-up) and how
many are left for lack of room. ``--fleet-scale N`` also solves the same legs with every
driver cloned N times (solver only), to show how many drivers the day would need.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlmodel import Session

from scheduler.planning import params_from_settings, plan_and_store
from scheduler.solver import (
    Problem,
    Solution,
    SolveParams,
    UnservedReason,
    check,
    solve,
    warm_up,
)
from shared import migrations
from shared.db import make_engine
from shared.sample import SampleSize, seed_sample
from shared.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--drivers", type=int, default=150)
    parser.add_argument("--riders", type=int, default=0, help="default: 60%% of requests")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--date", default="2026-12-03", help="a Thursday")
    parser.add_argument("--fleet-scale", type=int, default=1, help="also solve with N x drivers")
    args = parser.parse_args()
    day = date.fromisoformat(args.date)
    riders = args.riders or max(1, int(args.requests * 0.6))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'day.sqlite3'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            net = seed_sample(
                session,
                "toronto",
                day,
                SampleSize(args.drivers, riders, args.requests),
                legacy=True,  # the benchmark generator, so figures stay comparable
            )
            session.commit()
            org_id = net.organisation.id
        assert org_id is not None
        # A planning worker loads the compiled core when it boots, not in its first plan.
        warm_up()
        started = time.perf_counter()
        result = plan_and_store(
            org_id,
            day,
            time_limit=args.time_limit,
            seed=args.seed,
            engine=engine,
            progress=lambda line: print(f"  {line}", flush=True),
        )
        wall = time.perf_counter() - started
        violations = check(result.day.problem, result.solution)
        engine.dispose()
    solution = result.solution
    reasons = Counter(u.reason.value for u in solution.unserved)
    reasons.update(result.day.rejected.values())
    legs = len(result.day.problem.requests)
    served = sum(len(r.visits) // 2 for r in solution.routes)
    columns = ["requests", "legs", "drivers available", "served legs", "drivers used"]
    print("| " + " | ".join([*columns, "solve s", "wall s", "feasible"]) + " |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| {args.requests} | {legs} | {len(result.day.problem.vehicles)} | {served} | "
        f"{len(solution.routes)} | {solution.stats.get('seconds', 0):.1f} | {wall:.1f} | "
        f"{'yes' if not violations else f'NO ({len(violations)} violations)'} |"
    )
    for reason, count in reasons.most_common():
        print(f"  unserved: {count} x {reason}")
    problem = result.day.problem
    params = params_from_settings(get_settings().scheduler, args.time_limit, args.seed)
    infeasible = _infeasible_by_construction(solution)
    room = len(solution.unserved) - sum(infeasible.values())
    print(
        f"  infeasible by construction: {sum(infeasible.values())} of {legs} legs "
        f"({', '.join(f'{n} {why}' for why, n in infeasible.items())}); "
        f"served {served} of {legs - sum(infeasible.values())} feasible legs "
        f"({100 * served / max(legs - sum(infeasible.values()), 1):.0f}%); "
        f"{room} left for lack of room"
    )
    if args.fleet_scale > 1:
        _scaled(problem, params, args.fleet_scale)


def _infeasible_by_construction(solution: Solution) -> dict[str, int]:
    """Unserved legs no plan could serve: those the pre-checks ruled out, with their reasons."""
    return dict(
        Counter(
            u.reason.value
            for u in solution.unserved
            if u.reason not in (UnservedReason.NO_ROOM, UnservedReason.OUTBOUND_UNSERVED)
        )
    )


def _scaled(problem: Problem, params: SolveParams, scale: int) -> None:
    vehicles = tuple(replace(v, id=f"{v.id}x{k}") for k in range(scale) for v in problem.vehicles)
    bigger = replace(problem, vehicles=vehicles)
    solution = solve(bigger, params)
    served = sum(len(r.visits) // 2 for r in solution.routes)
    print(
        f"  with {scale} x drivers ({len(vehicles)}, solver only): served {served} legs, "
        f"{len(solution.routes)} drivers used, {solution.stats['seconds']:.1f} s, "
        f"{len(check(bigger, solution))} violations"
    )


if __name__ == "__main__":
    main()
