"""The ``rides`` command line: every command documented, the database ones on both back-ends."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from shared.db import dispose_engines, make_engine
from shared.models import Driver, Organisation, RideRequest
from shared.settings import reset_settings

runner = CliRunner()
COMMANDS = ("migrate", "seed", "serve", "worker", "demo", "org")


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


def test_demo_serves_until_ctrl_c_then_stops_cleanly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The serving demo prints its links and login, keeps serving, and stops on Ctrl-C."""
    from services.cli._demo import _interrupt, free_port
    from tests.services.test_demo import give_back_demo_environment

    give_back_demo_environment(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    port = free_port()
    seen: list[int] = []

    def press_ctrl_c() -> None:
        # Once the demo waits for Ctrl-C, the page answers; then Ctrl-C is pressed.
        while signal.getsignal(signal.SIGINT) is not _interrupt:
            time.sleep(0.1)
        seen.append(httpx.get(f"http://127.0.0.1:{port}/simulator").status_code)
        seen.append(httpx.get(f"http://127.0.0.1:{port}/healthz").status_code)
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    before = signal.getsignal(signal.SIGINT)
    result = runner.invoke(app, ["demo", "--port", str(port), "--time-limit", "2"])
    presser.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert seen == [200, 200]
    assert f"http://127.0.0.1:{port}/dispatch/" in result.output
    assert f"http://127.0.0.1:{port}/simulator" in result.output
    assert "log in as demo@example.org, password " in result.output
    assert result.output.strip().endswith("stopped")
    assert signal.getsignal(signal.SIGINT) is before, "the demo gives Ctrl-C back"
    assert _refused(f"http://127.0.0.1:{port}/healthz"), "the server stopped listening"
    reset_settings()
    dispose_engines()


def test_two_cities_and_a_third_organisation_live_in_one_deployment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    _use_database(monkeypatch, database_url)
    seeded = runner.invoke(app, ["seed", "--sample", "vancouver", "--date", "2026-12-03"])
    assert seeded.exit_code == 0, seeded.output
    assert "Vancouver Newcomer Rides: 12 drivers, 40 riders, 14 places" in seeded.output
    assert runner.invoke(app, ["seed", "--sample", "toronto"]).exit_code == 0
    created = runner.invoke(
        app,
        [
            "org", "create", "--slug", "calgary-rides", "--name", "Calgary Rides",
            "--time-zone", "America/Edmonton", "--sms-number", "403 555 0100",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["org", "list"])
    assert listed.exit_code == 0
    for text in ("vancouver-newcomer-rides", "America/Vancouver", "calgary-rides", "+14035550100"):
        assert text in listed.output
    engine = make_engine(database_url)
    with Session(engine) as session:
        orgs = {o.slug: o for o in session.exec(select(Organisation)).all()}
        assert orgs["vancouver-newcomer-rides"].time_zone == "America/Vancouver"
        assert orgs["calgary-rides"].time_zone == "America/Edmonton"
        # Each city's people belong to its own organisation.
        vancouver = orgs["vancouver-newcomer-rides"].id
        phones = {
            d.phone[:5]
            for d in session.exec(select(Driver)).all()
            if d.organisation_id == vancouver
        }
        assert phones == {"+1778"}
    engine.dispose()
    dispose_engines()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--slug", "Bad Slug", "--name", "X"], "lower-case letters"),
        (["--slug", "ok", "--name", " "], "needs a name"),
        (["--slug", "ok", "--name", "X", "--time-zone", "Mars/Olympus"], "time zone"),
        (["--slug", "ok", "--name", "X", "--sms-number", "hello"], "not a phone number"),
        (["--slug", "toronto-newcomer-rides", "--name", "X"], "already exists"),
        (["--slug", "ok", "--name", "X", "--sms-number", "+14165550100"], "already belongs"),
    ],
)
def test_org_create_refuses_bad_input_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, database_url: str, arguments: list[str], message: str
) -> None:
    _use_database(monkeypatch, database_url)
    assert runner.invoke(app, ["seed", "--sample", "toronto"]).exit_code == 0
    result = runner.invoke(app, ["org", "create", *arguments])
    assert result.exit_code != 0
    assert message in result.output
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert len(session.exec(select(Organisation)).all()) == 1
    engine.dispose()
    dispose_engines()


def test_the_legacy_sample_is_the_benchmark_generator_and_toronto_only(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    _use_database(monkeypatch, database_url)
    refused = runner.invoke(app, ["seed", "--sample", "vancouver", "--legacy-sample"])
    assert refused.exit_code != 0 and "Toronto only" in refused.output
    result = runner.invoke(
        app, ["seed", "--sample", "toronto", "--legacy-sample", "--date", "2026-12-03"]
    )
    assert result.exit_code == 0, result.output
    from shared.sample import generate_network

    expected = generate_network(date(2026, 12, 3), seed=_seed_of("toronto"))
    engine = make_engine(database_url)
    with Session(engine) as session:
        codes = sorted(r.reference_code for r in session.exec(select(RideRequest)).all())
    assert codes == sorted(r.request.reference_code for r in expected.requests)
    engine.dispose()
    dispose_engines()


def _refused(url: str, within: float = 10.0) -> bool:
    """True once a connection to ``url`` is refused (a stopping server may take a moment)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            return True
        time.sleep(0.2)
    return False


def _seed_of(sample: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(sample.encode()).digest()[:4], "big")
