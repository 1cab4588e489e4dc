"""Send outbox messages at most once each, and recover messages a crash left half-sent.

The claim ``pending -> sending`` is a single conditional UPDATE (for a whole batch at once), so
two deliveries of the same job (dramatiq guarantees at-least-once), or two jobs naming the same
message, can never both reach the provider. A worker killed
between the claim and storing the provider's answer leaves the row in ``sending``; ``recover``
asks the provider whether it has the text (by recipient, sender, body and time) and either
records it as sent or puts it back to ``pending``. The one window left: a text the provider
accepted but does not list yet when ``recover`` looks, which the lease (minutes, against the
provider's sub-second listing delay) makes vanishingly rare; see README "Texts, exactly once".
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, bindparam, text, update
from sqlmodel import Session, col, select

from notifier.errors import PermanentSendError, TransientSendError
from notifier.ratelimit import RateLimiter
from notifier.senders import SmsSender
from notifier.status import early_callbacks, record_refusal, replay_early_callbacks
from shared.consent import opted_out_clause
from shared.models import Message, MessageStatus, utcnow
from shared.outbox import sending_lease

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_BACKOFF = 120  # seconds

Outcome = Literal[
    "sent", "skipped", "requeue", "retry", "failed", "cancelled", "opted_out", "undeliverable"
]


@dataclass(frozen=True)
class Attempt:
    """What one send attempt did, and in how many seconds to try again (``requeue``, ``retry``)."""

    outcome: Outcome
    delay: float = 0.0
    detail: str = ""


def _claim(engine: Engine, message_ids: Sequence[int], now: datetime) -> set[int]:
    """Move the pending ones of ``message_ids`` to ``sending``; return those this call moved."""
    if not message_ids:
        return set()
    # The one commit that must be durable: once it is, no other delivery of a job can send.
    with engine.begin() as connection:
        result = connection.execute(
            update(Message)
            .where(col(Message.id).in_(message_ids), col(Message.status) == MessageStatus.PENDING)
            .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=now)
            .returning(col(Message.id))
        )
        return {message_id for message_id in result.scalars() if message_id is not None}


def _finish(
    engine: Engine,
    message_id: int,
    status: MessageStatus,
    *,
    error: str = "",
    code: int | None = None,
) -> None:
    """Store the end of an attempt that did not send (``pending`` again, or ``failed``)."""
    with engine.begin() as connection:
        connection.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.SENDING)
            .values(status=status, updated_at=utcnow(), last_error=error[:500], error_code=code)
        )


def _finish_sent(engine: Engine, provider_ids: Mapping[int, str]) -> None:
    """Store the provider's id of every text it accepted, in one transaction."""
    if not provider_ids:
        return
    now = utcnow()
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            # Losing this commit in a database crash is safe: the rows stay 'sending' and
            # recovery finds the texts at the provider. So it need not wait for the disk.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        # Core executemany (one statement, many parameter sets), not the ORM's bulk update.
        session.connection().execute(
            update(Message)
            .where(
                col(Message.id) == bindparam("sent_id"),
                col(Message.status) == MessageStatus.SENDING,
            )
            .values(
                status=MessageStatus.SENT,
                provider_id=bindparam("sent_provider_id"),
                sent_at=now,
                updated_at=now,
                last_error="",
                error_code=None,
            ),
            [{"sent_id": k, "sent_provider_id": v} for k, v in provider_ids.items()],
        )
        for provider_id in early_callbacks(session, provider_ids.values()):
            replay_early_callbacks(session, provider_id)
        session.commit()


def send_now(
    engine: Engine,
    message_id: int,
    sender: SmsSender,
    limiter: RateLimiter,
    status_callback: str | None,
) -> Attempt:
    """Try to send one outbox message; never sends a message twice."""
    return send_batch(engine, [message_id], sender, limiter, status_callback)[message_id]


def send_batch(
    engine: Engine,
    message_ids: Sequence[int],
    sender: SmsSender,
    limiter: RateLimiter,
    status_callback: str | None,
) -> dict[int, Attempt]:
    """Try to send several outbox messages; never sends a message twice.

    Reading, claiming and storing the results are one statement each for the whole batch; each
    text is still its own request to the provider, and each gets its own ``Attempt``.
    """
    now = utcnow()
    # An id named twice must not make two sends out of one claim.
    message_ids = list(dict.fromkeys(message_ids))
    attempts: dict[int, Attempt] = {}
    ready = [m for m in _due(engine, message_ids, now, attempts) if _paced(limiter, m, attempts)]
    claimed = _claim(engine, [m.id for m in ready if m.id is not None], now)
    sent: dict[int, str] = {}
    for message in ready:
        assert message.id is not None
        if message.id not in claimed:
            attempts[message.id] = Attempt("skipped", detail="claimed by another worker")
            continue
        try:
            result = sender.send(
                message.to_number, message.from_number, message.body, status_callback
            )
        except TransientSendError as exc:
            attempts[message.id] = _transient(engine, message, exc)
        except PermanentSendError as exc:
            attempts[message.id] = _permanent(engine, message, exc)
        else:
            sent[message.id] = result.provider_id
            attempts[message.id] = Attempt("sent", detail=result.provider_id)
    _finish_sent(engine, sent)
    return attempts


def _due(
    engine: Engine, message_ids: Sequence[int], now: datetime, attempts: dict[int, Attempt]
) -> list[Message]:
    """The messages that may be sent now, in the order asked; the others get their attempt."""
    with Session(engine, expire_on_commit=False) as session:
        # One round trip reads the messages and whether their recipients opted out.
        rows = session.exec(
            select(Message, opted_out_clause(Message.organisation_id, Message.to_number)).where(
                col(Message.id).in_(message_ids)
            )
        ).all()
        found = {message.id: (message, opted_out) for message, opted_out in rows}
        due: list[Message] = []
        opted_out_ids: list[int] = []
        for message_id in message_ids:
            if message_id not in found:
                attempts[message_id] = Attempt("skipped", detail="no such message")
                continue
            message, opted_out = found[message_id]
            if message.status != MessageStatus.PENDING:
                attempts[message_id] = Attempt("skipped", detail=f"already {message.status.value}")
            elif message.send_after > now:
                wait = (message.send_after - now).total_seconds()
                attempts[message_id] = Attempt("requeue", wait, "not due yet")
            elif opted_out:
                opted_out_ids.append(message_id)
                attempts[message_id] = Attempt("cancelled", detail="recipient has opted out")
            else:
                due.append(message)
    if opted_out_ids:
        with engine.begin() as connection:
            # Only while still pending: a row another job claimed meanwhile is that job's.
            connection.execute(
                update(Message)
                .where(
                    col(Message.id).in_(opted_out_ids),
                    col(Message.status) == MessageStatus.PENDING,
                )
                .values(
                    status=MessageStatus.CANCELLED,
                    last_error="recipient has opted out",
                    updated_at=now,
                )
            )
    return due


def _paced(limiter: RateLimiter, message: Message, attempts: dict[int, Attempt]) -> bool:
    """Take the message's segments from its number's bucket, or tell it when to come back."""
    assert message.id is not None
    # Waiting for the rate limit is not a failed attempt: the job is re-sent with a delay.
    wait = limiter.acquire(message.from_number, float(message.segments))
    if wait > 0:
        attempts[message.id] = Attempt("requeue", wait, "rate limited")
        return False
    return True


def _transient(engine: Engine, message: Message, exc: TransientSendError) -> Attempt:
    assert message.id is not None
    exhausted = message.attempts + 1 >= MAX_ATTEMPTS
    status = MessageStatus.FAILED if exhausted else MessageStatus.PENDING
    _finish(engine, message.id, status, error=str(exc), code=exc.code)
    if exhausted:
        log.warning("message %d failed after %d attempts: %s", message.id, MAX_ATTEMPTS, exc)
        return Attempt("failed", detail=str(exc))
    return Attempt("retry", retry_delay(message.attempts + 1), str(exc))


def retry_delay(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed tries: doubling from 1 s, jittered by a quarter
    so that texts failing together do not retry together, at most ``MAX_BACKOFF``."""
    base = min(float(MAX_BACKOFF), 2.0 ** max(attempts - 1, 0))
    return base * random.uniform(0.75, 1.25)


def _permanent(engine: Engine, message: Message, exc: PermanentSendError) -> Attempt:
    assert message.id is not None
    outcome = exc.outcome
    _finish(engine, message.id, MessageStatus.FAILED, error=str(exc), code=exc.code)
    with Session(engine) as session:
        record_refusal(session, message, outcome, exc.code)
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
        _finish_sent(engine, {message_id: found})
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
