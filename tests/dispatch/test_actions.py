"""Every change from the pages does what it says and leaves an AuditEvent with before and after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from shared.models import (
    AssignmentLock,
    AuditEvent,
    LockKind,
    Plan,
    PlanState,
    RequestStatus,
    RideRequest,
)
from tests.dispatch.conftest import DAY, Scenario, a_driver_id, a_request_id, post


def _last_event(scenario: Scenario, action: str) -> AuditEvent:
    with Session(scenario.engine) as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert event is not None, f"no {action} event"
    return event


def _posted(client: TestClient, url: str, data: dict[str, str] | None = None) -> Any:
    response: Any = post(client, url, data)
    assert response.status_code == 303, response.text
    return response


def test_marking_an_outcome_changes_the_status_and_is_audited(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    _posted(dispatcher, f"/dispatch/requests/{request_id}/outcome", {"outcome": "no_show"})
    event = _last_event(scenario, "set_outcome")
    assert event.actor == "dispatcher@example.org"
    assert event.entity_id == request_id
    assert event.before is not None and event.before["status"] == "requested"
    assert event.after is not None and event.after["status"] == "no_show"


def test_a_cancellation_needs_a_reason(scenario: Scenario, dispatcher: TestClient) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    refused: Any = post(
        dispatcher, f"/dispatch/requests/{request_id}/outcome", {"outcome": "cancelled"}
    )
    assert refused.status_code == 400
    assert "Say why" in refused.text
    _posted(
        dispatcher,
        f"/dispatch/requests/{request_id}/outcome",
        {"outcome": "cancelled", "reason": "rider is in hospital"},
    )
    with Session(scenario.engine) as session:
        ride = session.get(RideRequest, request_id)
        assert ride is not None
        assert ride.status == RequestStatus.CANCELLED
        assert ride.status_reason == "rider is in hospital"


def test_an_unknown_outcome_is_refused_with_a_message(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    refused: Any = post(
        dispatcher, f"/dispatch/requests/{request_id}/outcome", {"outcome": "teleported"}
    )
    assert refused.status_code == 400
    assert "Choose completed" in refused.text


def test_locking_and_unlocking_a_ride_is_audited(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    driver_id = a_driver_id(scenario.engine, scenario.organisation_id)
    _posted(dispatcher, f"/dispatch/requests/{request_id}/lock", {"driver_id": str(driver_id)})
    locked = _last_event(scenario, "lock")
    assert locked.before is None
    assert locked.after == {"kind": "pin", "driver_id": driver_id}
    _posted(dispatcher, f"/dispatch/requests/{request_id}/lock", {"hold": "1"})
    held = _last_event(scenario, "lock")
    assert held.before == {"kind": "pin", "driver_id": driver_id}
    assert held.after == {"kind": "unserved", "driver_id": None}
    with Session(scenario.engine) as session:
        lock = session.exec(select(AssignmentLock)).one()
        assert lock.kind == LockKind.UNSERVED
    _posted(dispatcher, f"/dispatch/requests/{request_id}/unlock")
    unlocked = _last_event(scenario, "unlock")
    assert unlocked.before == {"kind": "unserved", "driver_id": None}
    assert unlocked.after is None
    with Session(scenario.engine) as session:
        assert session.exec(select(AssignmentLock)).all() == []


def test_publishing_the_draft_is_audited(scenario: Scenario, dispatcher: TestClient) -> None:
    _posted(dispatcher, f"/dispatch/{DAY.isoformat()}/plan/publish")
    with Session(scenario.engine) as session:
        plan = session.get(Plan, scenario.plan_id)
        assert plan is not None and plan.state == PlanState.PUBLISHED
    event = _last_event(scenario, "publish_plan")
    assert event.actor == "dispatcher@example.org"
    assert event.before == {"published_plan": None}
    assert event.after is not None and event.after["published_plan"] == scenario.plan_id


def test_publishing_twice_says_there_is_nothing_new(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    _posted(dispatcher, f"/dispatch/{DAY.isoformat()}/plan/publish")
    again: Any = post(dispatcher, f"/dispatch/{DAY.isoformat()}/plan/publish")
    assert again.status_code == 409
    assert "no new draft" in again.text


@pytest.mark.parametrize("path", ["", "/plan"])
def test_the_day_pages_show_the_plan(scenario: Scenario, dispatcher: TestClient, path: str) -> None:
    page = dispatcher.get(f"/dispatch/{DAY.isoformat()}{path}")
    assert page.status_code == 200
    assert "Draft plan, version 1" in page.text


def test_the_audit_page_filters_by_user_kind_and_date(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    _posted(dispatcher, f"/dispatch/requests/{request_id}/outcome", {"outcome": "completed"})
    with Session(scenario.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "set_outcome")).one()
    local_day = event.at.astimezone(ZoneInfo("America/Toronto")).date()

    def rows(query: str) -> str:
        page = dispatcher.get(f"/dispatch/audit?{query}")
        assert page.status_code == 200
        return page.text.split("<tbody>", 1)[1] if "<tbody>" in page.text else ""

    assert "outcome marked" in rows("kind=set_outcome")
    assert "account created" not in rows("kind=set_outcome")
    assert "outcome marked" in rows("user=dispatcher%40example.org")
    assert "outcome marked" not in rows("user=viewer%40example.org")
    assert rows("date=2001-01-01") == ""
    assert "outcome marked" in rows(f"kind=set_outcome&date={local_day.isoformat()}")
    next_day = (local_day + timedelta(days=1)).isoformat()
    assert rows(f"kind=set_outcome&date={next_day}") == ""


def test_htmx_gets_only_the_texts_fragment(dispatcher: TestClient) -> None:
    page = dispatcher.get(
        f"/dispatch/{DAY.isoformat()}", headers={"HX-Request": "true", "HX-Target": "texts"}
    )
    assert page.status_code == 200
    assert page.text.lstrip().startswith("<section") and "<html" not in page.text
    assert 'id="texts"' in page.text
