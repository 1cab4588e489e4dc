"""Freezing a published route: a re-plan keeps its stops in order; audited; scoped."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from scheduler.planning import plan_and_store
from shared.models import AuditEvent, Route, Stop
from shared.publishing import publish_plan
from tests.dispatch.conftest import DAY, Scenario, post


def _route_ids(scenario: Scenario, plan_id: int) -> list[int]:
    with Session(scenario.engine) as session:
        return [
            r.id
            for r in session.exec(select(Route).where(Route.plan_id == plan_id))
            if r.id is not None
        ]


def _stops(scenario: Scenario, route_id: int) -> list[tuple[int, str, str]]:
    with Session(scenario.engine) as session:
        return [
            (s.request_id, s.leg.value, s.kind.value)
            for s in session.exec(
                select(Stop).where(Stop.route_id == route_id).order_by(col(Stop.seq))
            )
        ]


def test_a_frozen_published_route_survives_a_re_plan(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    with Session(scenario.engine) as session:
        publish_plan(session, scenario.plan_id, "test")
        session.commit()
    route_id = _route_ids(scenario, scenario.plan_id)[0]
    response: Any = post(dispatcher, f"/dispatch/routes/{route_id}/freeze", {"frozen": "1"})
    assert response.status_code == 303
    with Session(scenario.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "freeze_route")).one()
        frozen = session.get(Route, route_id)
        assert frozen is not None
        driver_id = frozen.driver_id
    assert (event.before, event.after) == ({"frozen": False}, {"frozen": True})
    result = plan_and_store(scenario.organisation_id, DAY, time_limit=0.5, engine=scenario.engine)
    with Session(scenario.engine) as session:
        again = session.exec(
            select(Route).where(Route.plan_id == result.plan_id, Route.driver_id == driver_id)
        ).one()
        assert again.frozen and again.id is not None
    assert _stops(scenario, again.id) == _stops(scenario, route_id)
    page = dispatcher.get(f"/dispatch/plans/{scenario.plan_id}")
    assert "Unfreeze the route of" in page.text


def test_only_published_routes_can_be_frozen(scenario: Scenario, dispatcher: TestClient) -> None:
    route_id = _route_ids(scenario, scenario.plan_id)[0]
    response: Any = post(dispatcher, f"/dispatch/routes/{route_id}/freeze", {"frozen": "1"})
    assert response.status_code == 409
    assert "published plan" in response.text


def test_freezing_is_refused_to_viewers_and_other_organisations(
    scenario: Scenario, dispatcher: TestClient, viewer: TestClient
) -> None:
    with Session(scenario.engine) as session:
        publish_plan(session, scenario.plan_id, "test")
        session.commit()
    route_id = _route_ids(scenario, scenario.plan_id)[0]
    refused: Any = post(viewer, f"/dispatch/routes/{route_id}/freeze", {"frozen": "1"})
    assert refused.status_code == 403
    foreign_route = _route_ids(scenario, scenario.other.plan_id)[0]
    foreign: Any = post(dispatcher, f"/dispatch/routes/{foreign_route}/freeze", {"frozen": "1"})
    assert foreign.status_code == 404
    with Session(scenario.engine) as session:
        assert not any(r.frozen for r in session.exec(select(Route)))
