"""The dispatcher's actions in the JSON API: plans, moves and locks under the organisation key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from services.booking.api.app import api_document, create_api_app
from services.booking.api.auth import rotate_key
from shared.models import AssignmentLock, AuditEvent, Organisation, Plan, PlanState
from tests.dispatch.conftest import DAY, Scenario, a_driver_id, a_request_id


@pytest.fixture
def api(scenario: Scenario) -> TestClient:
    """The JSON API with the Toronto organisation's key."""
    with Session(scenario.engine) as session:
        org = session.get(Organisation, scenario.organisation_id)
        assert org is not None
        key = rotate_key(session, org)
        session.commit()
    return TestClient(create_api_app(scenario.engine), headers={"X-API-Key": key})


def test_the_openapi_document_lists_the_dispatch_operations() -> None:
    operations = {
        op["operationId"] for path in api_document()["paths"].values() for op in path.values()
    }
    assert {
        "list_plans",
        "get_plan",
        "run_plan",
        "publish_plan",
        "move_ride",
        "lock_ride",
        "unlock_ride",
    } <= operations


def test_plans_are_listed_and_read_with_routes_and_stops(
    scenario: Scenario, api: TestClient
) -> None:
    listed = api.get("/api/v1/plans", params={"service_date": DAY.isoformat()}).json()
    assert [p["id"] for p in listed["items"]] == [scenario.plan_id]
    plan = api.get(f"/api/v1/plans/{scenario.plan_id}").json()
    assert plan["state"] == "draft" and plan["routes"]
    assert all(route["stops"] for route in plan["routes"])
    assert api.get(f"/api/v1/plans/{scenario.other.plan_id}").status_code == 404


def test_running_the_scheduler_is_queued_and_audited(scenario: Scenario, api: TestClient) -> None:
    response = api.post("/api/v1/plans/run", json={"service_date": DAY.isoformat()})
    assert response.status_code == 200
    assert response.json() == {"service_date": DAY.isoformat(), "queued": True, "newest_version": 1}
    assert api.post("/api/v1/plans/run", json={"service_date": "soon"}).status_code == 422
    with Session(scenario.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "run_scheduler")).one()
    assert event.actor == "api" and event.before == {"newest_version": 1}


def test_a_draft_is_published_once(scenario: Scenario, api: TestClient) -> None:
    published = api.post(f"/api/v1/plans/{scenario.plan_id}/publish")
    assert published.status_code == 200
    with Session(scenario.engine) as session:
        plan = session.get(Plan, scenario.plan_id)
        assert plan is not None and plan.state == PlanState.PUBLISHED
    again: Any = api.post(f"/api/v1/plans/{scenario.plan_id}/publish")
    assert again.status_code == 409
    assert api.post(f"/api/v1/plans/{scenario.other.plan_id}/publish").status_code == 404


def test_rides_are_locked_unlocked_and_moved_out(scenario: Scenario, api: TestClient) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    driver_id = a_driver_id(scenario.engine, scenario.organisation_id)
    locked = api.post(f"/api/v1/ride-requests/{request_id}/lock", json={"driver_id": driver_id})
    assert locked.json() == {"request_id": request_id, "kind": "pin", "driver_id": driver_id}
    both = api.post(
        f"/api/v1/ride-requests/{request_id}/lock", json={"driver_id": driver_id, "hold_out": True}
    )
    assert both.status_code == 422
    assert api.post(f"/api/v1/ride-requests/{request_id}/unlock").status_code == 204
    moved = api.post(f"/api/v1/ride-requests/{request_id}/move", json={"driver_id": None})
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"request_id": request_id, "driver_id": None, "plan_version": 2}
    with Session(scenario.engine) as session:
        lock = session.exec(select(AssignmentLock)).one()
        assert lock.kind.value == "unserved"


def test_another_organisations_rides_and_drivers_are_not_found(
    scenario: Scenario, api: TestClient
) -> None:
    own = a_request_id(scenario.engine, scenario.organisation_id)
    other = scenario.other
    assert (
        api.post(
            f"/api/v1/ride-requests/{other.request_id}/lock", json={"hold_out": True}
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/ride-requests/{own}/move", json={"driver_id": other.driver_id}
        ).status_code
        == 404
    )
    assert api.post(f"/api/v1/ride-requests/{other.request_id}/unlock").status_code == 404
    no_key = TestClient(create_api_app(scenario.engine))
    assert no_key.get("/api/v1/plans").status_code == 401
