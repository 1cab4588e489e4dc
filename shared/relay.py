"""The outbox relay's sweep: enqueue outbox rows whose enqueue-after-commit never happened.

Runs on a timer (APScheduler) inside every worker (``RelayMiddleware``), so a deployment needs
no extra process. One sweep runs at a time per deployment: on PostgreSQL behind a transaction-level
advisory lock (``pg_try_advisory_xact_lock``), elsewhere behind a lock of this process (SQLite and
the in-process broker live in one process). A worker whose turn it is not skips that sweep.

Concurrent or back-to-back sweeps are also harmless, which matters because the lock only covers
one sweep and every worker sweeps in turn: the send actor claims a message atomically, recovery
decides on one claim with one conditional UPDATE, a re-plan job checks its ticket's token and
reminders are once per day by a unique row; so sweeps err on the side of enqueueing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import dramatiq
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, or_, text, update
from sqlmodel import Session, col, select

from shared.i18n import local_time
from shared.models import (
    Message,
    MessageStatus,
    Organisation,
    Plan,
    PlanState,
    ReminderRun,
    ReplanTicket,
    utcnow,
)
from shared.outbox import (
    NOTIFY_PLAN,
    PLAN_DAY,
    RECOVER_MESSAGE,
    SEND_REMINDERS,
    enqueue,
    enqueue_messages,
    sending_lease,
)
from shared.settings import get_settings

log = logging.getLogger(__name__)
# APScheduler logs every run of the sweep at INFO; its warnings and errors still show.
logging.getLogger("apscheduler").setLevel(logging.WARNING)


#: The advisory lock's key: any fixed 64-bit number no other part of the project uses.
SWEEP_LOCK_KEY = 0x72696465735F72  # "rides_r"
_process_sweep = threading.Lock()


@dataclass(frozen=True)
class SweepResult:
    messages: int
    replans: int
    plans: int = 0
    reminders: int = 0
    recoveries: int = 0
    #: False when another sweep held the lock, so this one did nothing
    ran: bool = True


@contextmanager
def _sweep_turn(session: Session) -> Iterator[bool]:
    """Whether this sweep may run now; held until the session's transaction ends.

    PostgreSQL: a transaction-level advisory lock, so it is released by the commit, or by the
    server when a killed worker's connection drops; no timeout to tune, and a slow sweep can
    never outlive its lock. Other databases: a lock of this process.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        yield bool(
            session.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY}
            ).scalar_one()
        )
        return
    if not _process_sweep.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        _process_sweep.release()


def sweep(engine: Engine, now: datetime | None = None, batch: int = 500) -> SweepResult:
    """Enqueue due outbox rows that nobody enqueued (or whose job went missing).

    Does nothing (``ran`` False) while another worker's sweep runs.
    """
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session, _sweep_turn(session) as turn:
        if not turn:
            return SweepResult(0, 0, ran=False)
        result = _sweep(session, now, batch)
        session.commit()
    counts = (result.messages, result.replans, result.plans, result.reminders, result.recoveries)
    if any(counts):
        log.info("relay enqueued %s", result)
    return result


def _sweep(session: Session, now: datetime, batch: int) -> SweepResult:
    settings = get_settings().app
    # GRACE leaves the after-commit enqueue time to happen; STALE re-enqueues lost jobs.
    grace = timedelta(seconds=settings.relay_grace_seconds)
    stale = timedelta(seconds=settings.relay_stale_seconds)
    messages = session.exec(
        select(Message)
        .where(
            Message.status == MessageStatus.PENDING,
            col(Message.send_after) <= now - grace,
            or_(col(Message.enqueued_at).is_(None), col(Message.enqueued_at) < now - stale),
        )
        .order_by(col(Message.send_after))
        .limit(batch)
    ).all()
    enqueue_messages([(m.id, m.send_after) for m in messages if m.id is not None])
    for message in messages:
        message.enqueued_at = now
        session.add(message)
    tickets = session.exec(
        select(ReplanTicket)
        .where(
            col(ReplanTicket.due_at) <= now - grace,
            or_(
                col(ReplanTicket.enqueued_at).is_(None),
                col(ReplanTicket.enqueued_at) < now - stale,
            ),
        )
        .limit(batch)
    ).all()
    for ticket in tickets:
        enqueue(PLAN_DAY, ticket.organisation_id, ticket.service_date.isoformat(), ticket.token)
        ticket.enqueued_at = now
        session.add(ticket)
    plans = session.exec(
        select(Plan.id).where(
            Plan.state == PlanState.PUBLISHED,
            col(Plan.notified_at).is_(None),
            col(Plan.published_at) <= now - grace,
        )
    ).all()
    for plan_id in plans:
        enqueue(NOTIFY_PLAN, plan_id)
    # A sending row's updated_at is its claim's time. One recovery job per claim, and
    # another only if that job went missing (STALE): each asks the provider's list.
    stuck = session.exec(
        select(Message.id)
        .where(
            Message.status == MessageStatus.SENDING,
            col(Message.updated_at) < now - sending_lease(),
            or_(
                col(Message.enqueued_at).is_(None),
                col(Message.enqueued_at) < Message.updated_at,
                col(Message.enqueued_at) < now - stale,
            ),
        )
        .limit(batch)
    ).all()
    for message_id in stuck:
        enqueue(RECOVER_MESSAGE, message_id)
    if stuck:
        session.execute(
            update(Message)
            .where(col(Message.id).in_(stuck))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    reminders = _due_reminders(session, now)
    for organisation_id, day in reminders:
        enqueue(SEND_REMINDERS, organisation_id, day.isoformat())
    return SweepResult(len(messages), len(tickets), len(plans), len(reminders), len(stuck))


def _due_reminders(session: Session, now: datetime) -> list[tuple[int, date]]:
    """Organisations past their reminder hour whose published plan for tomorrow has none yet.

    Checked on every sweep rather than fired once by a clock, so reminders missed while every
    worker was down still go out when one comes back; the unique ``ReminderRun`` row keeps them
    to once per day however many workers sweep.
    """
    hour = get_settings().app.reminder_hour
    due = []
    for org in session.exec(select(Organisation)).all():
        local = local_time(now, org.time_zone)
        if local.hour < hour:
            continue
        tomorrow = local.date() + timedelta(days=1)
        published = session.exec(
            select(Plan.id).where(
                Plan.organisation_id == org.id,
                Plan.service_date == tomorrow,
                Plan.state == PlanState.PUBLISHED,
            )
        ).first()
        done = session.exec(
            select(ReminderRun.id).where(
                ReminderRun.organisation_id == org.id, ReminderRun.service_date == tomorrow
            )
        ).first()
        if published is not None and done is None and org.id is not None:
            due.append((org.id, tomorrow))
    return due


class RelayMiddleware(dramatiq.Middleware):
    """Sweeps the outbox every ``interval`` seconds while a worker runs.

    APScheduler keeps the timer: one sweep at a time, and sweeps missed while the process was
    busy are run once, not one by one. Day-before reminders come from the same periodic job: each
    sweep checks every organisation against ``REMINDER_HOUR`` in its own time zone.
    """

    def __init__(self, engine: Callable[[], Engine], interval: float = 30.0) -> None:
        self.engine = engine
        self.interval = interval
        self._scheduler: BackgroundScheduler | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self.interval,
            id="outbox-relay",
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    def _sweep(self) -> None:
        try:
            if not sweep(self.engine()).ran:
                log.debug("another worker is sweeping the outbox; skipped this turn")
        except Exception:
            log.exception("outbox sweep failed; trying again in %.0f s", self.interval)
