"""How planning a day through the product scales: days of 1,000, 2,000 and 4,000 requests.

    uv run python bench/scale.py --sizes 1000 2000 4000 --limits 60 300 --seed 0
    uv run python bench/scale.py --sizes 1000 2000 4000 --limits 20   # construction times only

Each day is the benchmark generator of ``bench/product_day.py`` (``shared.sample``, legacy
Toronto network) with drivers in proportion to its 1,000-request, 150-driver day (2,000
requests: 300 drivers; 4,000: 600), stored in a throwaway SQLite database and planned by
``scheduler.planning.plan_and_store`` as the product does; the plan is verified by the
independent checker. Every (size, time limit) runs in its own child process, so peak memory is
that run's alone (``ru_maxrss`` of the child, the database and the travel matrix included).

Columns: *first plan s* is the time from the start of ``solve`` to the first feasible plan
(construction done: every request placed or left out; pre-checks included, the compiled core
loaded before, as a worker does when it boots); *construction s* is the same for the compiled
search (the pure-Python path, ``SearchKnobs(compiled=False)``, also repairs after its first
pass); *ms / leg* is construction per leg, to show how its cost grows with the day; *ruins* is
how many ruin and recreate iterations ran in the rest of the time. Progress goes to stderr, the
markdown table to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from scheduler.planning import plan_and_store
from scheduler.solver import check, warm_up
from shared import migrations
from shared.db import make_engine
from shared.sample import SampleSize, seed_sample

DAY = date(2026, 12, 3)  # a Thursday, as in bench/product_day.py
DRIVERS_PER_REQUEST = 150 / 1000


class _Timings(logging.Handler):
    """Picks the solver's construction and search figures out of its log records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.figures: dict[str, float] = {}
        self.at: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        for key in ("first_pass_s", "construction_s", "tried", "kept"):
            if hasattr(record, key):
                self.figures[key] = float(getattr(record, key))
                self.at[key] = record.created


def _child(requests: int, limit: float, seed: int) -> dict[str, Any]:
    """Seed, plan, check one day; the figures as a dict (run in a process of its own)."""
    drivers = round(requests * DRIVERS_PER_REQUEST)
    timings = _Timings()
    solver_log = logging.getLogger("scheduler.solver")
    solver_log.setLevel(logging.INFO)
    solver_log.addHandler(timings)
    started: dict[str, float] = {}

    def progress(line: str) -> None:
        if line.startswith("solving"):
            started["solve"] = time.time()
        print(f"    {line}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'day.sqlite3'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        with Session(engine) as session:
            net = seed_sample(
                session,
                "toronto",
                DAY,
                SampleSize(drivers, max(1, int(requests * 0.6)), requests),
                legacy=True,
            )
            session.commit()
            org_id = net.organisation.id
        assert org_id is not None
        seeded = time.perf_counter() - t0
        warm_up()  # a planning worker loads the compiled core when it boots
        result = plan_and_store(
            org_id, DAY, time_limit=limit, seed=seed, engine=engine, progress=progress
        )
        engine.dispose()
    solution = result.solution
    problem = result.day.problem
    violations = check(problem, solution)
    first = timings.at.get("first_pass_s")
    return {
        "requests": requests,
        "drivers": len(problem.vehicles),
        "legs": len(problem.requests),
        "limit": limit,
        "first_plan_s": None if first is None else first - started["solve"],
        "first_pass_s": timings.figures.get("first_pass_s"),
        "construction_s": timings.figures.get("construction_s"),
        "ruins": int(timings.figures.get("tried", 0)),
        "served": sum(len(r.visits) // 2 for r in solution.routes),
        "used": len(solution.routes),
        "solve_s": float(solution.stats.get("seconds", 0)),
        "seed_s": seeded,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "violations": len(violations),
    }


def _run(requests: int, limit: float, seed: int) -> dict[str, Any]:
    """One child process; its figures from the last line of its stdout."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(requests), str(limit), str(seed)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--limits", type=float, nargs="+", default=[60.0, 300.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        requests, limit, seed = int(args.child[0]), float(args.child[1]), int(args.child[2])
        print(json.dumps(_child(requests, limit, seed)))
        return
    rows = []
    for requests in args.sizes:
        for limit in args.limits:
            print(f"{requests} requests, {limit:g} s:", file=sys.stderr, flush=True)
            rows.append(_run(requests, limit, args.seed))
            print(f"  {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    print(
        "| requests | drivers | legs | limit s | first plan s | ms / leg | construction s "
        "| served legs | drivers used | ruins | solve s | peak MB | feasible |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        per_leg = (
            "-" if r["first_pass_s"] is None else f"{1000 * r['first_pass_s'] / r['legs']:.2f}"
        )
        feasible = "yes" if not r["violations"] else f"NO ({r['violations']} violations)"
        print(
            f"| {r['requests']} | {r['drivers']} | {r['legs']} | {r['limit']:g} "
            f"| {_seconds(r['first_plan_s'])} | {per_leg} | {_seconds(r['construction_s'])} "
            f"| {r['served']} | {r['used']} | {r['ruins']} | {r['solve_s']:.1f} "
            f"| {r['peak_mb']:.0f} | {feasible} |"
        )


if __name__ == "__main__":
    main()
