"""The dispatcher pages in a real browser: Playwright's Python package with Debian's chromium.

The app runs under uvicorn on a free loopback port with the in-process queue and texts going to
the fake Twilio, so a publish sends real HTTP requests and gets real status callbacks. Each test
saves screenshots to ``tests/artifacts/`` (git-ignored). No browser is ever downloaded: without
``/usr/bin/chromium`` the tests skip locally and fail in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from devtools.fake_twilio import (
    BackgroundServer,
    RunningFakeTwilio,
    run_fake_twilio_in_thread,
)
from scheduler.planning import plan_and_store
from services.dispatch.settings import get_dispatch_settings
from shared.db import dispose_engines
from shared.models import (
    AssignmentLock,
    Driver,
    Organisation,
    RideRequest,
    Role,
    Route,
    Stop,
)
from shared.publishing import publish_plan
from shared.queue import build_broker, start_in_process_worker, stop_in_process_worker, use_broker
from shared.sample import SampleSize
from shared.settings import reset_settings
from shared.users import create_user
from tests.browser import shot
from tests.conftest import seeded_organisation
from tests.dispatch.conftest import DAY, PASSWORD

WIDTHS = {"laptop": 1280, "phone": 390}


@pytest.fixture
def fake_twilio() -> Iterator[RunningFakeTwilio]:
    """A fake Twilio that reports each text delivered shortly after it is sent."""
    with run_fake_twilio_in_thread(callback_interval_seconds=0.1) as running:
        yield running


@pytest.fixture
def site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_twilio: RunningFakeTwilio
) -> Iterator[str]:
    """The whole web app on a loopback port over a seeded SQLite day; its base URL."""
    url = f"sqlite:///{tmp_path / 'rides.sqlite3'}"
    from shared import migrations

    migrations.upgrade(url)
    environment = {
        "DATABASE_URL": url,
        "SCHEDULER_TIME_LIMIT_SECONDS": "1",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": fake_twilio.fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.fake.auth_token,
        "TWILIO_FROM_NUMBER": "+14165550100",
        "TWILIO_API_BASE": fake_twilio.base_url,
        "SMS_RATE_PER_SECOND": "100",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # Texts for a published plan wait out the night (quiet hours); this test is about the page.
    monkeypatch.setattr("notifier.plan_texts.next_send_time", lambda now, tz, urgent: now)
    reset_settings()
    get_dispatch_settings.cache_clear()
    dispose_engines()
    from shared.db import get_engine

    engine: Engine = get_engine()
    org_id = seeded_organisation(engine, DAY, SampleSize(drivers=5, riders=10, requests=8))
    with Session(engine) as session:
        org = session.get(Organisation, org_id)
        assert org is not None
        create_user(session, org, "dispatcher@example.org", Role.DISPATCHER, PASSWORD, "test")
        session.commit()
    import services.worker  # noqa: F401  (every actor, for the in-process worker)
    from services.web import create_app

    use_broker(build_broker(None))
    start_in_process_worker()
    server = BackgroundServer(create_app())
    # Status callbacks from the fake are signed for, and sent to, this server.
    monkeypatch.setenv("PUBLIC_BASE_URL", server.base_url)
    reset_settings()
    yield server.base_url
    server.stop()
    stop_in_process_worker()


def new_page(browser: Browser, width: int = 1280) -> Page:
    """A fresh browser tab (own cookies) at ``width`` pixels."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    return context.new_page()


def log_in(page: Page, site: str) -> None:
    """Log in as the dispatcher through the form, as a person would."""
    page.goto(f"{site}/login")
    page.get_by_label("Email").fill("dispatcher@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def run_scheduler(page: Page, site: str) -> None:
    """Run the scheduler from the plan page and wait for the new draft to appear."""
    page.goto(f"{site}/dispatch/{DAY.isoformat()}/plan")
    page.get_by_role("button", name="Run the scheduler").first.click()
    # The progress note shows while the job runs (a small day may be planned before the page
    # is drawn, so it is not required here; the HTTP tests check it) and goes when it is done.
    expect(page.get_by_role("status")).to_have_count(0, timeout=60_000)


def test_log_in_run_a_plan_and_see_it(browser: Browser, site: str) -> None:
    page = new_page(browser)
    log_in(page, site)
    assert re.search(r"/dispatch/\d{4}-\d{2}-\d{2}$", page.url)
    page.get_by_label("Date").fill(DAY.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("December 3, 2026")
    run_scheduler(page, site)
    expect(page.get_by_role("heading", name="Draft plan, version 1")).to_be_visible()
    expect(page.get_by_role("table", name="Routes by driver")).to_be_visible()
    assert page.get_by_role("rowheader").count() >= 1
    expect(page.get_by_text("legs served")).to_be_visible()
    shot(page, "plan-run-laptop")


def test_lock_a_ride_re_plan_and_the_lock_holds(
    browser: Browser, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.db import get_engine

    engine = get_engine()
    with Session(engine) as session:
        org = session.exec(select(Organisation)).one()
        assert org.id is not None
        org_id = org.id
    first = plan_and_store(org_id, DAY, time_limit=0.5, engine=engine)
    with Session(engine) as session:
        routes = session.exec(select(Route).where(Route.plan_id == first.plan_id)).all()
        stops = session.exec(
            select(Stop)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == first.plan_id)
        ).all()
    # A ride whose legs all ride with one driver: locked to that driver, it must stay there.
    drivers_of: dict[int, set[int]] = {}
    for stop in stops:
        drivers_of.setdefault(stop.request_id, set()).add(stop.route_id)
    request_id, (route_id,) = next(
        (request, routes_) for request, routes_ in sorted(drivers_of.items()) if len(routes_) == 1
    )
    page = new_page(browser)
    log_in(page, site)
    page.goto(f"{site}/dispatch/requests/{request_id}")
    drivers = page.get_by_label("Lock to driver")
    with Session(engine) as session:
        names = {d.id: d.name for d in session.exec(select(Driver))}
    # The driver it has now: the re-plan must keep it there, marked as locked.
    target = next(names[r.driver_id] for r in routes if r.id == route_id)
    drivers.select_option(label=target)
    page.get_by_role("button", name="Lock to this driver").click()
    expect(page.get_by_text(f"locked to {target}")).to_be_visible()
    run_scheduler(page, site)
    shot(page, "lock-held-laptop")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(target)))
    legs_stops = sum(1 for s in stops if s.request_id == request_id)
    expect(row.get_by_role("link", name=re.compile("locked"))).to_have_count(legs_stops)
    shot(page, "lock-held-laptop")
    with Session(engine) as session:
        lock = session.exec(select(AssignmentLock)).one()
        assert names[lock.driver_id or 0] == target


def test_move_a_ride_and_see_an_infeasible_move_explained(browser: Browser, site: str) -> None:
    from shared.db import get_engine

    engine = get_engine()
    with Session(engine) as session:
        org = session.exec(select(Organisation)).one()
        assert org.id is not None
        org_id = org.id
    plan = plan_and_store(org_id, DAY, time_limit=0.5, engine=engine)
    with Session(engine) as session:
        rows = session.exec(
            select(Stop.request_id, Route.driver_id)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == plan.plan_id)
            .order_by(col(Stop.request_id))
        ).all()
        names = {d.id: d.name for d in session.exec(select(Driver))}
        # A wheelchair ride offered to a car without the space: the move must be refused.
        request_id, driver_id = rows[0]
        ride = session.get(RideRequest, request_id)
        other = next(d for d in names if d != driver_id)
        car = session.get(Driver, other)
        assert ride is not None and car is not None
        ride.wheelchair = True
        car.wheelchair_spaces = 0
        session.add_all([ride, car])
        session.commit()
    page = new_page(browser)
    log_in(page, site)
    page.goto(f"{site}/dispatch/requests/{request_id}")
    page.get_by_label("Move to driver").select_option(label=names[other])
    page.get_by_role("button", name="Move the ride").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This move is not possible")
    expect(alert).to_contain_text(f"no wheelchair space in {names[other]}'s car")
    shot(page, "move-refused-laptop")
    # Any ride can be taken out of the plan; the plan page then says so.
    page.get_by_role("button", name="Take out of the plan").click()
    expect(page.get_by_role("heading", name="Draft plan, version 2")).to_be_visible()
    expect(page.get_by_text("A dispatcher held this ride out of the plan.").first).to_be_visible()
    shot(page, "moved-out-laptop")


def test_publish_and_see_the_texts_delivered(
    browser: Browser, site: str, fake_twilio: RunningFakeTwilio
) -> None:
    page = new_page(browser)
    log_in(page, site)
    run_scheduler(page, site)
    page.get_by_role("button", name=re.compile("Publish draft version 1")).first.click()
    expect(page.get_by_text("Published plan, version 1")).to_be_visible()
    texts = page.get_by_role("region", name="Texts")
    # No reload: the board refreshes the texts (htmx) until each has its final status.
    expect(texts.locator(".msg").first).to_be_visible(timeout=60_000)
    expect(texts.locator(".msg", has_text=re.compile("queued|sending|^sent"))).to_have_count(
        0, timeout=60_000
    )
    statuses = texts.locator(".msg").all_inner_texts()
    assert statuses and all(s == "delivered" for s in statuses), statuses
    sent: list[Any] = fake_twilio.fake.messages()
    assert len(sent) == len(statuses) > 0
    shot(page, "published-texts-laptop")


@pytest.mark.parametrize("device", WIDTHS)
def test_a_re_plan_shows_the_draft_beside_the_published_plan(
    browser: Browser, site: str, device: str
) -> None:
    from shared.db import get_engine

    engine = get_engine()
    with Session(engine) as session:
        org = session.exec(select(Organisation)).one()
        assert org.id is not None
        org_id = org.id
    first = plan_and_store(org_id, DAY, time_limit=0.5, engine=engine)
    with Session(engine) as session:
        publish_plan(session, first.plan_id, "test")
        session.commit()
        request_id = session.exec(
            select(Stop.request_id)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == first.plan_id)
            .order_by(col(Stop.planned_at))
        ).first()
    page = new_page(browser, WIDTHS[device])
    log_in(page, site)
    page.goto(f"{site}/dispatch/requests/{request_id}")
    page.get_by_role("button", name="Take out of the plan").click()
    expect(page.get_by_role("heading", name="Draft plan, version 2")).to_be_visible()
    beside = page.get_by_role("region", name="The draft beside the published plan")
    expect(beside.get_by_role("columnheader", name="Published plan, version 1")).to_be_attached()
    expect(beside.get_by_role("columnheader", name="Draft plan, version 2")).to_be_attached()
    # The ride taken out is marked in words in the published column, not by colour alone.
    expect(beside.get_by_text("removed").first).to_be_visible()
    beside.scroll_into_view_if_needed()
    shot(page, f"plan-beside-en-{device}")
    page.get_by_label("Language").select_option("zh-Hant")
    page.get_by_role("button", name="Change language").click()
    beside = page.get_by_role("region", name="草稿與已發佈計劃對照")
    expect(beside.get_by_text("已移除").first).to_be_visible()
    beside.scroll_into_view_if_needed()
    shot(page, f"plan-beside-zh-{device}")


@pytest.mark.parametrize("device", WIDTHS)
def test_switch_to_chinese(browser: Browser, site: str, device: str) -> None:
    page = new_page(browser, WIDTHS[device])
    log_in(page, site)
    page.goto(f"{site}/dispatch/{DAY.isoformat()}")
    shot(page, f"board-en-{device}")
    page.get_by_label("Language").select_option("zh-Hant")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("link", name="當日總覽").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年12月3日")
    shot(page, f"board-zh-{device}")
    page.reload()  # the choice is remembered
    expect(page.get_by_role("button", name="執行排程")).to_be_visible()
    run_scheduler_zh(page, site)
    shot(page, f"plan-zh-{device}")
    page.get_by_role("link", name="變更紀錄").click()
    expect(page.get_by_role("heading", name="變更紀錄")).to_be_visible()
    shot(page, f"audit-zh-{device}")
    page.goto(f"{site}/dispatch/{DAY.isoformat()}/plan")
    page.get_by_label("語言").select_option("en")
    page.get_by_role("button", name="切換語言").click()
    expect(page.get_by_role("link", name="Day board").first).to_be_visible()
    shot(page, f"plan-en-{device}")


def run_scheduler_zh(page: Page, site: str) -> None:
    """Run the scheduler with the interface in Chinese."""
    page.goto(f"{site}/dispatch/{DAY.isoformat()}/plan")
    page.get_by_role("button", name="執行排程").first.click()
    expect(page.get_by_role("status")).to_have_count(0, timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile("草稿計劃"))).to_be_visible()


def test_add_a_ride_by_hand(browser: Browser, site: str) -> None:
    page = new_page(browser, WIDTHS["phone"])
    log_in(page, site)
    page.goto(f"{site}/dispatch/{DAY.isoformat()}")
    page.get_by_role("link", name="Add a ride").click()
    page.get_by_label("Rider").select_option(index=1)
    page.get_by_label("Kind of ride").select_option("grocery")
    page.get_by_label("Where to (from home)").select_option(index=1)
    page.get_by_label("Time (arrive by").fill("10:15")
    page.get_by_label("walker").check()
    shot(page, "add-ride-phone")
    page.get_by_role("button", name="Book the ride").click()
    expect(page.get_by_text("Requested")).to_be_visible()
    expect(page.get_by_text("walker")).to_be_visible()
    shot(page, "added-ride-phone")
