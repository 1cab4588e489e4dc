"""Queued notifier work. The send actor takes only the message id."""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

from notifier.plan_texts import write_plan_texts, write_reminders
from notifier.ratelimit import RateLimiter, build_rate_limiter
from notifier.senders import SmsSender, build_sender
from notifier.sending import recover, send_batch
from shared import metrics
from shared.db import get_engine, session_scope
from shared.outbox import RECOVER_MESSAGE, SEND_MESSAGE, enqueue
from shared.queue import actor
from shared.settings import get_settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_sender: SmsSender | None = None
_limiter: RateLimiter | None = None


def runtime() -> tuple[SmsSender, RateLimiter]:
    """This process's sender and rate limiter, built from settings on first use."""
    global _sender, _limiter
    with _lock:
        if _sender is None or _limiter is None:
            settings = get_settings()
            _sender = build_sender(settings.sms)
            _limiter = build_rate_limiter(settings)
        return _sender, _limiter


def reset_runtime() -> None:
    """Close and forget the sender and rate limiter, so the next job builds them from the
    settings of that moment (``rides demo`` and tests run the worker more than once)."""
    global _sender, _limiter
    with _lock:
        if _sender is not None:
            _sender.close()
        _sender = _limiter = None


def status_callback_url() -> str:
    """Where the provider reports delivery status."""
    return get_settings().app.public_base_url.rstrip("/") + "/sms/status"


# Our own attempt count and backoff decide when a text is tried again and when it has failed
# (``notifier.sending``); dramatiq's retries only cover a job that crashed, e.g. on a database
# outage, and the claim makes re-running a job safe.
@actor(queue_name="notifier", actor_name="send_message", max_retries=20, max_backoff=300_000)
def send_message(message_id: int) -> None:
    """Send one outbox message (at most once)."""
    send_messages([message_id])


@actor(queue_name="notifier", actor_name="send_messages", max_retries=20, max_backoff=300_000)
def send_messages(message_ids: list[int]) -> None:
    """Send several outbox messages written together (each at most once)."""
    sender, limiter = runtime()
    attempts = send_batch(get_engine(), message_ids, sender, limiter, status_callback_url())
    for message_id, attempt in attempts.items():
        if attempt.outcome != "skipped":
            metrics.outbound_text(attempt.outcome)
        if attempt.verify:
            # No answer came: the provider may have the text, so recovery asks it first.
            enqueue(RECOVER_MESSAGE, message_id, delay=timedelta(seconds=attempt.delay + 1))
        elif attempt.outcome in ("requeue", "retry"):
            # Another job for this message alone, after the wait: a rate limit or a not-yet-due
            # text costs no attempt; a transient error has already counted one.
            enqueue(SEND_MESSAGE, message_id, delay=timedelta(seconds=attempt.delay + 0.01))
        if attempt.outcome == "sent":
            log.debug("message %d sent", message_id)
        elif attempt.outcome != "skipped":
            log.info("message %d: %s (%s)", message_id, attempt.outcome, attempt.detail)


@actor(queue_name="notifier", actor_name="notify_plan", max_retries=5, min_backoff=2_000)
def notify_plan(plan_id: int) -> None:
    """Write the texts announcing a published plan (once; a second run writes nothing)."""
    with session_scope(get_engine()) as session:
        write_plan_texts(session, plan_id, get_settings().app.public_base_url)


@actor(queue_name="notifier", actor_name="send_reminders", max_retries=5, min_backoff=2_000)
def send_reminders(organisation_id: int, service_date: str) -> None:
    """Write the day-before reminders of one organisation's day (once per day)."""
    with session_scope(get_engine()) as session:
        write_reminders(session, organisation_id, date.fromisoformat(service_date))


@actor(queue_name="notifier", actor_name="recover_message", max_retries=5, min_backoff=5_000)
def recover_message(message_id: int) -> None:
    """Settle a message left in ``sending`` by a dead worker, then send it if it never went.

    Only the recovery whose conditional UPDATE released the message enqueues its send.
    """
    sender, _ = runtime()
    if recover(get_engine(), message_id, sender).outcome == "requeue":
        enqueue(SEND_MESSAGE, message_id)
