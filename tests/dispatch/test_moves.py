"""Moving a ride by hand: checked by the scheduler's rules, explained when refused, audited."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from services.dispatch.views import shown_plan
from shared.models import (
    AssignmentLock,
    AuditEvent,
    Driver,
    LockKind,
    Plan,
    RideRequest,
    Route,
    Stop,
)
from tests.dispatch.conftest import DAY, Scenario, post


def _planned(scenario: Scenario, skip: int = 0) -> tuple[int, int, list[int]]:
    """A planned ride (not a wheelchair ride), its driver, and the organisation's other drivers."""
    with Session(scenario.engine) as session:
        rows = session.exec(
            select(Stop.request_id, Route.driver_id)
            .join(Route, col(Route.id) == Stop.route_id)
            .join(RideRequest, col(RideRequest.id) == Stop.request_id)
            .where(Route.plan_id == scenario.plan_id, col(RideRequest.wheelchair).is_(False))
            .order_by(col(Stop.request_id))
            .distinct()
        ).all()
        request_id, driver_id = rows[skip % len(rows)]
        others = session.exec(
            select(Driver.id).where(
                Driver.organisation_id == scenario.organisation_id, Driver.id != driver_id
            )
        ).all()
        return request_id, driver_id, [d for d in others if d is not None]


def _driver_of(scenario: Scenario, request_id: int) -> set[int]:
    with Session(scenario.engine) as session:
        plan = shown_plan(session, scenario.organisation_id, DAY)
        assert plan is not None
        return set(
            session.exec(
                select(Route.driver_id)
                .join(Stop, col(Stop.route_id) == Route.id)
                .where(Route.plan_id == plan.id, Stop.request_id == request_id)
            ).all()
        )


def _versions(scenario: Scenario) -> int:
    with Session(scenario.engine) as session:
        return len(session.exec(select(Plan)).all())


def test_a_move_that_fits_is_saved_as_a_new_draft_locked_and_audited(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    moved_to = None
    for skip in range(6):
        request_id, before_driver, others = _planned(scenario, skip)
        for driver_id in others:
            response: Any = post(
                dispatcher, f"/dispatch/requests/{request_id}/move", {"driver_id": str(driver_id)}
            )
            if response.status_code == 303:
                moved_to = driver_id
                break
            assert response.status_code == 409
            assert "This move is not possible" in response.text
        if moved_to is not None:
            break
    assert moved_to is not None, "no ride could move to another driver"
    assert _driver_of(scenario, request_id) == {moved_to}
    with Session(scenario.engine) as session:
        driver = session.get(Driver, moved_to)
        assert driver is not None
    page = dispatcher.get(f"/dispatch/requests/{request_id}")
    assert f"{driver.name}: pick up" in page.text
    with Session(scenario.engine) as session:
        lock = session.exec(select(AssignmentLock)).one()
        assert (lock.kind, lock.driver_id) == (LockKind.PIN, moved_to)
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "move_ride")).one()
    assert event.before == {"plan_version": 1, "driver_id": before_driver}
    assert event.after == {"plan_version": 2, "driver_id": moved_to}


def test_an_infeasible_move_is_explained_and_changes_nothing(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id, _, others = _planned(scenario)
    with Session(scenario.engine) as session:
        ride = session.get(RideRequest, request_id)
        target = session.get(Driver, others[0])
        assert ride is not None and target is not None
        ride.wheelchair = True
        target.wheelchair_spaces = 0
        session.add_all([ride, target])
        session.commit()
        name = target.name
    versions = _versions(scenario)
    response: Any = post(
        dispatcher, f"/dispatch/requests/{request_id}/move", {"driver_id": str(others[0])}
    )
    assert response.status_code == 409
    assert f"no wheelchair space in {name}&#39;s car" in response.text
    assert _versions(scenario) == versions
    with Session(scenario.engine) as session:
        assert session.exec(select(AssignmentLock)).all() == []
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "move_ride")).all() == []


def test_an_infeasible_move_is_explained_in_chinese(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id, _, others = _planned(scenario)
    with Session(scenario.engine) as session:
        ride = session.get(RideRequest, request_id)
        target = session.get(Driver, others[0])
        assert ride is not None and target is not None
        ride.wheelchair = True
        target.wheelchair_spaces = 0
        session.add_all([ride, target])
        session.commit()
    dispatcher.cookies.set("rides_lang", "zh-Hant")
    response: Any = post(
        dispatcher, f"/dispatch/requests/{request_id}/move", {"driver_id": str(others[0])}
    )
    assert response.status_code == 409
    assert "沒有輪椅位" in response.text


def test_a_ride_taken_out_of_the_plan_is_held_out(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id, _, _ = _planned(scenario)
    response: Any = post(dispatcher, f"/dispatch/requests/{request_id}/move", {"out": "1"})
    assert response.status_code == 303
    assert _driver_of(scenario, request_id) == set()
    with Session(scenario.engine) as session:
        lock = session.exec(select(AssignmentLock)).one()
        assert lock.kind == LockKind.UNSERVED
    page = dispatcher.get(f"/dispatch/{DAY.isoformat()}/plan")
    assert "A dispatcher held this ride out of the plan." in page.text


def test_a_viewer_cannot_move_and_another_organisation_cannot_be_reached(
    scenario: Scenario, dispatcher: TestClient, viewer: TestClient
) -> None:
    request_id, _, others = _planned(scenario)
    refused: Any = post(
        viewer, f"/dispatch/requests/{request_id}/move", {"driver_id": str(others[0])}
    )
    assert refused.status_code == 403
    foreign: Any = post(
        dispatcher,
        f"/dispatch/requests/{scenario.other.request_id}/move",
        {"driver_id": str(others[0])},
    )
    assert foreign.status_code == 404
    foreign_driver: Any = post(
        dispatcher,
        f"/dispatch/requests/{request_id}/move",
        {"driver_id": str(scenario.other.driver_id)},
    )
    assert foreign_driver.status_code == 404
    assert _versions(scenario) == 2  # Toronto's draft and Calgary's plan, nothing new
