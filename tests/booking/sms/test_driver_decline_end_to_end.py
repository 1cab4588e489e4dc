"""End to end: seed, plan, publish; a driver declines by SMS; a draft without them; publish it.

The riders who moved to another driver get a "your ride has changed" text; nothing is published
on its own: the re-plan the decline queued is a draft until a dispatcher publishes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from notifier.plan_texts import write_plan_texts
from scheduler.actors import plan_day
from scheduler.planning import plan_and_store
from shared.driver_responses import AlertKind, driver_alerts
from shared.models import (
    Driver,
    LegKind,
    Message,
    Plan,
    PlanState,
    ReplanTicket,
    Rider,
    RideRequest,
    Route,
    Stop,
    StopKind,
)
from shared.publishing import publish_plan
from shared.sample import SampleSize
from shared.settings import reset_settings
from tests.booking.sms.conftest import BASE, Clock, Phone, client_for
from tests.conftest import seeded_organisation
from tests.scheduler.test_planning import DAY

EVENING_BEFORE = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 8 pm on the 2nd in Toronto


def _riders_on(session: Session, route: Route) -> dict[int, str]:
    """Outbound requests picked up on the route, with their riders' phones."""
    stops = session.exec(
        select(Stop).where(Stop.route_id == route.id, Stop.kind == StopKind.PICKUP)
    ).all()
    riders = {}
    for stop in stops:
        if stop.leg != LegKind.OUTBOUND:
            continue
        request = session.get(RideRequest, stop.request_id)
        assert request is not None
        rider = session.get(Rider, request.rider_id)
        assert rider is not None
        riders[stop.request_id] = rider.phone
    return riders


def test_decline_by_sms_replans_a_draft_without_the_driver_and_moved_riders_are_told(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> None:
    """The whole path, on each database."""
    org_id = seeded_organisation(engine, DAY, SampleSize(drivers=6, riders=12, requests=8))
    first = plan_and_store(org_id, DAY, time_limit=1, engine=engine)
    with Session(engine) as session:
        publish_plan(session, first.plan_id, "dispatcher@example.org")
        write_plan_texts(session, first.plan_id, BASE)
        session.commit()
        route = session.exec(
            select(Route).where(Route.plan_id == first.plan_id).order_by(col(Route.id))
        ).first()
        assert route is not None
        driver = session.get(Driver, route.driver_id)
        assert driver is not None and driver.id is not None
        carried = _riders_on(session, route)
        route_text = session.exec(
            select(Message).where(
                Message.to_number == driver.phone, Message.template == "driver_day_route"
            )
        ).one()
    assert carried
    assert f"{BASE}/m/" in route_text.body  # the route text links the private manifest

    with client_for(engine, Clock(EVENING_BEFORE)) as client:
        reply = Phone(client, driver.phone).send("NO, family emergency")
    assert reply is not None and ("another driver" in reply or "另找司機" in reply)

    with Session(engine) as session:
        ticket = session.exec(select(ReplanTicket)).one()
        assert ticket.service_date == DAY
        alerts = driver_alerts(session, org_id, DAY, EVENING_BEFORE)
        assert [(a.kind, a.driver_id) for a in alerts if a.kind == AlertKind.DECLINED] == [
            (AlertKind.DECLINED, driver.id)
        ]
    # The queued job, run as a worker would run it.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SCHEDULER_TIME_LIMIT_SECONDS", "1")
    reset_settings()
    plan_day.fn(org_id, DAY.isoformat(), ticket.token)

    with Session(engine) as session:
        plans = session.exec(select(Plan).order_by(col(Plan.version))).all()
        assert [(p.version, p.state) for p in plans] == [
            (1, PlanState.PUBLISHED),
            (2, PlanState.DRAFT),
        ]
        draft = plans[1]
        drivers = set(session.exec(select(Route.driver_id).where(Route.plan_id == draft.id)))
        assert driver.id not in drivers
        assert session.exec(select(ReplanTicket)).first() is None
        publish_plan(session, draft.id or 0, "dispatcher@example.org")
        write_plan_texts(session, draft.id or 0, BASE)
        session.commit()
        served = set(
            session.exec(
                select(Stop.request_id)
                .join(Route, col(Route.id) == Stop.route_id)
                .where(Route.plan_id == draft.id)
            )
        )
        changed = {
            message.to_number
            for message in session.exec(
                select(Message).where(Message.template == "booking_changed")
            )
        }
        emptied = session.exec(
            select(Message).where(
                Message.to_number == driver.phone, Message.template == "driver_route_changed"
            )
        ).all()
    moved = {phone for request_id, phone in carried.items() if request_id in served}
    assert moved, "the re-plan found other drivers for the declined route's riders"
    assert moved <= changed
    assert len(emptied) == 1
