"""Compare search settings on a set of benchmark instances (one process, one at a time).

    uv run python bench/tune.py darp 10 '{"metaheuristic": "tabu_search"}' a5-40 a7-70 ...

The JSON object overrides fields of the format's default ``SolveParams`` or of its search knobs
(``SearchKnobs``, by the same flat names as before); instance names are looked up in the shared
benchmark folders. Prints one line per instance and the mean gap.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from devtools.bench_runner import params_for, solve_instance
from devtools.instances import load
from scheduler.solver import SearchKnobs, SolveParams, warm_up
from services.cli.bench import load_bks, shared_dir

FOLDERS = {"darp": ["darp/a"], "lilim": ["lilim/pdp_100", "lilim/pdp_200"]}


def main(argv: list[str]) -> None:
    """Run the instances named in ``argv`` with the given overrides."""
    fmt, limit, overrides, *names = argv
    bench = shared_dir(None) / "bench"
    bks = load_bks(bench / "bks.csv")
    extra: dict[str, Any] = json.loads(overrides)
    if "first_solutions" in extra:
        extra["first_solutions"] = tuple(extra["first_solutions"])
    gaps, vehicles_over = [], 0
    warm_up()  # once, as `rides bench suite` does: not inside the first instance's limit
    for name in names:
        path = next(p for f in FOLDERS[fmt] if (p := bench / f / f"{name}.txt").is_file())
        inst = load(Path(path), fmt)  # type: ignore[arg-type]
        params = _overridden(params_for(inst, float(limit)), extra)
        res = solve_instance(inst, float(limit), params=params)
        best_v, best_d = bks[name]
        gap = 100 * (res.distance - best_d) / best_d
        gaps.append(gap)
        vehicles_over += len(res.routes) - best_v if fmt == "lilim" else 0
        sys.stdout.write(
            f"{name} feasible={res.feasible} v={len(res.routes)}/{best_v} "
            f"d={res.distance:.2f} gap={gap:.2f}% t={res.seconds:.1f}\n"
        )
        sys.stdout.flush()
    sys.stdout.write(
        f"MEAN gap={sum(gaps) / len(gaps):.2f}% extra_vehicles={vehicles_over} {overrides}\n"
    )


def _overridden(params: SolveParams, extra: dict[str, Any]) -> SolveParams:
    """``params`` with ``extra`` applied: knob names go to its ``search``, the rest to itself."""
    knobs = {f.name for f in fields(SearchKnobs)}
    search = {k: v for k, v in extra.items() if k in knobs}
    rest = {k: v for k, v in extra.items() if k not in knobs}
    return replace(params, search=replace(params.search, **search), **rest)


if __name__ == "__main__":
    main(sys.argv[1:])
