"""Fixtures for the JSON API: two organisations with keys, and a client per key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, func, select
from starlette.testclient import TestClient

from services.booking.api.app import create_api_app
from services.booking.api.auth import rotate_key
from shared.models import Organisation
from shared.queue import build_broker, use_broker

API = "/api/v1"


@dataclass(frozen=True)
class Tenant:
    """One organisation as an API caller: its id and a client sending its key."""

    organisation_id: int
    key: str
    client: TestClient

    def create(self, path: str, body: Any) -> dict[str, Any]:
        """POST a body that must be accepted, and return the created row's JSON."""
        response = self.client.post(f"{API}{path}", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def post(self, path: str, body: Any) -> Any:
        """POST JSON to an API path."""
        return self.client.post(f"{API}{path}", json=body)

    def get(self, path: str, **params: Any) -> Any:
        """GET an API path with query parameters."""
        return self.client.get(f"{API}{path}", params=params)

    def patch(self, path: str, body: Any) -> Any:
        """PATCH JSON to an API path."""
        return self.client.patch(f"{API}{path}", json=body)

    def delete(self, path: str) -> Any:
        """DELETE an API path."""
        return self.client.delete(f"{API}{path}")


def _tenant(engine: Engine, app: Any, slug: str) -> Tenant:
    with Session(engine, expire_on_commit=False) as session:
        organisation = Organisation(slug=slug, name=slug.title())
        session.add(organisation)
        session.flush()
        key = rotate_key(session, organisation)
        session.commit()
        assert organisation.id is not None
    client = TestClient(app, headers={"X-API-Key": key}, raise_server_exceptions=True)
    return Tenant(organisation.id, key, client)


@pytest.fixture(autouse=True)
def scheduler_queue() -> Iterator[StubBroker]:
    """An in-process broker with the scheduler's queue, so queued re-plans can be seen."""
    broker = build_broker(None)
    assert isinstance(broker, StubBroker)
    broker.declare_queue("scheduler")
    use_broker(broker)
    yield broker
    broker.flush_all()


def count(engine: Engine, table: type[SQLModel]) -> int:
    """How many rows ``table`` holds (every organisation)."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def app(engine: Engine) -> Any:
    """The API app on the parametrised database."""
    return create_api_app(engine)


@pytest.fixture
def ours(engine: Engine, app: Any) -> Iterator[Tenant]:
    """The caller's organisation."""
    tenant = _tenant(engine, app, "ours")
    with tenant.client:
        yield tenant


@pytest.fixture
def theirs(engine: Engine, app: Any) -> Iterator[Tenant]:
    """Another organisation on the same deployment."""
    tenant = _tenant(engine, app, "theirs")
    with tenant.client:
        yield tenant
