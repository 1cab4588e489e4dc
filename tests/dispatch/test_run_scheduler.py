"""Running the scheduler from the plan page: queued, progress shown, then the new draft."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from shared.models import AuditEvent
from shared.plan_days import newest_version
from shared.queue import build_broker, use_broker
from shared.settings import reset_settings
from tests.dispatch.conftest import DAY, Scenario, post


@pytest.fixture
def in_process_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[dramatiq.Worker]:
    """The in-process queue with a running worker, and a short planning time limit."""
    monkeypatch.setenv("SCHEDULER_TIME_LIMIT_SECONDS", "0.5")
    reset_settings()
    broker = build_broker(None)
    use_broker(broker)
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop()


@pytest.mark.usefixtures("in_process_worker")
def test_running_the_scheduler_shows_progress_until_the_draft_is_stored(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    day = DAY.isoformat()
    queued: Any = post(dispatcher, f"/dispatch/{day}/plan/run")
    assert queued.status_code == 303
    assert queued.headers["location"] == f"/dispatch/{day}/plan"
    deadline = time.monotonic() + 60
    while True:
        progress = dispatcher.get(f"/dispatch/{day}/plan/progress", headers={"HX-Request": "1"})
        assert progress.status_code == 200
        if "HX-Redirect" in progress.headers:
            break
        assert "planning the day" in progress.text
        assert time.monotonic() < deadline, "the plan_day job did not store a draft"
        time.sleep(0.2)
    with Session(scenario.engine) as session:
        assert newest_version(session, scenario.organisation_id, DAY) == 2
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "run_scheduler")).one()
    assert event.before == {"newest_version": 1}
    assert event.after == {"queued_for": day}
    page = dispatcher.get(f"/dispatch/{day}/plan")
    assert "Draft plan, version 2" in page.text
    assert "planning the day" not in page.text
