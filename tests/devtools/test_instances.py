"""Benchmark loaders, the float checker, and the float schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.bench_check import bench_distance, check_bench
from devtools.bench_runner import float_schedule, solve_instance
from devtools.instances import InstanceError, load, to_problem

DARP_TINY = """2 4 480 3 30
0 0.0 0.0 0 0 0 1440
1 3.0 4.0 3 1 60 90
2 -3.0 4.0 3 1 0 1440
3 6.0 8.0 3 -1 0 1440
4 -6.0 8.0 3 -1 100 140
5 0.0 0.0 0 0 0 1440
"""

LILIM_TINY = """2 10 1
0 0 0 0 0 1000 0 0 0
1 10 0 5 0 100 5 0 2
2 20 0 -5 0 200 5 1 0
3 0 10 3 0 100 5 0 4
4 0 20 -3 0 200 5 3 0
"""


@pytest.fixture
def darp_file(tmp_path: Path) -> Path:
    """Two requests, with the end depot given as node 2n+1."""
    path = tmp_path / "tiny-darp.txt"
    path.write_text(DARP_TINY)
    return path


@pytest.fixture
def lilim_file(tmp_path: Path) -> Path:
    """Two shipments on two spokes from the depot."""
    path = tmp_path / "tiny-lilim.txt"
    path.write_text(LILIM_TINY)
    return path


def test_darp_file_with_end_depot_loads_pairs_and_limits(darp_file: Path) -> None:
    """n comes from the header; request i pairs with n+i; the end depot is 2n+1."""
    inst = load(darp_file, "darp")
    assert inst.pairs == ((1, 3), (2, 4))
    assert (inst.vehicles, inst.capacity, inst.max_route, inst.max_ride) == (2, 3, 480, 30)
    assert inst.end_depot == 5


def test_darp_file_without_end_depot_returns_to_node_zero(tmp_path: Path) -> None:
    """Files that stop at node 2n use the start depot as the end."""
    path = tmp_path / "no-end.txt"
    path.write_text("".join(DARP_TINY.splitlines(keepends=True)[:-1]))
    assert load(path, "darp").end_depot == 0


def test_lilim_file_pairs_pickups_with_their_deliveries(lilim_file: Path) -> None:
    """A pick-up line names its delivery; the header's K and Q are kept."""
    inst = load(lilim_file, "lilim")
    assert inst.pairs == ((1, 2), (3, 4))
    assert (inst.vehicles, inst.capacity) == (2, 10)


@pytest.mark.parametrize("fmt", ["darp", "lilim"])
def test_missing_or_broken_files_raise_an_instance_error(tmp_path: Path, fmt: str) -> None:
    """A clear one-line error, never a traceback from the parser."""
    with pytest.raises(InstanceError, match="not found"):
        load(tmp_path / "nope.txt", fmt)  # type: ignore[arg-type]
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not an instance\n1 2\n")
    with pytest.raises(InstanceError, match="not a valid"):
        load(bad, fmt)  # type: ignore[arg-type]


def test_scaled_problem_rounds_travel_up_and_windows_inward(darp_file: Path) -> None:
    """Integer data never promises more than the file allows."""
    inst = load(darp_file, "darp")
    problem = to_problem(inst)
    assert problem.travel.time[0][1] == 5000  # 3-4-5 triangle, exact
    assert problem.requests[0].max_ride_time == 30_000
    assert problem.vehicles[0].max_duration == 480_000


@pytest.mark.parametrize(("name", "fmt"), [("tiny-darp", "darp"), ("tiny-lilim", "lilim")])
def test_tiny_instances_solve_feasibly_in_full_precision(
    darp_file: Path, lilim_file: Path, name: str, fmt: str
) -> None:
    """Solve, reschedule in floats, and let the float checker agree."""
    inst = load(darp_file if fmt == "darp" else lilim_file, fmt)  # type: ignore[arg-type]
    result = solve_instance(inst, time_limit=0.5)
    assert result.feasible, result.violations
    assert result.distance == pytest.approx(bench_distance(inst, result.routes))


def test_float_checker_catches_a_ride_time_too_long(darp_file: Path) -> None:
    """Request 1 picked up, then a detour via request 2 before its drop-off."""
    inst = load(darp_file, "darp")
    route = float_schedule(inst, [1, 3, 2, 4])
    assert route is not None and check_bench(inst, [route]) == []
    detour = [(1, route.stops[0][1]), (2, 80.0), (3, 200.0), (4, 210.0)]
    bad = type(route)(route.start, 300.0, tuple(detour))
    assert "ride_time" in {v.kind for v in check_bench(inst, [bad])}


def test_float_schedule_refuses_a_sequence_that_cannot_be_timed(darp_file: Path) -> None:
    """Drop-off of request 2 closes at 140, after request 1's pick-up at 60 it cannot wait."""
    inst = load(darp_file, "darp")
    assert float_schedule(inst, [2, 4, 1, 3]) is None
