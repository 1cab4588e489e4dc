"""Scenarios for the dispatcher pages: two organisations, accounts of every role, a client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from scheduler.planning import plan_and_store
from services.dispatch.app import create_dispatch_app
from services.dispatch.settings import get_dispatch_settings
from shared.db import dispose_engines
from shared.models import (
    Driver,
    Organisation,
    Place,
    Plan,
    PlanState,
    RequestKind,
    RequestSource,
    Rider,
    RideRequest,
    Role,
    Route,
    Stop,
    StopKind,
)
from shared.sample import SampleSize
from shared.settings import reset_settings
from shared.users import create_user
from tests.conftest import seeded_organisation

DAY = date(2026, 12, 3)
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class OtherOrganisation:
    """The rows of a second organisation a dispatcher of the first must never reach."""

    organisation_id: int
    plan_id: int
    request_id: int
    driver_id: int
    rider_id: int


@dataclass(frozen=True)
class Scenario:
    """The sample network planned as a draft, its accounts, and another organisation."""

    engine: Engine
    organisation_id: int
    plan_id: int
    other: OtherOrganisation


def _other_organisation(session: Session) -> OtherOrganisation:
    org = Organisation(slug="calgary-rides", name="Calgary Rides", time_zone="America/Edmonton")
    session.add(org)
    session.flush()
    assert org.id is not None
    driver = Driver(
        organisation_id=org.id,
        name="Other Driver",
        phone="+14035550101",
        home_latitude=51.05,
        home_longitude=-114.07,
    )
    rider = Rider(organisation_id=org.id, name="Other Rider", phone="+14035550102")
    place = Place(organisation_id=org.id, name="Other Clinic", latitude=51.04, longitude=-114.06)
    session.add_all([driver, rider, place])
    session.flush()
    assert driver.id is not None and rider.id is not None
    request = RideRequest(
        organisation_id=org.id,
        rider_id=rider.id,
        kind=RequestKind.ERRAND,
        to_place_id=place.id,
        service_date=DAY,
        earliest_departure=datetime.combine(DAY, time(16), UTC),
        source=RequestSource.API,
        reference_code="OTHER1",
    )
    session.add(request)
    session.flush()
    plan = Plan(organisation_id=org.id, service_date=DAY, version=1)
    session.add(plan)
    session.flush()
    assert plan.id is not None and request.id is not None
    route = Route(plan_id=plan.id, driver_id=driver.id)
    session.add(route)
    session.flush()
    assert route.id is not None
    session.add(
        Stop(
            route_id=route.id,
            seq=0,
            kind=StopKind.PICKUP,
            request_id=request.id,
            planned_at=datetime.combine(DAY, time(16), UTC),
            latitude=51.05,
            longitude=-114.07,
        )
    )
    return OtherOrganisation(org.id, plan.id, request.id, driver.id, rider.id)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its lightest parameters: the tests create and check many passwords."""
    monkeypatch.setattr(
        "shared.users._hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def scenario(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scenario]:
    """Toronto's sample day planned as a draft, accounts of each role, and Calgary's rows."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    reset_settings()
    get_dispatch_settings.cache_clear()
    dispose_engines()
    org_id = seeded_organisation(engine, DAY, SampleSize(drivers=4, riders=8, requests=6))
    result = plan_and_store(org_id, DAY, time_limit=0.5, engine=engine)
    with Session(engine) as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        for email, role in (
            ("admin@example.org", Role.ADMIN),
            ("dispatcher@example.org", Role.DISPATCHER),
            ("viewer@example.org", Role.VIEWER),
        ):
            create_user(session, org, email, role, PASSWORD, actor="test")
        other = _other_organisation(session)
        other_org = session.get(Organisation, other.organisation_id)
        assert other_org is not None
        create_user(
            session, other_org, "calgary@example.org", Role.DISPATCHER, PASSWORD, actor="test"
        )
        session.commit()
    yield Scenario(engine, org_id, result.plan_id, other)
    get_dispatch_settings.cache_clear()


def make_client(engine: Engine) -> TestClient:
    """A browser-like client of the dispatcher pages (cookies kept between requests)."""
    return TestClient(create_dispatch_app(engine), follow_redirects=False)


def csrf(client: TestClient) -> str:
    """The CSRF token the pages put in every form (the cookie's value)."""
    token = client.cookies.get("csrftoken")
    if token is None:
        page = client.get("/login")
        found = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
        assert found is not None
        token = found.group(1)
    return token


def post(client: TestClient, url: str, data: dict[str, str] | None = None) -> object:
    """A form post with a valid CSRF token, as the page's forms send it."""
    return client.post(url, data={**(data or {}), "csrftoken": csrf(client)})


def login(client: TestClient, email: str, password: str = PASSWORD) -> int:
    """Log in through the form; the response status (303 on success)."""
    token = csrf(client)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrftoken": token}
    )
    return response.status_code


@pytest.fixture
def dispatcher(scenario: Scenario) -> TestClient:
    """A signed-in dispatcher of the Toronto organisation."""
    client = make_client(scenario.engine)
    assert login(client, "dispatcher@example.org") == 303
    return client


@pytest.fixture
def viewer(scenario: Scenario) -> TestClient:
    """A signed-in viewer of the Toronto organisation."""
    client = make_client(scenario.engine)
    assert login(client, "viewer@example.org") == 303
    return client


def a_request_id(engine: Engine, organisation_id: int) -> int:
    """Some ride request of the organisation."""
    with Session(engine) as session:
        found = session.exec(
            select(RideRequest.id).where(RideRequest.organisation_id == organisation_id)
        ).first()
        assert found is not None
        return found


def a_driver_id(engine: Engine, organisation_id: int) -> int:
    """Some driver of the organisation."""
    with Session(engine) as session:
        found = session.exec(
            select(Driver.id).where(Driver.organisation_id == organisation_id)
        ).first()
        assert found is not None
        return found


def draft_state(engine: Engine, plan_id: int) -> PlanState:
    """The state of a plan now."""
    with Session(engine) as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        return plan.state
