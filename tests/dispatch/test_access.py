"""Who may see and change what: login, sessions, CSRF, roles and organisations."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from services.dispatch.settings import get_dispatch_settings
from shared.models import AssignmentLock, AuditEvent, PlanState, RequestStatus, RideRequest
from shared.settings import reset_settings
from shared.users import disable_user
from tests.dispatch.conftest import (
    DAY,
    Scenario,
    a_driver_id,
    a_request_id,
    csrf,
    draft_state,
    login,
    make_client,
    post,
)


def _audit_count(scenario: Scenario) -> int:
    with Session(scenario.engine) as session:
        return len(session.exec(select(AuditEvent)).all())


def _status(scenario: Scenario, request_id: int) -> RequestStatus:
    with Session(scenario.engine) as session:
        ride = session.get(RideRequest, request_id)
        assert ride is not None
        return ride.status


def _locks(scenario: Scenario) -> int:
    with Session(scenario.engine) as session:
        return len(session.exec(select(AssignmentLock)).all())


def test_the_login_form_has_email_and_password_fields(scenario: Scenario) -> None:
    page = make_client(scenario.engine).get("/login")
    assert page.status_code == 200
    assert 'name="email"' in page.text and 'name="password"' in page.text


def test_pages_send_a_signed_out_visitor_to_the_login(scenario: Scenario) -> None:
    client = make_client(scenario.engine)
    response = client.get(f"/dispatch/{DAY.isoformat()}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/dispatch/")


def test_a_signed_out_post_is_refused(scenario: Scenario) -> None:
    client = make_client(scenario.engine)
    response = post(client, f"/dispatch/{DAY.isoformat()}/plan/publish")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert draft_state(scenario.engine, scenario.plan_id) == PlanState.DRAFT


def test_a_refused_login_says_the_same_whether_or_not_the_email_exists(
    scenario: Scenario,
) -> None:
    client = make_client(scenario.engine)
    token = csrf(client)
    wrong = client.post(
        "/login",
        data={"email": "dispatcher@example.org", "password": "wrong-password", "csrftoken": token},
    )
    unknown = client.post(
        "/login",
        data={"email": "nobody@example.org", "password": "wrong-password", "csrftoken": token},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text == unknown.text


def test_logins_are_limited_per_account(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPATCH_LOGIN_ATTEMPTS_PER_ACCOUNT", "3")
    get_dispatch_settings.cache_clear()
    client = make_client(scenario.engine)
    for _ in range(3):
        assert login(client, "dispatcher@example.org", "wrong-password") == 401
    # The right password no longer helps until the window has passed.
    assert login(client, "dispatcher@example.org") == 401
    # Another account from the same address is not blocked by this one.
    assert login(client, "viewer@example.org") == 303


def test_logins_are_limited_per_client_address(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPATCH_LOGIN_ATTEMPTS_PER_ADDRESS", "4")
    get_dispatch_settings.cache_clear()
    client = make_client(scenario.engine)
    for number in range(4):
        assert login(client, f"guess{number}@example.org", "wrong-password") == 401
    assert login(client, "viewer@example.org") == 401


def test_the_session_cookie_is_httponly_and_samesite_lax(scenario: Scenario) -> None:
    client = make_client(scenario.engine)
    token = csrf(client)
    response = client.post(
        "/login",
        data={
            "email": "viewer@example.org",
            "password": "correct-horse-battery",
            "csrftoken": token,
        },
    )
    cookie = response.headers["set-cookie"].lower()
    assert "rides_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie


def test_the_session_cookie_is_secure_when_served_over_https(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://rides.example.org")
    reset_settings()
    client = TestClient(
        make_client(scenario.engine).app, base_url="https://testserver", follow_redirects=False
    )
    token = csrf(client)
    response = client.post(
        "/login",
        data={
            "email": "viewer@example.org",
            "password": "correct-horse-battery",
            "csrftoken": token,
        },
    )
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("rides_session="))
    assert "secure" in session_cookie.lower()


def test_a_session_ends_after_the_idle_time(
    dispatcher: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert dispatcher.get(f"/dispatch/{DAY.isoformat()}").status_code == 200
    later = time.time() + 2 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert dispatcher.get(f"/dispatch/{DAY.isoformat()}").status_code == 303


def test_a_disabled_account_is_signed_out_at_its_next_request(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    with Session(scenario.engine) as session:
        disable_user(session, "dispatcher@example.org", actor="test")
        session.commit()
    assert dispatcher.get(f"/dispatch/{DAY.isoformat()}").status_code == 303
    assert login(make_client(scenario.engine), "dispatcher@example.org") == 401


def test_a_form_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    before_status, before_audit = _status(scenario, request_id), _audit_count(scenario)
    for token in (None, "forged-token"):
        data = {"outcome": "completed"} | ({"csrftoken": token} if token else {})
        response = dispatcher.post(f"/dispatch/requests/{request_id}/outcome", data=data)
        assert response.status_code == 403
        published = dispatcher.post(
            f"/dispatch/{DAY.isoformat()}/plan/publish", data={"csrftoken": token or ""}
        )
        assert published.status_code == 403
    assert _status(scenario, request_id) == before_status
    assert draft_state(scenario.engine, scenario.plan_id) == PlanState.DRAFT
    assert _audit_count(scenario) == before_audit


def test_a_login_post_without_a_csrf_token_is_refused(scenario: Scenario) -> None:
    client = make_client(scenario.engine)
    response = client.post(
        "/login", data={"email": "dispatcher@example.org", "password": "correct-horse-battery"}
    )
    assert response.status_code == 403


def test_htmx_requests_carry_the_token_in_a_header(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    page = dispatcher.get(f"/dispatch/{DAY.isoformat()}")
    assert "hx-headers" in page.text and csrf(dispatcher) in page.text
    response = dispatcher.post(
        f"/dispatch/requests/{request_id}/outcome",
        data={"outcome": "completed"},
        headers={"x-csrftoken": csrf(dispatcher), "HX-Request": "true"},
    )
    assert response.status_code == 303
    assert _status(scenario, request_id) == RequestStatus.COMPLETED


def test_a_viewer_can_look_but_cannot_change_anything(
    scenario: Scenario, viewer: TestClient
) -> None:
    request_id = a_request_id(scenario.engine, scenario.organisation_id)
    driver_id = a_driver_id(scenario.engine, scenario.organisation_id)
    day = DAY.isoformat()
    assert viewer.get(f"/dispatch/{day}").status_code == 200
    assert viewer.get(f"/dispatch/{day}/plan").status_code == 200
    assert viewer.get("/dispatch/audit").status_code == 200
    before_audit = _audit_count(scenario)
    for url, data in (
        (f"/dispatch/{day}/plan/run", {}),
        (f"/dispatch/{day}/plan/publish", {}),
        (f"/dispatch/requests/{request_id}/outcome", {"outcome": "cancelled", "reason": "x"}),
        (f"/dispatch/requests/{request_id}/lock", {"driver_id": str(driver_id)}),
        (f"/dispatch/requests/{request_id}/unlock", {}),
    ):
        response = post(viewer, url, data)
        assert response.status_code == 403, url  # type: ignore[attr-defined]
    assert draft_state(scenario.engine, scenario.plan_id) == PlanState.DRAFT
    assert _status(scenario, request_id) == RequestStatus.REQUESTED
    assert _locks(scenario) == 0
    assert _audit_count(scenario) == before_audit


def test_a_viewer_sees_no_buttons_that_change_things(viewer: TestClient) -> None:
    page = viewer.get(f"/dispatch/{DAY.isoformat()}")
    assert "/plan/run" not in page.text and "/plan/publish" not in page.text


def test_another_organisations_rows_are_not_found_by_direct_url(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    other = scenario.other
    for url in (
        f"/dispatch/plans/{other.plan_id}",
        f"/dispatch/requests/{other.request_id}",
        f"/dispatch/drivers/{other.driver_id}",
    ):
        assert dispatcher.get(url).status_code == 404, url
    for url, data in (
        (f"/dispatch/requests/{other.request_id}/outcome", {"outcome": "completed"}),
        (f"/dispatch/requests/{other.request_id}/lock", {"hold": "1"}),
    ):
        response = post(dispatcher, url, data)
        assert response.status_code == 404, url  # type: ignore[attr-defined]
    own_request = a_request_id(scenario.engine, scenario.organisation_id)
    locked = post(
        dispatcher,
        f"/dispatch/requests/{own_request}/lock",
        {"driver_id": str(other.driver_id)},
    )
    assert locked.status_code == 404  # type: ignore[attr-defined]
    with Session(scenario.engine) as session:
        ride = session.get(RideRequest, other.request_id)
        assert ride is not None and ride.status == RequestStatus.REQUESTED
    assert _locks(scenario) == 0


def test_another_organisations_audit_events_are_not_listed(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    calgary = make_client(scenario.engine)
    assert login(calgary, "calgary@example.org") == 303
    page = calgary.get("/dispatch/audit")
    assert "dispatcher@example.org" not in page.text
    assert "calgary@example.org" in page.text  # its own login


def test_a_bad_date_in_the_url_is_not_found(dispatcher: TestClient) -> None:
    assert dispatcher.get("/dispatch/2026-13-45").status_code == 404
    assert dispatcher.get("/dispatch/audit?date=yesterday").status_code == 400


def test_the_audit_log_lists_changes_newest_first(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    with Session(scenario.engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert events  # accounts created, logins
    page = dispatcher.get("/dispatch/audit?kind=login")
    assert page.status_code == 200
    assert "account created" not in page.text.split("<tbody>", 1)[1]
    assert "logged in" in page.text.split("<tbody>", 1)[1]
