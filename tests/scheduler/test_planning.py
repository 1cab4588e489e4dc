"""Planning a day from the database: problem built from rows, plan stored as a draft version."""

from __future__ import annotations

import time
from datetime import date

import dramatiq
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.actors import plan_day
from scheduler.planning import plan_and_store
from scheduler.solver import check
from shared.metrics import exposition
from shared.models import (
    AssignmentLock,
    LegKind,
    LockKind,
    Plan,
    PlanState,
    Rider,
    RideRequest,
    Route,
    Stop,
    UnservedRequest,
)
from shared.sample import SampleSize
from shared.settings import reset_settings
from tests.conftest import seeded_organisation

DAY = date(2026, 12, 3)  # a Thursday
SMALL = SampleSize(drivers=6, riders=12, requests=8)


@pytest.fixture
def seeded(engine: Engine) -> int:
    """A small seeded organisation; returns its id."""
    return seeded_organisation(engine, DAY, SMALL)


def _legs_of(
    session: Session, plan: Plan
) -> tuple[dict[tuple[int, str], list[str]], set[tuple[int, str]]]:
    routes = session.exec(select(Route).where(Route.plan_id == plan.id)).all()
    served: dict[tuple[int, str], list[str]] = {}
    for route in routes:
        stops = session.exec(
            select(Stop).where(Stop.route_id == route.id).order_by(col(Stop.seq))
        ).all()
        for stop in stops:
            served.setdefault((stop.request_id, stop.leg.value), []).append(stop.kind.value)
    unserved = {
        (u.request_id, u.leg.value)
        for u in session.exec(select(UnservedRequest).where(UnservedRequest.plan_id == plan.id))
    }
    return served, unserved


def test_a_planned_day_accounts_for_every_request_leg(engine: Engine, seeded: int) -> None:
    result = plan_and_store(seeded, DAY, time_limit=1, engine=engine)
    assert check(result.day.problem, result.solution) == []
    with Session(engine) as session:
        plan = session.get(Plan, result.plan_id)
        assert plan is not None and plan.state == PlanState.DRAFT and plan.version == 1
        served, unserved = _legs_of(session, plan)
        assert all(kinds == ["pickup", "dropoff"] for kinds in served.values())
        assert not set(served) & unserved
        requests = session.exec(select(RideRequest)).all()
        for request in requests:
            assert (request.id, LegKind.OUTBOUND.value) in set(served) | unserved
            if request.back_by is not None:
                assert (request.id, LegKind.RETURN.value) in set(served) | unserved


def test_each_run_stores_the_next_version(engine: Engine, seeded: int) -> None:
    first = plan_and_store(seeded, DAY, time_limit=0.5, engine=engine)
    second = plan_and_store(seeded, DAY, time_limit=0.5, engine=engine)
    assert (first.version, second.version) == (1, 2)


def test_a_rider_without_a_home_is_unserved_with_the_reason(engine: Engine, seeded: int) -> None:
    with Session(engine) as session:
        request = session.exec(select(RideRequest).order_by(col(RideRequest.id))).first()
        assert request is not None
        rider = session.get(Rider, request.rider_id)
        assert rider is not None
        rider.home_latitude = rider.home_longitude = None
        session.add(rider)
        session.commit()
        request_id = request.id
    result = plan_and_store(seeded, DAY, time_limit=0.5, engine=engine)
    with Session(engine) as session:
        reasons = {
            u.request_id: u.reason
            for u in session.exec(
                select(UnservedRequest).where(UnservedRequest.plan_id == result.plan_id)
            )
        }
    assert "no home location" in reasons[request_id or 0]


def test_a_pinned_request_rides_with_its_driver(engine: Engine, seeded: int) -> None:
    first = plan_and_store(seeded, DAY, time_limit=1, engine=engine)
    assert first.solution.routes, "the sample day should need at least one driver"
    # Pin a served request to a different available driver than the one the solver chose.
    route = first.solution.routes[0]
    request_key = route.visits[0].request
    other = next(v.id for v in first.day.problem.vehicles if v.id != route.vehicle)
    request_id = first.day.legs[request_key].request_id
    with Session(engine) as session:
        session.add(
            AssignmentLock(
                organisation_id=seeded,
                request_id=request_id,
                kind=LockKind.PIN,
                driver_id=first.day.drivers[other],
            )
        )
        session.commit()
    second = plan_and_store(seeded, DAY, time_limit=1, engine=engine)
    assert check(second.day.problem, second.solution) == []
    pinned_route = second.solution.route_of(other)
    unserved = {u.request for u in second.solution.unserved}
    assert request_key in unserved or (
        pinned_route is not None and request_key in {v.request for v in pinned_route.visits}
    )


def test_the_plan_day_actor_stores_a_plan_on_each_broker(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    engine: Engine,
    seeded: int,
    broker: dramatiq.Broker,
    worker: dramatiq.Worker,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCHEDULER_TIME_LIMIT_SECONDS", "0.5")
    reset_settings()
    plan_day.send(seeded, DAY.isoformat())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with Session(engine) as session:
            if session.exec(select(Plan)).first() is not None:
                break
        time.sleep(0.2)
    with Session(engine) as session:
        plans = session.exec(select(Plan)).all()
    assert [p.created_by for p in plans] == ["plan_day"]


def test_a_day_full_of_round_trips_is_planned(engine: Engine) -> None:
    """Regression: a cross-route link posted as a plain constraint left 100 requests unserved."""
    org_id = seeded_organisation(engine, DAY, SampleSize(drivers=15, riders=60, requests=100))
    result = plan_and_store(org_id, DAY, time_limit=4, engine=engine)
    problem, solution = result.day.problem, result.solution
    assert check(problem, solution) == []
    links = [r for r in problem.requests if r.after is not None]
    assert len(links) > 20, "the sample day should have many round trips"
    served = {v.request for r in solution.routes for v in r.visits}
    assert len(served) >= 0.4 * len(problem.requests)
    assert all(r.after.outbound in served for r in links if r.id in served and r.after)


def _sample(name: str) -> float:
    for line in exposition().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_planned_day_is_counted_in_the_metrics(engine: Engine, seeded: int) -> None:
    """Solve time and unserved legs reach /metrics (this process's registry in tests)."""
    plans, unserved = _sample("rides_plans_total"), _sample("rides_plan_unserved_legs_total")
    solves = _sample("rides_plan_solve_seconds_count")
    result = plan_and_store(seeded, DAY, time_limit=0.5, engine=engine)
    assert _sample("rides_plans_total") == plans + 1
    assert _sample("rides_plan_solve_seconds_count") == solves + 1
    assert _sample("rides_plan_unserved_legs_total") == unserved + len(result.solution.unserved)
