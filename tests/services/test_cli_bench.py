"""``rides bench``: JSON interface, suite table, and clear errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the sub-apps)
from services.cli.bench import shared_dir

BENCH = shared_dir(None) / "bench"
needs_bench = pytest.mark.skipif(not BENCH.is_dir(), reason=f"benchmark data not found at {BENCH}")
runner = CliRunner()


@needs_bench
@pytest.mark.parametrize(
    ("path", "fmt"), [("darp/a/a2-16.txt", "darp"), ("lilim/pdp_100/lc101.txt", "lilim")]
)
def test_bench_solve_prints_one_feasible_json_object(path: str, fmt: str) -> None:
    """Exactly one JSON object with the agreed keys; every request visited once."""
    result = runner.invoke(
        app, ["bench", "solve", str(BENCH / path), "--format", fmt, "--time-limit", "1.5", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "instance",
        "format",
        "feasible",
        "vehicles",
        "distance",
        "seconds",
        "routes",
    }
    assert data["feasible"] is True
    assert data["vehicles"] == len(data["routes"])
    nodes = sorted(s["node"] for r in data["routes"] for s in r["stops"])
    assert nodes == list(range(1, len(nodes) + 1))
    assert all(set(r) == {"start", "end", "stops"} for r in data["routes"])


def test_bench_solve_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    """Non-zero exit and a message, no traceback."""
    result = runner.invoke(
        app, ["bench", "solve", str(tmp_path / "x.txt"), "--format", "darp", "--json"]
    )
    assert result.exit_code == 2
    assert "not found" in result.output
    assert "Traceback" not in result.output


def test_bench_suite_prints_a_table_with_the_gap_to_bks(tmp_path: Path) -> None:
    """A one-instance folder and a one-row BKS file give a table and a summary line."""
    (tmp_path / "inst").mkdir()
    (tmp_path / "inst" / "tiny.txt").write_text(
        "1 4 480 3 30\n0 0 0 0 0 0 1440\n1 3 4 1 1 0 1440\n2 0 8 1 1 0 1440\n"
        "3 6 8 1 -1 0 1440\n4 -6 8 1 -1 0 1440\n"
    )
    (tmp_path / "shared" / "bench").mkdir(parents=True)
    (tmp_path / "shared" / "bench" / "bks.csv").write_text(
        "instance,vehicles,distance,source\ntiny,1,30.0,test\n"
    )
    result = runner.invoke(
        app,
        [
            "bench",
            "suite",
            str(tmp_path / "inst"),
            "--format",
            "darp",
            "--time-limit",
            "0.5",
            "--shared",
            str(tmp_path / "shared"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "tiny" in result.stdout
    assert "feasible 1/1" in result.stdout
    assert "mean gap" in result.stdout


def test_bench_suite_on_an_empty_folder_fails_clearly(tmp_path: Path) -> None:
    """No instances: say so and exit non-zero."""
    result = runner.invoke(app, ["bench", "suite", str(tmp_path), "--format", "lilim"])
    assert result.exit_code == 2
    assert "no *.txt" in result.output


@pytest.mark.parametrize("command", ["solve", "suite"])
def test_bench_without_devtools_says_it_needs_a_checkout(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed from the wheel (no ``devtools``), both commands exit with a clear reason."""
    # A None entry in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "devtools.bench_runner", None)
    result = runner.invoke(app, ["bench", command, str(tmp_path), "--format", "lilim"])
    assert result.exit_code == 2
    assert "need a checkout" in result.output
    assert "Traceback" not in result.output
