"""Sustained load, bounded: signed texts and API calls against ``rides serve`` on PostgreSQL and
Redis for a few seconds. No 5xx, every request answered, nothing lost. Timings are never
asserted (``bench/load.py`` measures them, for 60 s, with the bare TwiML ceiling beside it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from devtools.deployment import City, WebProcess, seed_city
from devtools.fake_twilio import DEFAULT_AUTH_TOKEN
from devtools.load_run import build_plan, drive, lost_riders, lost_texts
from shared.db import make_engine
from tests.conftest import PrivateRedis, _truncate_all

SECONDS = 6
TEXTS_PER_SECOND = 20
CALLS_PER_SECOND = 5
RIDERS = 40


@pytest.fixture
def pg_engine(postgres_database: str) -> Iterator[Engine]:
    engine = make_engine(postgres_database)
    yield engine
    _truncate_all(engine)
    engine.dispose()


@pytest.fixture
def served(
    pg_engine: Engine, postgres_database: str, private_redis: PrivateRedis, tmp_path: Path
) -> Iterator[tuple[WebProcess, City]]:
    city = seed_city(pg_engine, riders=RIDERS, drivers=2)
    web = WebProcess(
        {
            "DATABASE_URL": postgres_database,
            "REDIS_URL": private_redis.url,
            "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
            "PUBLIC_BASE_URL": "http://127.0.0.1:8000",  # as Twilio sees it, behind a proxy
        },
        tmp_path / "serve.log",
    )
    try:
        web.wait_ready()
        yield web, city
    finally:
        web.stop()


def test_sustained_texts_and_api_calls_get_no_5xx_and_lose_nothing(
    pg_engine: Engine, served: tuple[WebProcess, City]
) -> None:
    web, city = served
    plan = build_plan(
        "http://127.0.0.1:8000",
        DEFAULT_AUTH_TOKEN,
        texts=SECONDS * TEXTS_PER_SECOND,
        first_rider=0,
        riders=RIDERS,
        calls=SECONDS * CALLS_PER_SECOND,
        run="test",
    )
    texts, api = drive(
        web.url, city.api_key, plan, rate=TEXTS_PER_SECOND, api_rate=CALLS_PER_SECOND
    )
    assert api is not None
    for row in (texts, api):
        assert (row.server_errors, row.transport_errors, row.other) == (0, 0, {}), row
    assert texts.sent == SECONDS * TEXTS_PER_SECOND
    assert api.sent == SECONDS * CALLS_PER_SECOND
    assert lost_texts(pg_engine, plan) == 0
    assert lost_riders(pg_engine, plan) == 0
