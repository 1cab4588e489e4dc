"""Send outbox messages at most once each, and recover messages a crash left half-sent.

A batch's texts are claimed (``pending -> sending``) with one conditional UPDATE, committed
durably before the provider is called, so two deliveries of the same job (dramatiq guarantees
at-least-once), or two jobs naming the same message, can never both reach the provider. Just
before each text's own request, its claim is stamped with the time (``updated_at`` of a
``sending`` row), in the same statement that stores the answer to the text before it, the
moment that answer arrived. So a claim's age is how long that one text has been in flight (or,
for a text still waiting its turn, how long since the batch was claimed), and the stamp is
conditional: a waiting text that recovery released meanwhile is skipped.

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, Update, text, update
from sqlmodel import Session, col, select

from notifier.errors import PermanentSendError, TransientSendError, UncertainSendError
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
    #: the provider may have the text: ask it (``recover``) after ``delay``, do not send again
    verify: bool = False


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


def _store_and_stamp(
    engine: Engine, answered: tuple[int, str] | None, next_claim: tuple[int, int] | None
) -> bool:
    """Store the provider id of the text just ``answered``, and stamp the claim of the text
    about to be sent (``next_claim``: its id and attempt count) with the time its send starts,
    in one transaction; True when that claim was still this batch's to send.

    The stamp makes a claim's age the time its own text has been in flight. It is conditional:
    a text that recovery released meanwhile (its claim outlived the lease while it waited its
    turn) is not this batch's any more. Neither write needs the disk before the send: the batch's
    claim was durable, and a lost store leaves the row for recovery to settle.
    """
    if engine.dialect.name == "postgresql":
        return _store_and_stamp_in_one_statement(engine, answered, next_claim)
    stamped = False
    with Session(engine) as session:
        if answered is not None:
            _store_sent(session, *answered)
        if next_claim is not None:
            stamped = session.execute(_stamp(*next_claim)).first() is not None
        session.commit()
    return stamped


def _stamp(message_id: int, claim: int) -> Update:
    return (
        update(Message)
        .where(
            col(Message.id) == message_id,
            col(Message.status) == MessageStatus.SENDING,
            col(Message.attempts) == claim,
        )
        .values(updated_at=utcnow())
        .returning(col(Message.id))
        .execution_options(synchronize_session=False)
    )


_STORED = (
    "stored AS (UPDATE message SET status = :sent, provider_id = :provider_id, sent_at = :now,"
    " updated_at = :now, last_error = '', error_code = NULL"
    " WHERE id = :answered_id AND status = :sending RETURNING provider_id)"
)
_STAMPED = (
    "stamped AS (UPDATE message SET updated_at = :now"
    " WHERE id = :next_id AND status = :sending AND attempts = :claim RETURNING id)"
)
_EARLY = (
    "EXISTS (SELECT 1 FROM delivery_event JOIN stored USING (provider_id)"
    " WHERE delivery_event.message_id IS NULL)"
)
# Written out rather than built per text: building the statement cost more CPU than running it.
_STORE_AND_STAMP = {
    (True, True): text(
        f"WITH {_STORED}, {_STAMPED} SELECT set_config('synchronous_commit', 'off', true),"
        f" {_EARLY} AS early, (SELECT count(*) FROM stamped) AS stamped"
    ),
    (True, False): text(
        f"WITH {_STORED} SELECT set_config('synchronous_commit', 'off', true),"
        f" {_EARLY} AS early, 0 AS stamped"
    ),
    (False, True): text(
        f"WITH {_STAMPED} SELECT set_config('synchronous_commit', 'off', true),"
        " false AS early, (SELECT count(*) FROM stamped) AS stamped"
    ),
}


def _store_and_stamp_in_one_statement(
    engine: Engine, answered: tuple[int, str] | None, next_claim: tuple[int, int] | None
) -> bool:
    """``_store_and_stamp`` on PostgreSQL: one statement (data-modifying CTEs) that is its own
    transaction, committed without waiting for the disk (``set_config`` of
    ``synchronous_commit``, local to it): one round trip per text. It also tells whether a
    status callback for the stored text came first (rare: replayed then)."""
    if answered is None and next_claim is None:
        return False
    answered_id, provider_id = answered if answered is not None else (None, None)
    next_id, claim = next_claim if next_claim is not None else (None, None)
    statement = _STORE_AND_STAMP[(answered is not None, next_claim is not None)]
    with engine.connect() as connection:
        row = (
            connection.execution_options(isolation_level="AUTOCOMMIT")
            .execute(
                statement,
                {
                    "sent": MessageStatus.SENT.value,
                    "sending": MessageStatus.SENDING.value,
                    "now": utcnow(),
                    "answered_id": answered_id,
                    "provider_id": provider_id,
                    "next_id": next_id,
                    "claim": claim,
                },
            )
            .one()
        )
    if provider_id is not None and row.early:
        with Session(engine) as session:
            replay_early_callbacks(session, provider_id)
            session.commit()
    return bool(row.stamped)


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

    One statement reads the whole batch and one claims it; each claim is then stamped with the
    time its own text's request starts, in the transaction that stores the answer to the text
    before it, the moment that answer arrives. So a slow provider can never make a claim look
    older than its one send.
    """
    now = utcnow()
    # An id named twice must not make two sends out of one claim.
    message_ids = list(dict.fromkeys(message_ids))
    attempts: dict[int, Attempt] = {}
    ready = [m for m in _due(engine, message_ids, now, attempts) if _paced(limiter, m, attempts)]
    claimed = _claim(engine, [m.id for m in ready if m.id is not None], now)
    answered: tuple[int, str] | None = None  # a text the provider took, not stored yet
    for message in ready:
        assert message.id is not None
        if message.id not in claimed:
            attempts[message.id] = Attempt("skipped", detail="claimed by another worker")
            continue
        ours = _store_and_stamp(engine, answered, (message.id, message.attempts + 1))
        answered = None
        if not ours:
            attempts[message.id] = Attempt("skipped", detail="released by recovery meanwhile")
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
    if answered is not None:
        _store_and_stamp(engine, answered, None)
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
        cutoff = utcnow() - lease
        if message.updated_at > cutoff:
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
                # A send that started since (its claim stamped anew) is not ours to release.
                col(Message.updated_at) <= cutoff,
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
