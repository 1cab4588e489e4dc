"""Scale-out: two ``rides serve`` and two ``rides worker`` processes share one PostgreSQL and one
Redis, and nothing is booked, planned or texted twice, and nothing is lost.

Everything runs for real on loopback: the web and worker processes are subprocesses started with
the ``rides`` command, the database is the test session's private PostgreSQL database, Redis is
a private redis-server, and texts go through twilio's Client to the fake Twilio, whose signed
status callbacks come back to the web processes. Riders text both web processes at once, and a
third of their texts reach both (the same MessageSid, as when Twilio retries a webhook that timed
out on one process while the other is still answering it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from devtools.deployment import City, WebProcess, free_port, rider_phone, seed_city, signed_text
from devtools.fake_twilio import RunningFakeTwilio
from devtools.fault_run import DONE, Workers, deployment_env
from shared.db import make_engine
from shared.i18n import time_zone
from shared.models import (
    Conversation,
    InboundMessage,
    Message,
    Plan,
    PlanState,
    RequestSource,
    RideRequest,
)
from shared.settings import reset_settings
from tests.conftest import PrivateRedis, _truncate_all

RIDERS = 24
DRIVERS = 4
# Each rider books one ride; the last text only asks for the rider's rides.
SCRIPT = ("hello", "T&T tomorrow 10am one way", "YES", "status")


@pytest.fixture
def pg_engine(postgres_database: str) -> Iterator[Engine]:
    engine = make_engine(postgres_database)
    yield engine
    _truncate_all(engine)
    engine.dispose()


class Deployment:
    """Two web processes behind one public URL, two worker processes, one city."""

    def __init__(self, city: City, webs: list[WebProcess], token: str, public: str) -> None:
        self.city = city
        self.webs = webs
        self.token = token
        self.public = public

    def tomorrow(self) -> date:
        return datetime.now(time_zone(self.city.time_zone)).date() + timedelta(days=1)


@pytest.fixture
def deployment(
    pg_engine: Engine,
    postgres_database: str,
    private_redis: PrivateRedis,
    fake_twilio: RunningFakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Deployment]:
    city = seed_city(pg_engine, riders=RIDERS, drivers=DRIVERS)
    # Twilio signs webhooks for the one public URL, whichever process a load balancer picks;
    # the fake's status callbacks go there too (the first process).
    public_port = free_port()
    public = f"http://127.0.0.1:{public_port}"
    env = {
        **deployment_env(postgres_database, private_redis.url, fake_twilio, public),
        "SCHEDULER_TIME_LIMIT_SECONDS": "2",
        "TWILIO_TIMEOUT_SECONDS": "2",
        "TWILIO_LIST_LAG_SECONDS": "0.5",
        "SENDING_LEASE_SECONDS": "10",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    log = tmp_path / "processes.log"
    webs = [WebProcess(env, log, port=public_port), WebProcess(env, log)]
    workers = Workers(env, log, processes=1, threads=4)
    workers.start()
    workers.start()
    try:
        for web in webs:
            web.wait_ready()
        yield Deployment(city, webs, fake_twilio.fake.auth_token, public)
    finally:
        workers.stop()
        for web in webs:
            web.stop()


async def _converse(deployment: Deployment, rider: int) -> list[tuple[int, str]]:
    """One rider's texts, in order; every third text goes to both processes at once.

    Returns (status, reply) per HTTP answer; the answers to one MessageSid must be the same.
    """
    answers: list[tuple[int, str]] = []
    async with httpx.AsyncClient(timeout=60) as client:
        for step, words in enumerate(SCRIPT):
            sid = "SM" + uuid.uuid4().hex
            body, headers = signed_text(
                deployment.public, deployment.token, sid, rider_phone(rider), words
            )
            targets = deployment.webs if (rider + step) % 3 == 0 else [
                deployment.webs[(rider + step) % 2]
            ]  # fmt: skip
            replies = await asyncio.gather(
                *(client.post(web.url + "/sms/inbound", content=body, headers=headers)
                  for web in targets)
            )  # fmt: skip
            same = {(r.status_code, r.text) for r in replies}
            assert len(same) == 1, f"one MessageSid answered differently: {same}"
            answers.extend((r.status_code, r.text) for r in replies)
    return answers


async def _all_riders(deployment: Deployment) -> list[list[tuple[int, str]]]:
    return await asyncio.gather(*(_converse(deployment, i) for i in range(RIDERS)))


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        statement = select(func.count()).select_from(model)
        for clause in where:
            statement = statement.where(clause)  # type: ignore[arg-type]
        return int(session.exec(statement).one())


def test_two_web_and_two_worker_processes_book_plan_and_text_everything_once(
    pg_engine: Engine, fake_twilio: RunningFakeTwilio, deployment: Deployment
) -> None:
    answers = asyncio.run(_all_riders(deployment))
    statuses = Counter(status for rider in answers for status, _ in rider)
    assert set(statuses) == {200}, statuses
    # Nothing lost, nothing stored twice: one inbound row per MessageSid, one booking per rider.
    assert _count(pg_engine, InboundMessage) == RIDERS * len(SCRIPT)
    assert _count(pg_engine, Conversation) == RIDERS
    with Session(pg_engine) as session:
        booked = session.exec(
            select(RideRequest.rider_id).where(RideRequest.source == RequestSource.SMS)
        ).all()
    assert sorted(Counter(booked).values()) == [1] * RIDERS, Counter(booked)

    # Both processes are asked to plan the same day at once: two jobs, two distinct versions.
    day = deployment.tomorrow()
    api = {"X-API-Key": deployment.city.api_key}

    async def both(method: str, path: str, **kwargs: object) -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60, headers=api) as client:
            return list(
                await asyncio.gather(
                    *(client.request(method, web.url + "/api/v1" + path, **kwargs)  # type: ignore[arg-type]
                      for web in deployment.webs)
                )
            )  # fmt: skip

    runs = asyncio.run(both("POST", "/plans/run", json={"service_date": day.isoformat()}))
    assert [r.status_code for r in runs] == [200, 200], [r.text for r in runs]
    _wait(lambda: _count(pg_engine, Plan) >= 2, 120, "two plan versions")
    with Session(pg_engine) as session:
        versions = session.exec(select(Plan.version).where(Plan.service_date == day)).all()
        draft = session.exec(
            select(Plan).where(Plan.service_date == day).order_by(col(Plan.version).desc())
        ).first()
    assert sorted(versions) == list(range(1, len(versions) + 1)), versions
    assert draft is not None and draft.id is not None

    # Both processes are asked to publish it at once: it is published once.
    published = asyncio.run(both("POST", f"/plans/{draft.id}/publish"))
    assert sorted(r.status_code for r in published) == [200, 409], [r.text for r in published]
    _wait(
        lambda: _count(pg_engine, Plan, col(Plan.notified_at).is_not(None)) == 1,
        60,
        "the plan's texts to be written",
    )
    written = _count(pg_engine, Message)
    assert written >= DRIVERS  # drivers with routes, riders with rides or apologies
    _wait(
        lambda: _count(pg_engine, Message, col(Message.status).in_(DONE)) == written,
        90,
        f"all {written} texts to be sent",
    )
    with Session(pg_engine) as session:
        stored = Counter(
            (to, text) for to, text in session.exec(select(Message.to_number, Message.body))
        )
        states = session.exec(select(Plan.state).where(Plan.service_date == day)).all()
    assert Counter(states)[PlanState.PUBLISHED] == 1
    assert [key for key, n in stored.items() if n > 1] == []  # no text written twice
    received = Counter((m.to, m.body) for m in fake_twilio.fake.messages())
    assert received == stored  # every text sent, none twice
