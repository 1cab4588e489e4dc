"""The admin's accounts page: only admins, only their organisation, every change audited."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select
from starlette.testclient import TestClient

from shared.models import AuditEvent, DispatcherUser
from tests.dispatch.conftest import Scenario, login, make_client, post


def _admin(scenario: Scenario) -> TestClient:
    client = make_client(scenario.engine)
    assert login(client, "admin@example.org") == 303
    return client


def _user(scenario: Scenario, email: str) -> DispatcherUser:
    with Session(scenario.engine) as session:
        return session.exec(select(DispatcherUser).where(DispatcherUser.email == email)).one()


def test_an_admin_creates_and_disables_accounts(scenario: Scenario) -> None:
    admin = _admin(scenario)
    page = admin.get("/dispatch/users")
    assert page.status_code == 200 and "viewer@example.org" in page.text
    assert "calgary@example.org" not in page.text
    created: Any = post(
        admin,
        "/dispatch/users",
        {"email": "new@example.org", "role": "viewer", "password": "a-long-password"},
    )
    assert created.status_code == 303
    assert login(make_client(scenario.engine), "new@example.org", "a-long-password") == 303
    new = _user(scenario, "new@example.org")
    disabled: Any = post(admin, f"/dispatch/users/{new.id}/disable")
    assert disabled.status_code == 303
    assert not _user(scenario, "new@example.org").active
    with Session(scenario.engine) as session:
        actions = {
            (e.action, e.actor)
            for e in session.exec(select(AuditEvent).where(AuditEvent.entity_id == new.id))
            if e.entity == "dispatcher_user"
        }
    assert {("create_user", "admin@example.org"), ("disable_user", "admin@example.org")} <= actions


def test_bad_account_input_is_refused_with_a_message(scenario: Scenario) -> None:
    admin = _admin(scenario)
    short: Any = post(
        admin, "/dispatch/users", {"email": "x@example.org", "role": "viewer", "password": "short"}
    )
    assert short.status_code == 400 and "too short" in short.text
    role: Any = post(
        admin,
        "/dispatch/users",
        {"email": "x@example.org", "role": "boss", "password": "a-long-password"},
    )
    assert role.status_code == 400 and "Choose a role" in role.text
    own = _user(scenario, "admin@example.org")
    assert post(admin, f"/dispatch/users/{own.id}/disable").status_code == 409  # type: ignore[attr-defined]


def test_only_admins_manage_accounts_of_their_own_organisation(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    assert dispatcher.get("/dispatch/users").status_code == 403
    viewer = _user(scenario, "viewer@example.org")
    refused: Any = post(dispatcher, f"/dispatch/users/{viewer.id}/disable")
    assert refused.status_code == 403
    calgary = _user(scenario, "calgary@example.org")
    foreign: Any = post(_admin(scenario), f"/dispatch/users/{calgary.id}/disable")
    assert foreign.status_code == 404
    assert _user(scenario, "calgary@example.org").active
    assert _user(scenario, "viewer@example.org").active
