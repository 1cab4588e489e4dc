"""Send one outbox message at most once, and recover messages a crash left half-sent.

The claim ``pending -> sending`` is a single conditional UPDATE, so two deliveries of the same
job (dramatiq guarantees at-least-once) can never both reach the provider. A worker killed
between the claim and storing the provider's answer leaves the row in ``sending``; ``recover``
asks the provider whether it has the text (by recipient, sender, body and time) and either
records it as sent or puts it back to ``pending``. The one window left: a text the provider
accepted but does not list yet when ``recover`` looks, which the lease (minutes, against the
provider's sub-second listing delay) makes vanishingly rare; see README "Exactly once".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, text, update
from sqlmodel import Session, col, select

from notifier.errors import PermanentSendError, TransientSendError
from notifier.ratelimit import RateLimiter
from notifier.senders import SmsSender
from notifier.status import has_early_callbacks, replay_early_callbacks
from shared.consent import opted_out_clause, record_consent
from shared.models import AuditEvent, ConsentState, Message, MessageStatus, utcnow
from shared.outbox import sending_lease
from shared.phones import mask

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5

Outcome = Literal[
    "sent", "skipped", "requeue", "retry", "failed", "cancelled", "opted_out", "undeliverable"
]


@dataclass(frozen=True)
class Attempt:
    """What one send attempt did, and when to try again (``requeue`` and ``retry``)."""

    outcome: Outcome
    delay: float = 0.0
    detail: str = ""


def _claim(engine: Engine, message_id: int, now: datetime) -> bool:
    # The one commit that must be durable: once it is, no other delivery of the job can send.
    with engine.begin() as connection:
        result = connection.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.PENDING)
            .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=now)
        )
    return result.rowcount == 1


def _finish(
    engine: Engine,
    message_id: int,
    status: MessageStatus,
    *,
    error: str = "",
    code: int | None = None,
    provider_id: str | None = None,
) -> None:
    now = utcnow()
    values: dict[str, object] = {
        "status": status,
        "updated_at": now,
        "last_error": error[:500],
        "error_code": code,
    }
    if provider_id is not None:
        values.update(provider_id=provider_id, sent_at=now)
    with Session(engine) as session:
        if provider_id is not None and engine.dialect.name == "postgresql":
            # Losing this commit in a database crash is safe: the row stays 'sending' and
            # recovery finds the text at the provider. So it need not wait for the disk.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        session.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.SENDING)
            .values(**values)
        )
        if provider_id is not None and has_early_callbacks(session, provider_id):
            message = session.get(Message, message_id)
            assert message is not None
            replay_early_callbacks(session, message)
        session.commit()


def send_now(
    engine: Engine,
    message_id: int,
    sender: SmsSender,
    limiter: RateLimiter,
    status_callback: str | None,
) -> Attempt:
    """Try to send one outbox message; never sends a message twice."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        # One round trip reads the message and whether its recipient opted out.
        found = session.exec(
            select(Message, opted_out_clause(Message.organisation_id, Message.to_number)).where(
                Message.id == message_id
            )
        ).first()
        if found is None:
            return Attempt("skipped", detail="no such message")
        message, opted_out = found
        if message.status != MessageStatus.PENDING:
            return Attempt("skipped", detail=f"already {message.status.value}")
        if message.send_after > now:
            return Attempt("requeue", (message.send_after - now).total_seconds(), "not due yet")
        if opted_out:
            message.status = MessageStatus.CANCELLED
            message.last_error = "recipient has opted out"
            message.updated_at = now
            session.add(message)
            session.commit()
            return Attempt("cancelled", detail="recipient has opted out")
    # Waiting for the rate limit is not a failed attempt: the job is re-sent with a delay.
    wait = limiter.acquire(message.from_number, float(message.segments))
    if wait > 0:
        return Attempt("requeue", wait, "rate limited")
    if not _claim(engine, message_id, now):
        return Attempt("skipped", detail="claimed by another worker")
    try:
        result = sender.send(message.to_number, message.from_number, message.body, status_callback)
    except TransientSendError as exc:
        exhausted = message.attempts + 1 >= MAX_ATTEMPTS
        status = MessageStatus.FAILED if exhausted else MessageStatus.PENDING
        _finish(engine, message_id, status, error=str(exc), code=exc.code)
        if exhausted:
            log.warning("message %d failed after %d attempts: %s", message_id, MAX_ATTEMPTS, exc)
            return Attempt("failed", detail=str(exc))
        return Attempt("retry", detail=str(exc))
    except PermanentSendError as exc:
        return _permanent(engine, message, exc)
    _finish(engine, message_id, MessageStatus.SENT, provider_id=result.provider_id)
    return Attempt("sent", detail=result.provider_id)


def _permanent(engine: Engine, message: Message, exc: PermanentSendError) -> Attempt:
    assert message.id is not None
    outcome = exc.outcome
    _finish(engine, message.id, MessageStatus.FAILED, error=str(exc), code=exc.code)
    with Session(engine) as session:
        if outcome == "opted_out":
            record_consent(
                session,
                message.organisation_id,
                message.to_number,
                ConsentState.OPTED_OUT,
                keyword=f"carrier {exc.code}",
                source="provider",
            )
        elif outcome == "undeliverable":
            # Shown to dispatchers in the audit log: the number needs fixing by a person.
            session.add(
                AuditEvent(
                    organisation_id=message.organisation_id,
                    actor="notifier",
                    action="number_undeliverable",
                    entity="message",
                    entity_id=message.id,
                    after={"to": mask(message.to_number), "error_code": exc.code},
                )
            )
        session.commit()
    log.warning("message %d not sent (%s): %s", message.id, outcome, exc)
    if outcome in ("opted_out", "undeliverable"):
        return Attempt(outcome, detail=str(exc))
    return Attempt("failed", detail=str(exc))


def recover(engine: Engine, message_id: int, sender: SmsSender) -> Attempt:
    """Settle a message whose claim outlived the sending lease: sent after all, or pending again.

    Whether the provider has the text decides; only then is it released for another send, so a
    text the provider accepted is never sent a second time.
    """
    with Session(engine, expire_on_commit=False) as session:
        message = session.get(Message, message_id)
        if message is None or message.status != MessageStatus.SENDING:
            return Attempt("skipped", detail="not stuck")
        lease = sending_lease()
        if message.updated_at > utcnow() - lease:
            return Attempt("skipped", detail="its worker may still be sending it")
        taken = set(
            session.exec(
                select(Message.provider_id).where(
                    Message.to_number == message.to_number,
                    col(Message.provider_id).is_not(None),
                )
            ).all()
        )
    since = message.updated_at - lease
    found = sender.find_sent(message.to_number, message.from_number, message.body, since)
    if found is not None and found not in taken:
        _finish(engine, message_id, MessageStatus.SENT, provider_id=found)
        log.info("message %d was sent before its worker died; recorded as %s", message_id, found)
        return Attempt("sent", detail=found)
    with engine.begin() as connection:
        connection.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.SENDING)
            .values(status=MessageStatus.PENDING, updated_at=utcnow())
        )
    log.info("message %d never reached the provider; released to be sent again", message_id)
    return Attempt("requeue", detail="released")
