"""``rides bench``: solve public benchmark instances and compare with best-known results.

The benchmark readers and runner live in ``devtools/``, which a checkout has and the wheel does
not; the commands import it when they run and say so when it is missing.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from scheduler.solver import SchedulerError, warm_up
from services.cli._output import configure_logging

if TYPE_CHECKING:
    from devtools.bench_runner import BenchResult

bench_app = typer.Typer(
    help="Solve Li & Lim / Cordeau benchmark instances and compare with best-known results.",
    no_args_is_help=True,
)

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]


class BenchFormat(StrEnum):
    """Instance file formats."""

    lilim = "lilim"
    darp = "darp"


FormatOpt = Annotated[BenchFormat, typer.Option("--format", help="Instance file format.")]
LimitOpt = Annotated[
    float, typer.Option("--time-limit", min=0.1, help="Seconds per instance (wall clock).")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the search.")]


def _logging(verbose: bool) -> None:
    # The solver's progress lines go to stderr only with --verbose: a benchmark's output is its
    # table or JSON.
    configure_logging(level=logging.INFO if verbose else logging.WARNING)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _needs_checkout() -> typer.Exit:
    """The exit when ``devtools`` is missing: installed from a wheel, not run from a checkout."""
    return _fail(
        "the bench commands need a checkout of the rides repository (its devtools/ package "
        "is not installed with the wheel); run them there with `uv run rides bench`"
    )


@bench_app.command("solve")
def solve_cmd(
    path: Annotated[Path, typer.Argument(help="Instance file.")],
    fmt: FormatOpt,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log to stderr.")] = False,
) -> None:
    """Solve one instance; with --json print exactly one JSON object on stdout."""
    _logging(verbose)
    try:
        from devtools.bench_runner import solve_instance
        from devtools.instances import load
    except ImportError:
        raise _needs_checkout() from None
    try:
        inst = load(path, fmt.value)
        result = solve_instance(inst, time_limit, seed)
    except SchedulerError as exc:
        raise _fail(str(exc)) from None
    for v in result.violations:
        typer.echo(f"violation: {v.kind}: {v.message}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_json()))
    else:
        typer.echo(
            f"{inst.name}: feasible={result.feasible} vehicles={len(result.routes)} "
            f"distance={result.distance:.4f} seconds={result.seconds:.2f}"
        )


def shared_dir(option: Path | None) -> Path:
    """``shared/``: the option, else $RIDES_SHARED_DIR, else ``../shared`` from the repo."""
    if option is not None:
        return option
    env = os.environ.get("RIDES_SHARED_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def load_bks(path: Path) -> dict[str, tuple[int, float]]:
    """Best-known (vehicles, distance) per instance name; empty when the file is missing."""
    if not path.is_file():
        return {}
    with path.open() as fh:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(fh)
        }


@bench_app.command("suite")
def suite_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder of instance files (*.txt).")],
    fmt: FormatOpt,
    time_limit: LimitOpt = 10.0,
    seed: SeedOpt = 0,
    shared: Annotated[
        Path | None, typer.Option("--shared", help="shared/ folder holding bench/bks.csv.")
    ] = None,
    peer: Annotated[bool, typer.Option(help="Also run VROOM (Li & Lim only).")] = True,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write rows here.")] = None,
) -> None:
    """Solve every instance of a folder and print a table against BKS (and VROOM)."""
    _logging(False)
    try:
        from devtools.bench_runner import solve_instance
        from devtools.instances import load
    except ImportError:
        raise _needs_checkout() from None
    if not folder.is_dir():
        raise _fail(f"not a folder: {folder}")
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise _fail(f"no *.txt instance files in {folder}")
    bks = load_bks(shared_dir(shared) / "bench" / "bks.csv")
    use_peer = peer and fmt is BenchFormat.lilim
    # Once, as a planning worker does when it starts: not inside the first instance's limit.
    typer.echo(f"compiled core loaded in {warm_up():.1f}s", err=True)
    rows: list[dict[str, str]] = []
    for i, path in enumerate(files, 1):
        try:
            inst = load(path, fmt.value)
            res = solve_instance(inst, time_limit, seed)
        except SchedulerError as exc:
            raise _fail(str(exc)) from None
        row = _row(res, bks.get(inst.name))
        if use_peer:
            from devtools.vroom_peer import solve_vroom

            pv, pd, pf = solve_vroom(inst, time_limit)
            row |= {"vroom_vehicles": str(pv), "vroom_distance": f"{pd:.2f}"}
            row["vs_vroom"] = _versus((len(res.routes), res.distance), (pv, pd), res.feasible, pf)
        rows.append(row)
        typer.echo(f"[{i}/{len(files)}] {' '.join(row.values())}", err=True)
    _print_table(rows)
    if csv_out is not None:
        with csv_out.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def _row(res: BenchResult, best: tuple[int, float] | None) -> dict[str, str]:
    row = {
        "instance": res.instance.name,
        "feasible": "yes" if res.feasible else "NO",
        "vehicles": str(len(res.routes)),
        "distance": f"{res.distance:.2f}",
        "seconds": f"{res.seconds:.1f}",
        "bks_vehicles": "",
        "bks_distance": "",
        "gap_pct": "",
    }
    if best is not None:
        row["bks_vehicles"], row["bks_distance"] = str(best[0]), f"{best[1]:.2f}"
        row["gap_pct"] = f"{100 * (res.distance - best[1]) / best[1]:.2f}"
    return row


def _versus(ours: tuple[int, float], theirs: tuple[int, float], ok: bool, peer_ok: bool) -> str:
    """win / tie / loss on (vehicles, distance), distances equal within 0.01%."""
    if not ok or not peer_ok:
        return "win" if ok else ("loss" if peer_ok else "tie")
    if ours[0] != theirs[0]:
        return "win" if ours[0] < theirs[0] else "loss"
    if abs(ours[1] - theirs[1]) <= 1e-4 * theirs[1]:
        return "tie"
    return "win" if ours[1] < theirs[1] else "loss"


def _print_table(rows: list[dict[str, str]]) -> None:
    table = Table(show_lines=False)
    for col in rows[0]:
        table.add_column(col, justify="left" if col == "instance" else "right")
    for row in rows:
        table.add_row(*row.values())
    Console(width=200).print(table)
    gaps = [float(r["gap_pct"]) for r in rows if r["gap_pct"]]
    feasible = sum(r["feasible"] == "yes" for r in rows)
    summary = f"feasible {feasible}/{len(rows)}"
    if gaps:
        summary += f", mean gap {sum(gaps) / len(gaps):.2f}%"
    if rows and "vs_vroom" in rows[0]:
        counts = {k: sum(r["vs_vroom"] == k for r in rows) for k in ("win", "tie", "loss")}
        summary += f", vs VROOM {counts['win']}W/{counts['tie']}T/{counts['loss']}L"
    typer.echo(summary)
