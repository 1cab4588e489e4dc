"""At-most-once under a slow provider: real ``rides worker`` processes, a fake Twilio, faults.

One run writes N texts to the outbox (PostgreSQL) in one transaction, lets ``rides worker``
processes send them through twilio's Client to a fake Twilio that answers slowly (near the
timeout) and lists messages late, with a short sending lease, and injects one fault: none, a
SIGKILL of every worker process mid-run, or a Redis restart mid-run. It then counts what the fake
received. Used by ``tests/notifier/test_faults.py`` and ``bench/notifier_faults.py``.

The texts come from one of two workloads: ``outbox`` writes them directly; ``publish`` publishes
a day's plan (20 drivers, one ride for each rider), and a worker's ``notify_plan`` job writes
one text per driver and per rider, so the fault may also strike while they are being written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.applications import Starlette

from devtools.deployment import daytime_zone, draft_plan, seed_city
from devtools.fake_twilio import BackgroundServer, Fault, RunningFakeTwilio
from notifier.status import status_route
from shared.i18n import time_zone
from shared.models import Message, MessageStatus, Organisation
from shared.outbox import queue_text
from shared.publishing import publish_plan

Case = Literal["no-fault", "worker-sigkill", "redis-restart"]
CASES: tuple[Case, ...] = ("no-fault", "worker-sigkill", "redis-restart")
Workload = Literal["outbox", "publish"]
PUBLISH_DRIVERS = 20
RIDES = str(Path(sys.executable).parent / "rides")
FROM = "+14165550100"
DONE = (MessageStatus.SENT, MessageStatus.DELIVERED)


@dataclass(frozen=True)
class SlowProvider:
    """The provider's pace and the settings that go with it (a lease just above the minimum)."""

    timeout: float = 1.0  # TWILIO_TIMEOUT_SECONDS
    answer: float = 0.8  # each answer this late, give or take ``jitter``: near the timeout
    jitter: float = 0.15
    list_lag: float = 2.0  # the fake lists a text this long after it took it
    lease: float = 6.0  # > 2 x timeout + list lag + 1 s margin = 5 s

    def env(self) -> dict[str, str]:
        """The settings a worker needs for this provider."""
        return {
            "TWILIO_TIMEOUT_SECONDS": str(self.timeout),
            "TWILIO_LIST_LAG_SECONDS": str(self.list_lag),
            "SENDING_LEASE_SECONDS": str(self.lease),
        }


@dataclass(frozen=True)
class CaseResult:
    """What the fake received: one JSON line of ``bench/notifier_faults.py``."""

    case: str
    requested: int
    delivered: int  # distinct texts that reached the fake
    duplicates: int  # extra copies beyond the first
    lost: int  # texts that never reached it
    unsettled: int  # outbox rows not sent when the run ended
    seconds: float
    at_fault: int | None = None  # texts that had reached the fake when the fault struck

    def as_dict(self) -> dict[str, object]:
        """The result as a plain dict (for JSON)."""
        return asdict(self)


def deployment_env(
    database_url: str, redis_url: str, fake: RunningFakeTwilio, callbacks_url: str
) -> dict[str, str]:
    """The environment of a deployment on loopback with fast relay sweeps."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": fake.fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.fake.auth_token,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_BASE": fake.base_url,
        "PUBLIC_BASE_URL": callbacks_url,
        "SMS_RATE_PER_SECOND": "10000",
        "RELAY_INTERVAL_SECONDS": "1",
        "RELAY_GRACE_SECONDS": "2",
        "RELAY_STALE_SECONDS": "6",
    }


def callbacks_server(engine: Engine) -> BackgroundServer:
    """A web app receiving the fake's status callbacks (``/sms/status``) on loopback."""
    return BackgroundServer(Starlette(routes=[status_route(engine)]))


class Workers:
    """``rides worker`` process groups started with one environment; ``kill()`` is SIGKILL."""

    def __init__(self, env: dict[str, str], log: Path, processes: int, threads: int) -> None:
        self.env = env
        self.log = log
        self.shape = ["--processes", str(processes), "--threads", str(threads)]
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        """Start one more worker (a dramatiq parent and its processes) in its own group."""
        with self.log.open("ab") as log:
            self.running.append(
                subprocess.Popen(
                    [RIDES, "worker", *self.shape],
                    env={**os.environ, **self.env},
                    stdout=log,
                    stderr=log,
                    start_new_session=True,  # SIGKILL of the group reaches every child
                )
            )

    def kill(self) -> None:
        """SIGKILL every running worker process, as a power cut would."""
        for worker in self.running:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)

    def stop(self) -> None:
        """Stop every running worker gracefully."""
        for worker in self.running:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=10)


def queue_texts(engine: Engine, count: int) -> None:
    """``count`` texts to distinct riders in one transaction (so they share batch jobs)."""
    with Session(engine) as session:
        org = Organisation(slug="faults", name="Faults", sms_number=FROM)
        session.add(org)
        session.flush()
        assert org.id is not None
        for i in range(count):
            queue_text(
                session,
                organisation_id=org.id,
                to_number=f"+1416555{i:04d}",
                from_number=FROM,
                body=f"Ride {i} confirmed",
                urgent=True,
            )
        session.commit()  # the after-commit hook enqueues all of them


def publish_day(engine: Engine, count: int) -> None:
    """Publish a plan whose texts number ``count``: 20 drivers, each with ``count / 20 - 1``
    riders. The texts are written by a worker's ``notify_plan``, enqueued after the commit."""
    per_driver, extra = divmod(count - PUBLISH_DRIVERS, PUBLISH_DRIVERS)
    if per_driver < 1 or extra:
        raise ValueError(f"a published day has 20 drivers' texts plus 20 x k riders', not {count}")
    zone = daytime_zone()  # not quiet hours there: every text goes at once
    city = seed_city(
        engine, riders=PUBLISH_DRIVERS * per_driver, drivers=PUBLISH_DRIVERS,
        time_zone=zone, sms_number=FROM, slug="faults",
    )  # fmt: skip
    day = datetime.now(time_zone(zone)).date() + timedelta(days=1)
    plan_id = draft_plan(engine, city, day, per_driver)
    with Session(engine) as session:
        publish_plan(session, plan_id, "faults")
        session.commit()


def _stored_texts(engine: Engine) -> Counter[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Message.to_number, Message.body)).all()
    return Counter((to, body) for to, body in rows)


def _done(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Message).where(col(Message.status).in_(DONE))
        ).one()


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def run_case(
    case: Case,
    engine: Engine,
    fake: RunningFakeTwilio,
    workers: Workers,
    restart_redis: Callable[[], None],
    *,
    texts: int = 300,
    provider: SlowProvider | None = None,
    timeout: float = 150.0,
    workload: Workload = "outbox",
) -> CaseResult:
    """Send ``texts`` texts through ``workers`` under ``case``; count what ``fake`` received.

    The caller has configured this process (settings, broker) for the same deployment, and
    ``engine``'s database is empty. The fake's faults and list lag are set here.
    """
    provider = provider or SlowProvider()
    fake.fake.add_fault(Fault.slow(provider.answer, jitter=provider.jitter))
    fake.fake.list_lag_seconds = provider.list_lag
    start = time.monotonic()
    if workload == "publish":
        publish_day(engine, texts)
    else:
        queue_texts(engine, texts)
    workers.start()
    at_fault = None
    if case == "worker-sigkill":
        # Mid-run: batches are in flight, most of their texts not yet sent.
        _wait(lambda: len(fake.fake.messages()) >= texts // 3, timeout / 2)
        workers.kill()
        at_fault = len(fake.fake.messages())
        workers.start()
    elif case == "redis-restart":
        _wait(lambda: len(fake.fake.messages()) >= texts // 5, timeout / 2)
        restart_redis()  # every queued job is gone; the outbox still has the rows
        at_fault = len(fake.fake.messages())
    _wait(lambda: _done(engine) >= texts, timeout - (time.monotonic() - start))
    # A second copy could only come from a send still in flight: wait out the longest one.
    time.sleep(2 * provider.timeout + 0.5)
    seconds = time.monotonic() - start
    # Every text is one (recipient, body) pair: each rider and driver gets one text.
    received = Counter((m.to, m.body) for m in fake.fake.messages())
    if workload == "outbox":
        stored = Counter((f"+1416555{i:04d}", f"Ride {i} confirmed") for i in range(texts))
    else:
        stored = _stored_texts(engine)  # what notify_plan wrote
    delivered = sum(1 for key in stored if received[key])
    return CaseResult(
        case=case if workload == "outbox" else f"publish, {case}",
        requested=texts,
        delivered=delivered,
        duplicates=sum(n - 1 for n in received.values())
        + sum(1 for key in received if key not in stored),
        lost=texts - delivered,
        unsettled=texts - _done(engine),
        seconds=round(seconds, 1),
        at_fault=at_fault,
    )
