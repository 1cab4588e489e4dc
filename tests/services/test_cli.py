"""The ``rides`` command line: every command documented, the database ones on both back-ends."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from shared.db import dispose_engines, make_engine
from shared.models import Driver, Organisation, RideRequest
from shared.settings import reset_settings

runner = CliRunner()
COMMANDS = ("migrate", "seed", "serve", "worker", "demo")


def _use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    dispose_engines()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_its_own_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_migrate_then_seed_loads_the_toronto_network(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    _use_database(monkeypatch, database_url)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["seed", "--sample", "toronto", "--date", "2026-12-03"])
    assert result.exit_code == 0, result.output
    assert "12 drivers, 40 riders, 15 places, 30 requests on 2026-12-03" in result.output
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(Organisation)).one().slug == "toronto-newcomer-rides"
        assert len(session.exec(select(Driver)).all()) == 12
        assert len(session.exec(select(RideRequest)).all()) == 30
    engine.dispose()
    dispose_engines()


def test_seeding_twice_says_why_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    _use_database(monkeypatch, database_url)
    assert runner.invoke(app, ["seed", "--sample", "toronto"]).exit_code == 0
    result = runner.invoke(app, ["seed", "--sample", "toronto"])
    assert result.exit_code == 1
    assert "already seeded" in result.output
    dispose_engines()


def test_a_bad_date_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    _use_database(monkeypatch, database_url)
    result = runner.invoke(app, ["seed", "--sample", "toronto", "--date", "3/12"])
    assert result.exit_code == 1
    assert "use YYYY-MM-DD" in result.output
    dispose_engines()


def test_an_unreachable_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _use_database(monkeypatch, "postgresql://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output


def test_the_worker_explains_that_it_needs_redis() -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.output


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_lease_shorter_than_a_send_stops_start_up_naming_both_settings(
    monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SENDING_LEASE_SECONDS", "15")
    monkeypatch.setenv("TWILIO_TIMEOUT_SECONDS", "10")
    reset_settings()
    result = runner.invoke(app, [command])
    assert result.exit_code == 1
    assert "SENDING_LEASE_SECONDS=15" in result.output
    assert "TWILIO_TIMEOUT_SECONDS=10" in result.output


def test_demo_runs_on_embedded_defaults_and_can_run_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(str(tmp_path))
    for _ in range(2):
        result = runner.invoke(app, ["demo"])
        assert result.exit_code == 0, result.output
        assert "Toronto Newcomer Rides" in result.output
        assert "drivers" in result.output
    dispose_engines()
