"""Exactly once under faults: a worker killed with SIGKILL mid-run, Redis restarted mid-run.

A real ``rides worker`` process sends through twilio's Client to the fake Twilio on loopback,
on the real PostgreSQL and a private redis-server; the fake counts what reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.applications import Starlette

from devtools.fake_twilio import BackgroundServer, Fault, RunningFakeTwilio
from devtools.fault_run import (
    CASES,
    Case,
    SlowProvider,
    Workers,
    callbacks_server,
    deployment_env,
    run_case,
)
from notifier.status import status_route
from shared.db import make_engine
from shared.models import Message, MessageStatus, Organisation
from shared.outbox import queue_text
from shared.queue import build_broker, use_broker
from shared.settings import reset_settings
from tests.conftest import PrivateRedis, _truncate_all
from tests.notifier.conftest import ORG_NUMBER

RIDES = str(Path(sys.executable).parent / "rides")
DONE = (MessageStatus.SENT, MessageStatus.DELIVERED)


@pytest.fixture
def pg_engine(postgres_database: str) -> Iterator[Engine]:
    engine = make_engine(postgres_database)
    yield engine
    _truncate_all(engine)
    engine.dispose()


@pytest.fixture
def stack(
    pg_engine: Engine,
    postgres_database: str,
    private_redis: PrivateRedis,
    fake_twilio: RunningFakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Settings for a deployment on loopback; yields a function starting a worker process."""
    callbacks = BackgroundServer(Starlette(routes=[status_route(pg_engine)]))
    env = {
        "DATABASE_URL": postgres_database,
        "REDIS_URL": private_redis.url,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": fake_twilio.fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.fake.auth_token,
        "TWILIO_FROM_NUMBER": ORG_NUMBER,
        "TWILIO_API_BASE": fake_twilio.base_url,
        "TWILIO_TIMEOUT_SECONDS": "1",
        "TWILIO_LIST_LAG_SECONDS": "0.5",
        "PUBLIC_BASE_URL": callbacks.base_url,
        "SMS_RATE_PER_SECOND": "10000",
        "RELAY_INTERVAL_SECONDS": "1",
        "RELAY_GRACE_SECONDS": "2",
        "RELAY_STALE_SECONDS": "6",
        "SENDING_LEASE_SECONDS": "4",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    use_broker(build_broker(private_redis.url))
    workers: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "worker.log").open("ab")

    def start() -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [RIDES, "worker", "--processes", "1", "--threads", "8"],
            env={**os.environ, **env},
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group, so SIGKILL reaches every child
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    log.close()
    callbacks.stop()
    use_broker(build_broker(None))


def _queue_texts(engine: Engine, count: int) -> None:
    with Session(engine) as session:
        org = Organisation(slug="org", name="Org", sms_number=ORG_NUMBER)
        session.add(org)
        session.flush()
        assert org.id is not None
        for i in range(count):
            queue_text(
                session,
                organisation_id=org.id,
                to_number=f"+1416555{i:04d}",
                from_number=ORG_NUMBER,
                body=f"Ride {i} confirmed",
                urgent=True,
            )
        session.commit()  # the after-commit hook enqueues all of them


def _done(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Message).where(col(Message.status).in_(DONE))
        ).one()


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _assert_exactly_once(engine: Engine, fake: RunningFakeTwilio, count: int) -> None:
    _wait(lambda: _done(engine) == count, 120, f"all {count} messages to be sent")
    bodies = Counter(m.body for m in fake.fake.messages())
    assert len(bodies) == count
    assert [body for body, n in bodies.items() if n > 1] == []
    with Session(engine) as session:
        sids = session.exec(select(Message.provider_id)).all()
    assert len(set(sids)) == count  # every row holds its own provider id


def test_500_messages_survive_a_worker_killed_mid_run_exactly_once(
    pg_engine: Engine,
    fake_twilio: RunningFakeTwilio,
    stack: Callable[[], subprocess.Popen[bytes]],
) -> None:
    fake_twilio.fake.add_fault(Fault.slow(0.05))  # keep the run long enough to interrupt
    _queue_texts(pg_engine, 500)
    worker = stack()
    _wait(lambda: len(fake_twilio.fake.messages()) >= 100, 60, "the first 100 sends")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    reached = len(fake_twilio.fake.messages())
    assert reached < 500, "the worker finished before it could be killed"
    stack()
    _assert_exactly_once(pg_engine, fake_twilio, 500)


def test_messages_survive_redis_restarting_mid_run(
    pg_engine: Engine,
    fake_twilio: RunningFakeTwilio,
    private_redis: PrivateRedis,
    stack: Callable[[], subprocess.Popen[bytes]],
) -> None:
    fake_twilio.fake.add_fault(Fault.slow(0.05))
    _queue_texts(pg_engine, 300)
    stack()
    _wait(lambda: len(fake_twilio.fake.messages()) >= 60, 60, "the first 60 sends")
    private_redis.restart()  # every queued job is gone; the outbox still has the rows
    assert len(fake_twilio.fake.messages()) < 300
    _assert_exactly_once(pg_engine, fake_twilio, 300)


# --- issue 17: a slow provider (answers near the timeout, a lagging list), a short lease ------


@pytest.fixture
def slow_deployment(
    pg_engine: Engine,
    postgres_database: str,
    private_redis: PrivateRedis,
    fake_twilio: RunningFakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Workers]:
    """Two worker processes of eight threads each, for the slow provider's settings."""
    callbacks = callbacks_server(pg_engine)
    env = {
        **deployment_env(postgres_database, private_redis.url, fake_twilio, callbacks.base_url),
        **SlowProvider().env(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    use_broker(build_broker(private_redis.url))
    workers = Workers(env, tmp_path / "worker.log", processes=2, threads=8)
    yield workers
    workers.stop()
    callbacks.stop()
    use_broker(build_broker(None))


@pytest.mark.parametrize("case", CASES)
def test_a_slow_provider_sends_300_texts_exactly_once(
    case: Case,
    pg_engine: Engine,
    fake_twilio: RunningFakeTwilio,
    private_redis: PrivateRedis,
    slow_deployment: Workers,
) -> None:
    """Batches of 20 answers of ~0.8 s outlive the 6 s lease many times over; the list lags 2 s.

    No text may reach the fake twice, and every text must reach it, with no fault, with every
    worker process killed mid-run, and with Redis restarted mid-run.
    """
    result = run_case(case, pg_engine, fake_twilio, slow_deployment, private_redis.restart)
    assert (result.duplicates, result.lost, result.unsettled) == (0, 0, 0), result
    assert result.delivered == result.requested == 300


# --- issue 15: a fault while a published day's 200 texts are written and sent ---------------

PROMPT = SlowProvider(timeout=1.0, answer=0.05, jitter=0.02, list_lag=0.5, lease=4.0)


@pytest.fixture
def publishing_deployment(
    pg_engine: Engine,
    postgres_database: str,
    private_redis: PrivateRedis,
    fake_twilio: RunningFakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Workers]:
    """One worker process of eight threads and a prompt provider (50 ms an answer)."""
    callbacks = callbacks_server(pg_engine)
    env = {
        **deployment_env(postgres_database, private_redis.url, fake_twilio, callbacks.base_url),
        **PROMPT.env(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    use_broker(build_broker(private_redis.url))
    workers = Workers(env, tmp_path / "worker.log", processes=1, threads=8)
    yield workers
    workers.stop()
    callbacks.stop()
    use_broker(build_broker(None))


@pytest.mark.parametrize("case", ["worker-sigkill", "redis-restart"])
def test_publishing_a_day_of_200_texts_survives_a_fault_exactly_once(
    case: Case,
    pg_engine: Engine,
    fake_twilio: RunningFakeTwilio,
    private_redis: PrivateRedis,
    publishing_deployment: Workers,
) -> None:
    """A plan is published (20 drivers, 180 riders: 200 texts written by ``notify_plan``); the
    worker is SIGKILLed after a third of them reached Twilio, or Redis is restarted (every
    queued job lost) after a fifth. Every text still arrives, none twice."""
    result = run_case(
        case, pg_engine, fake_twilio, publishing_deployment, private_redis.restart,
        texts=200, provider=PROMPT, timeout=120.0, workload="publish",
    )  # fmt: skip
    assert (result.duplicates, result.lost, result.unsettled) == (0, 0, 0), result
    assert result.delivered == result.requested == 200
    assert result.at_fault is not None and result.at_fault < 200, "the fault came too late"
    with Session(pg_engine) as session:
        assert session.exec(select(func.count()).select_from(Message)).one() == 200
