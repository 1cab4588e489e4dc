"""The relay sweep enqueues outbox rows whose after-commit enqueue never happened."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, text
from sqlmodel import Session

from shared.models import (
    Message,
    MessageStatus,
    Plan,
    PlanState,
    ReplanTicket,
    utcnow,
)
from shared.relay import SWEEP_LOCK_KEY, SweepResult, _process_sweep, sweep
from shared.settings import reset_settings
from tests.shared.conftest import queued


@pytest.fixture(autouse=True)
def _past_the_reminder_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMINDER_HOUR", "0")
    reset_settings()


def test_a_pending_message_nobody_enqueued_is_enqueued_once(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    old = utcnow() - timedelta(minutes=10)
    with Session(engine) as session:
        stale = Message(
            organisation_id=org_id, to_number="+1", from_number="+1", body="a", send_after=old
        )
        fresh = Message(organisation_id=org_id, to_number="+1", from_number="+1", body="b")
        sent = Message(
            organisation_id=org_id,
            to_number="+1",
            from_number="+1",
            body="c",
            send_after=old,
            status=MessageStatus.SENT,
        )
        session.add_all([stale, fresh, sent])
        session.commit()
        stale_id = stale.id
    assert sweep(engine).messages == 1
    assert queued(stub, "notifier") == [("send_message", (stale_id,))]
    assert sweep(engine).messages == 0  # enqueued just now: not stale yet


def test_a_due_replan_ticket_and_an_unannounced_plan_are_enqueued(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    day = date(2026, 12, 3)
    old = utcnow() - timedelta(minutes=10)
    with Session(engine) as session:
        session.add(ReplanTicket(organisation_id=org_id, service_date=day, token="t1", due_at=old))
        plan = Plan(
            organisation_id=org_id,
            service_date=day,
            version=1,
            state=PlanState.PUBLISHED,
            published_at=old,
        )
        session.add(plan)
        session.commit()
        plan_id = plan.id
    result = sweep(engine)
    assert (result.replans, result.plans) == (1, 1)
    assert queued(stub, "scheduler") == [("plan_day", (org_id, "2026-12-03", "t1"))]
    assert ("notify_plan", (plan_id,)) in queued(stub, "notifier")


def test_a_stuck_send_is_handed_to_recovery(engine: Engine, org_id: int, stub: StubBroker) -> None:
    with Session(engine) as session:
        stuck = Message(
            organisation_id=org_id,
            to_number="+1",
            from_number="+1",
            body="x",
            status=MessageStatus.SENDING,
            updated_at=utcnow() - timedelta(hours=1),
        )
        session.add(stuck)
        session.commit()
        stuck_id = stuck.id
    assert sweep(engine).recoveries == 1
    assert queued(stub, "notifier") == [("recover_message", (stuck_id,))]


def test_reminders_are_due_for_tomorrows_published_plan(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    from zoneinfo import ZoneInfo

    tomorrow = utcnow().astimezone(ZoneInfo("America/Toronto")).date() + timedelta(days=1)
    with Session(engine) as session:
        session.add(
            Plan(
                organisation_id=org_id,
                service_date=tomorrow,
                version=1,
                state=PlanState.PUBLISHED,
                published_at=utcnow(),
                notified_at=utcnow(),
            )
        )
        session.commit()
    assert sweep(engine).reminders == 1
    assert queued(stub, "notifier") == [("send_reminders", (org_id, tomorrow.isoformat()))]


def test_one_sweep_at_a_time_the_others_skip_their_turn(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    """PostgreSQL: an advisory lock another worker holds; SQLite: this process's lock."""
    with Session(engine) as session:
        session.add(
            Message(
                organisation_id=org_id,
                to_number="+1",
                from_number="+1",
                body="a",
                send_after=utcnow() - timedelta(minutes=10),
            )
        )
        session.commit()
    with engine.connect() as other:
        if engine.dialect.name == "postgresql":
            other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SWEEP_LOCK_KEY})
        else:
            assert _process_sweep.acquire(blocking=False)
        try:
            assert sweep(engine) == SweepResult(0, 0, ran=False)
        finally:
            if engine.dialect.name == "postgresql":
                other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEP_LOCK_KEY})
            else:
                _process_sweep.release()
    assert sweep(engine).messages == 1
    assert queued(stub, "notifier") != []


def test_a_stuck_send_gets_one_recovery_job_per_claim(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    with Session(engine) as session:
        session.add(
            Message(
                organisation_id=org_id,
                to_number="+1",
                from_number="+1",
                body="x",
                status=MessageStatus.SENDING,
                updated_at=utcnow() - timedelta(hours=1),
            )
        )
        session.commit()
    assert sweep(engine).recoveries == 1
    assert sweep(engine).recoveries == 0  # its recovery job is queued already
