"""Fixtures for every test: database and broker back-ends, each parametrised, and a fake Twilio.

Locally a missing PostgreSQL or Redis skips its tests with a one-line reason; with ``CI=true``
it fails instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

import dramatiq
import psycopg
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from devtools.fake_twilio import RunningFakeTwilio, run_fake_twilio_in_thread
from scheduler.solver import warm_up
from shared import migrations
from shared.db import dispose_engines, make_engine
from shared.queue import build_broker, use_broker
from shared.sample import SampleSize, seed_sample
from shared.settings import reset_settings

# The browser fixture (Debian's chromium through Playwright) for every browser test.
pytest_plugins = ["tests.browser"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI") == "true"


def service_missing(what: str, detail: object) -> NoReturn:
    """Skip (locally) or fail (in CI) a test whose server is not running."""
    message = f"{what} is not reachable: {detail}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests must run against it, not skip)")
    pytest.skip(message)


def postgres_admin_dsn() -> str:
    return (
        make_url(POSTGRES_URL)
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg://", "postgresql://")
    )


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from default settings, whatever the developer's environment holds."""
    for name in ("DATABASE_URL", "REDIS_URL", "SMS_BACKEND", "ENVIRONMENT", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    yield
    reset_settings()
    dispose_engines()


#: "Now" for the rule that refuses rides on past days: before every fixed day the tests book.
BOOKING_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _booking_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests book rides on fixed days in December 2026; they stay bookable after them."""
    monkeypatch.setattr("shared.ride_requests.booking_now", lambda: BOOKING_NOW)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo what a CLI command's ``configure_logging`` did to the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


# --- databases ------------------------------------------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    """Load the scheduler's compiled core once (compiling it if the cache is cold), as a
    planning worker does when it starts, so no test's time limit pays for it."""
    warm_up()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A private, migrated PostgreSQL database for this test session, dropped at the end."""
    name = f"rides_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(postgres_admin_dsn(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        service_missing(f"PostgreSQL at {POSTGRES_URL}", str(exc).strip().splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrations.upgrade(url)
    yield url
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each back-end."""
    if request.param == "sqlite":
        path = tmp_path / "rides.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the parametrised database."""
    built = make_engine(database_url)
    yield built
    built.dispose()


def seeded_organisation(engine: Engine, day: date, size: SampleSize) -> int:
    """Store the Toronto benchmark network (the legacy generator, which these tests were written
    against) with ``size`` requests on ``day``; its organisation id."""
    with Session(engine) as session:
        net = seed_sample(session, "toronto", day, size, legacy=True)
        session.commit()
        assert net.organisation.id is not None
        return net.organisation.id


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the parametrised database (the test commits what it needs)."""
    with Session(engine, expire_on_commit=False) as opened:
        yield opened


# --- private servers for fault tests ---------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateRedis:
    """A redis-server of the test's own, so a test may stop it without touching the shared one."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_missing("redis-server (binary)", "not on PATH")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("private redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        """Stop and start again: everything it held is gone (no persistence)."""
        self.stop()
        self.start()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server on a spare port, stopped after the test."""
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


# --- brokers --------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    """The test Redis URL; skips locally (fails in CI) when Redis is not running."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        service_missing(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(params=["memory", "redis"])
def broker(request: pytest.FixtureRequest) -> Iterator[dramatiq.Broker]:
    """The project's broker on each back-end, empty, with every actor bound to it."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    built = build_broker(url)
    use_broker(built)
    built.flush_all()
    yield built
    built.flush_all()
    if isinstance(built, RedisBroker):
        built.close()


@pytest.fixture
def worker(broker: dramatiq.Broker) -> Iterator[dramatiq.Worker]:
    """A running worker on the parametrised broker."""
    broker.emit_after("process_boot")
    running = dramatiq.Worker(broker, worker_threads=2, worker_timeout=50)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[RunningFakeTwilio]:
    """One fake Twilio API on a free loopback port for the whole test run."""
    with run_fake_twilio_in_thread() as running:
        yield running


@pytest.fixture
def fake_twilio(twilio_server: RunningFakeTwilio) -> Iterator[RunningFakeTwilio]:
    """The fake Twilio, emptied (messages and faults) before and after each test."""
    twilio_server.fake.reset()
    yield twilio_server
    twilio_server.fake.wait_for_callbacks()
    twilio_server.fake.reset()
