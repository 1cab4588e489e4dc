"""Send outbox messages at most once each, and recover messages a crash left half-sent.

Each text is claimed (``pending -> sending``, one conditional UPDATE, committed durably) just
before its own request to the provider, and its answer is stored as soon as it comes back, in
the same transaction as the next text's claim. So two deliveries of the same job (dramatiq
guarantees at-least-once), or two jobs naming the same message, can never both reach the
provider, and the claim's time (``updated_at`` of a ``sending`` row) says how long that one text
has been in flight, never how long its batch has.

A worker killed between the claim and storing the answer, or a request left without an answer
(a read timeout), leaves the row in ``sending``. Once the claim is older than the sending lease
(which the settings check is longer than the longest send plus the provider's listing delay),
``recover`` asks the provider whether it has the text and either records it as sent or puts it
back to ``pending``, with one conditional UPDATE on that very claim, so only one recovery can
decide. See README "Texts, exactly once" for the windows that remain.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, func, update
from sqlmodel import Session, col, select

from notifier.errors import PermanentSendError, TransientSendError, UncertainSendError
from notifier.ratelimit import RateLimiter
from notifier.senders import SmsSender
from notifier.status import early_callbacks, record_refusal, replay_early_callbacks
from shared.consent import opted_out_clause
from shared.models import DeliveryEvent, Message, MessageStatus, utcnow
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
    #: the provider may have the text: ask it (``recover``) after ``delay``, do not send again
    verify: bool = False


def _store_and_claim(
    engine: Engine, answered: tuple[int, str] | None, message: Message | None
) -> bool:
    """Store the provider id of the text just ``answered``, and claim ``message`` (move it from
    ``pending`` to ``sending``), in one transaction; True when this call claimed ``message``.

    Storing an answer and the next claim share a commit: each text still has its answer stored
    the moment it arrives, at the cost of one transaction per text, not two.
    """
    if engine.dialect.name == "postgresql":
        return _store_and_claim_in_one_statement(engine, answered, message)
    claimed = False
    with Session(engine) as session:
        if answered is not None:
            _store_sent(session, *answered)
        if message is not None:
            assert message.id is not None
            claimed = (
                session.execute(
                    update(Message)
                    .where(
                        col(Message.id) == message.id,
                        col(Message.status) == MessageStatus.PENDING,
                    )
                    # The claim's own time: the age recovery reads is this text's alone.
                    .values(
                        status=MessageStatus.SENDING,
                        attempts=Message.attempts + 1,
                        updated_at=utcnow(),
                    )
                    .returning(col(Message.id))
                    .execution_options(synchronize_session=False)
                ).first()
                is not None
            )
        session.commit()
    return claimed


def _store_and_claim_in_one_statement(
    engine: Engine, answered: tuple[int, str] | None, message: Message | None
) -> bool:
    """``_store_and_claim`` on PostgreSQL: one statement (two data-modifying CTEs) in its own
    transaction, one round trip per text, which keeps a batch's throughput; it also tells
    whether a status callback for the stored text arrived first (rare: replayed then)."""
    now = utcnow()
    columns: list[ColumnElement[Any]] = []
    if answered is not None:
        stored = (
            update(Message)
            .where(col(Message.id) == answered[0], col(Message.status) == MessageStatus.SENDING)
            .values(
                status=MessageStatus.SENT,
                provider_id=answered[1],
                sent_at=now,
                updated_at=now,
                last_error="",
                error_code=None,
            )
            .returning(col(Message.provider_id))
            .cte("stored")
        )
        early = (
            select(col(DeliveryEvent.id))
            .join(stored, col(DeliveryEvent.provider_id) == stored.c.provider_id)
            .where(col(DeliveryEvent.message_id).is_(None))
            .exists()
        )
        columns.append(early.label("early"))
    if message is not None:
        claim = (
            update(Message)
            .where(col(Message.id) == message.id, col(Message.status) == MessageStatus.PENDING)
            .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, updated_at=now)
            .returning(col(Message.id))
            .cte("claimed")
        )
        columns.append(select(func.count()).select_from(claim).scalar_subquery().label("claimed"))
    with engine.connect() as connection:
        # One statement is its own transaction: committed (durably) before the send.
        row = (
            connection.execution_options(isolation_level="AUTOCOMMIT")
            .execute(select(*columns))
            .one()
        )
    if answered is not None and row.early:
        with Session(engine) as session:
            replay_early_callbacks(session, answered[1])
            session.commit()
    return message is not None and bool(row.claimed)


def _store_sent(
    session: Session, message_id: int, provider_id: str, claim: int | None = None
) -> bool:
    """Record the provider's id of a text it accepted, while the row is still ``sending``
    (and, when ``claim`` is given, still on that claim: its attempt count); True if stored."""
    now = utcnow()
    conditions = [col(Message.id) == message_id, col(Message.status) == MessageStatus.SENDING]
    if claim is not None:
        conditions.append(col(Message.attempts) == claim)
    stored = (
        session.execute(
            update(Message)
            .where(*conditions)
            .values(
                status=MessageStatus.SENT,
                provider_id=provider_id,
                sent_at=now,
                updated_at=now,
                last_error="",
                error_code=None,
            )
            .returning(col(Message.id))
            .execution_options(synchronize_session=False)
        ).first()
        is not None
    )
    if stored and early_callbacks(session, [provider_id]):
        replay_early_callbacks(session, provider_id)
    return stored


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

    One statement reads the whole batch; then each text is claimed just before its own request
    to the provider, and its answer stored as soon as it arrives (in the transaction that claims
    the next text), so a slow provider can never make a claim look older than its one send.
    """
    now = utcnow()
    # An id named twice must not make two sends out of one claim.
    message_ids = list(dict.fromkeys(message_ids))
    attempts: dict[int, Attempt] = {}
    waiting = deque(_due(engine, message_ids, now, attempts))
    answered: tuple[int, str] | None = None  # a text the provider took, not stored yet
    while waiting or answered is not None:
        message = _next_paced(limiter, waiting, attempts)
        claimed = _store_and_claim(engine, answered, message)
        answered = None
        if message is None:
            break
        assert message.id is not None
        if not claimed:
            attempts[message.id] = Attempt("skipped", detail="claimed by another worker")
            continue
        try:
            result = sender.send(
                message.to_number, message.from_number, message.body, status_callback
            )
        except UncertainSendError as exc:
            attempts[message.id] = _uncertain(message, exc)
        except TransientSendError as exc:
            attempts[message.id] = _transient(engine, message, exc)
        except PermanentSendError as exc:
            attempts[message.id] = _permanent(engine, message, exc)
        else:
            answered = (message.id, result.provider_id)
            attempts[message.id] = Attempt("sent", detail=result.provider_id)
    return attempts


def _next_paced(
    limiter: RateLimiter, waiting: deque[Message], attempts: dict[int, Attempt]
) -> Message | None:
    """The next text the rate limit lets go now; the others it passes get their attempt."""
    while waiting:
        message = waiting.popleft()
        if _paced(limiter, message, attempts):
            return message
    return None


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


def _uncertain(message: Message, exc: UncertainSendError) -> Attempt:
    """No answer: leave the claim in place for recovery, which asks the provider once the
    lease has passed, so the text is never sent again if the provider has it."""
    assert message.id is not None
    log.info("message %d: %s; recovery will ask the provider after the lease", message.id, exc)
    return Attempt("retry", sending_lease().total_seconds(), str(exc), verify=True)


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

    The lease is longer than the longest send plus the provider's listing delay (checked with
    the settings), so by then the send has ended and a text the provider took is in its list.
    Whether the provider has the text decides, and the decision is one conditional UPDATE on the
    very claim that was read (its attempt count), so of two recoveries of one message only one
    can release it, and never after a new claim has started another send.
    """
    lease = sending_lease()
    with Session(engine, expire_on_commit=False) as session:
        message = session.get(Message, message_id)
        if message is None or message.status != MessageStatus.SENDING:
            return Attempt("skipped", detail="not stuck")
        if message.updated_at > utcnow() - lease:
            return Attempt("skipped", detail="its send may still be answered")
        taken = set(
            session.exec(
                select(Message.provider_id).where(
                    Message.to_number == message.to_number,
                    col(Message.provider_id).is_not(None),
                )
            ).all()
        )
    claim = message.attempts
    since = message.updated_at - lease
    found = sender.find_sent(
        message.to_number,
        message.from_number,
        message.body,
        since,
        exclude={t for t in taken if t is not None},
    )
    if found is not None:
        with Session(engine) as session:
            stored = _store_sent(session, message_id, found, claim)
            session.commit()
        if not stored:
            return Attempt("skipped", detail="settled by another recovery")
        log.info("message %d was sent before its send ended; recorded as %s", message_id, found)
        return Attempt("sent", detail=found)
    exhausted = claim >= MAX_ATTEMPTS
    status = MessageStatus.FAILED if exhausted else MessageStatus.PENDING
    with engine.begin() as connection:
        released = connection.execute(
            update(Message)
            .where(
                col(Message.id) == message_id,
                col(Message.status) == MessageStatus.SENDING,
                col(Message.attempts) == claim,
            )
            .values(
                status=status,
                updated_at=utcnow(),
                last_error="the provider does not have it" if exhausted else "",
            )
            .returning(col(Message.id))
        ).first()
    if released is None:
        return Attempt("skipped", detail="settled by another recovery")
    if exhausted:
        log.warning("message %d failed after %d attempts", message_id, claim)
        return Attempt("failed", detail="not at the provider after the last attempt")
    log.info("message %d never reached the provider; released to be sent again", message_id)
    return Attempt("requeue", detail="released")
