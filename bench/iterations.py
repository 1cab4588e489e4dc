"""Seconds the compiled core takes for a fixed number of ruin-and-recreate iterations.

    uv run python bench/iterations.py --iterations 30000 lc105 lr205 lr2_2_7

Each named Li & Lim or DARP instance is constructed once (earliest pick-up first), then
searched for exactly ``--iterations`` iterations at a fixed temperature (a tenth of the plan's
mean arc cost per stop) without blinks, so two versions of the core that make the same moves
end at the same cost and differ only in time: a speed comparison free of search luck.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from devtools.bench_runner import params_for
from devtools.instances import load, to_problem
from scheduler.solver import _core as core
from scheduler.solver import warm_up
from scheduler.solver._compile import compile_problem
from scheduler.solver._sisr import _MAX_STRING, _MEAN_REMOVED, CompiledSearch
from services.cli.bench import shared_dir

FOLDERS = (("lilim/pdp_100", "lilim"), ("lilim/pdp_200", "lilim"), ("darp/a", "darp"))


def main() -> None:
    """Time the named instances."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", help="instance names, e.g. lc105 lr2_2_7 a8-96")
    parser.add_argument("--iterations", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bench = shared_dir(None) / "bench"
    warm_up()
    for name in args.names:
        found = [(p, f) for d, f in FOLDERS if (p := bench / d / f"{name}.txt").is_file()]
        if not found:
            sys.exit(f"no instance named {name!r} under {bench}")
        path, fmt = found[0]
        inst = load(Path(path), fmt)  # type: ignore[arg-type]
        problem = to_problem(inst)
        params = params_for(inst, 10.0, args.seed)
        compiled, _ = compile_problem(problem, params)
        run = CompiledSearch(
            compiled, problem.travel, params.arc_cost, params.weights.travel, args.seed
        )
        run.construct()
        none = np.zeros(len(compiled.requests), dtype=np.int64)
        t0 = time.perf_counter()
        _, best, _ = core.iterate(
            run.P,
            run.S,
            run.best_route,
            run.best_rlen,
            args.iterations,
            0.1 * run.unit(),
            none,
            False,
            run.exact,
            _MEAN_REMOVED,
            _MAX_STRING,
            0.0,
            run.cost,
            run.best_cost,
        )
        took = time.perf_counter() - t0
        sys.stdout.write(
            f"{name}: {args.iterations} iterations in {took:.2f} s "
            f"({args.iterations / took:,.0f}/s), best cost {best}\n"
        )


if __name__ == "__main__":
    main()
