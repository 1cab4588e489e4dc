"""Work that must not be lost is written to the database with the change that causes it.

Two kinds of outbox rows exist: outbound texts (``Message``) and debounced re-plans
(``ReplanTicket``). Both are enqueued right after the transaction commits (``on_commit``); the
relay (``shared.relay``) sweeps rows whose enqueue never happened, e.g. after a crash or while
Redis was down. Jobs are sent by actor name, so the services writing rows never import the
scheduler or the notifier.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

import dramatiq
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shared.models import Language, Message, ReplanTicket, utcnow
from shared.queue import get_broker
from shared.segments import segment_count
from shared.settings import get_settings

log = logging.getLogger(__name__)

# Jobs by (queue, actor name): writers of outbox rows never import the packages that run them.
SEND_MESSAGE = ("notifier", "send_message")
SEND_MESSAGES = ("notifier", "send_messages")
#: texts written in one transaction go out in jobs of at most this many ids: one read, one
#: claim and one store for all of them, while other worker threads take the other jobs
SEND_BATCH = 20
NOTIFY_PLAN = ("notifier", "notify_plan")
SEND_REMINDERS = ("notifier", "send_reminders")
RECOVER_MESSAGE = ("notifier", "recover_message")
PLAN_DAY = ("scheduler", "plan_day")
REPLAN_DEBOUNCE = timedelta(seconds=30)

_CALLBACKS = "rides_on_commit"
_TEXTS = "rides_outbox_texts"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once ``session``'s transaction has committed (never on rollback)."""
    session.info.setdefault(_CALLBACKS, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_callbacks(session: Session) -> None:
    session.info.pop(_TEXTS, None)
    for callback in session.info.pop(_CALLBACKS, []):
        try:
            callback()
        except Exception:
            # The row is committed; the relay's sweep will enqueue it later.
            log.exception("enqueue after commit failed; the relay will retry it")


@event.listens_for(Session, "after_rollback")
def _drop_callbacks(session: Session) -> None:
    session.info.pop(_CALLBACKS, None)
    session.info.pop(_TEXTS, None)


def enqueue(queue_actor: tuple[str, str], *args: object, delay: timedelta | None = None) -> None:
    """Send a job to an actor by name (the actor's module need not be imported here)."""
    queue_name, actor_name = queue_actor
    message: dramatiq.Message[object] = dramatiq.Message(
        queue_name=queue_name, actor_name=actor_name, args=args, kwargs={}, options={}
    )
    delay_ms = int(delay.total_seconds() * 1000) if delay and delay.total_seconds() > 0 else None
    broker = get_broker()
    # A process that never imported the actor (the web app) has not declared its queue.
    broker.declare_queue(queue_name)
    broker.enqueue(message, delay=delay_ms)


def queue_text(
    session: Session,
    *,
    organisation_id: int,
    to_number: str,
    from_number: str,
    body: str,
    language: Language = Language.EN,
    template: str = "",
    urgent: bool = False,
    send_after: datetime | None = None,
    request_id: int | None = None,
    route_id: int | None = None,
) -> Message:
    """Add an outbound text to the outbox; it is enqueued for sending after commit."""
    message = Message(
        organisation_id=organisation_id,
        to_number=to_number,
        from_number=from_number,
        body=body,
        language=language,
        template=template,
        segments=segment_count(body),
        urgent=urgent,
        send_after=send_after or utcnow(),
        request_id=request_id,
        route_id=route_id,
    )
    session.add(message)
    session.flush()
    assert message.id is not None
    texts: list[tuple[int, datetime]] | None = session.info.get(_TEXTS)
    if texts is None:
        # One after-commit enqueue for all the texts of the transaction, so they can share jobs.
        texts = session.info[_TEXTS] = []
        on_commit(session, lambda: enqueue_messages(texts))
    texts.append((message.id, message.send_after))
    return message


def sending_lease() -> timedelta:
    """A message claimed for sending longer ago than this is presumed to have lost its worker."""
    return timedelta(seconds=get_settings().app.sending_lease_seconds)


def enqueue_messages(texts: Sequence[tuple[int, datetime]]) -> None:
    """Put outbox messages (id, due time) on the queue, delayed until they may be sent.

    Texts due in the same second (or already due) share ``send_messages`` jobs of up to
    ``SEND_BATCH`` ids; a text on its own gets a ``send_message`` job.
    """
    now = utcnow()
    by_delay: dict[int, list[int]] = {}
    for message_id, send_after in texts:
        delay = max(0, math.ceil((send_after - now).total_seconds()))
        by_delay.setdefault(delay, []).append(message_id)
    for seconds, ids in by_delay.items():
        wait = timedelta(seconds=seconds)
        for first in range(0, len(ids), SEND_BATCH):
            chunk = ids[first : first + SEND_BATCH]
            if len(chunk) == 1:
                enqueue(SEND_MESSAGE, chunk[0], delay=wait)
            else:
                enqueue(SEND_MESSAGES, chunk, delay=wait)


def queue_replan(
    session: Session,
    organisation_id: int,
    service_date: date,
    debounce: timedelta = REPLAN_DEBOUNCE,
) -> ReplanTicket:
    """Ask for a re-plan of a day; changes within ``debounce`` of each other share one run.

    Call it last in a transaction: the day's ticket row stays locked until commit. The day's
    first two changes at once may both try to add the ticket; the loser's savepoint is rolled
    back and it updates the winner's ticket instead.
    """
    for attempt in range(2):
        try:
            with session.begin_nested():
                ticket = _renew_ticket(session, organisation_id, service_date, debounce)
            break
        except IntegrityError:
            if attempt:
                raise
            log.info("re-plan ticket for %s created concurrently; updating it", service_date)
    token = ticket.token
    on_commit(
        session,
        lambda: enqueue(PLAN_DAY, organisation_id, service_date.isoformat(), token, delay=debounce),
    )
    return ticket


def _renew_ticket(
    session: Session, organisation_id: int, service_date: date, debounce: timedelta
) -> ReplanTicket:
    ticket = session.exec(
        select(ReplanTicket).where(
            ReplanTicket.organisation_id == organisation_id,
            ReplanTicket.service_date == service_date,
        )
    ).first()
    if ticket is None:
        ticket = ReplanTicket(
            organisation_id=organisation_id, service_date=service_date, token="", due_at=utcnow()
        )
    ticket.token = str(uuid.uuid4())
    ticket.due_at = utcnow() + debounce
    session.add(ticket)
    session.flush()
    return ticket


def replan_is_current(
    session: Session, organisation_id: int, service_date: date, token: str
) -> bool:
    """True while ``token`` is the newest re-plan request for the day."""
    ticket = session.exec(
        select(ReplanTicket).where(
            ReplanTicket.organisation_id == organisation_id,
            ReplanTicket.service_date == service_date,
        )
    ).first()
    return ticket is not None and ticket.token == token


def finish_replan(session: Session, organisation_id: int, service_date: date, token: str) -> None:
    """Remove the day's ticket if no newer request arrived while planning."""
    ticket = session.exec(
        select(ReplanTicket).where(
            ReplanTicket.organisation_id == organisation_id,
            ReplanTicket.service_date == service_date,
            ReplanTicket.token == token,
        )
    ).first()
    if ticket is not None:
        session.delete(ticket)
