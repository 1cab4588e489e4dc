"""Sending one outbox message: at most once, and each error class leads to its outcome."""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from devtools.fake_twilio import Fault, RunningFakeTwilio
from notifier.ratelimit import MemoryRateLimiter
from notifier.senders import SendResult, TwilioSender
from notifier.sending import MAX_ATTEMPTS, MAX_BACKOFF, retry_delay, send_batch, send_now
from shared.consent import record_consent
from shared.models import AuditEvent, ConsentState, Message, MessageStatus, Rider, utcnow
from tests.notifier.conftest import ORG_NUMBER

TO = "+14165550123"


def _message(engine: Engine, organisation_id: int, **changes: object) -> int:
    with Session(engine) as session:
        fields: dict[str, object] = {
            "organisation_id": organisation_id,
            "to_number": TO,
            "from_number": ORG_NUMBER,
            "body": "Your ride is confirmed for 10:00. 車已確認。",
        }
        message = Message(**{**fields, **changes})  # type: ignore[arg-type]
        session.add(message)
        session.commit()
        assert message.id is not None
        return message.id


def _row(engine: Engine, message_id: int) -> Message:
    with Session(engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def _unlimited() -> MemoryRateLimiter:
    return MemoryRateLimiter(1000.0, burst=1000.0)


def test_a_pending_message_is_sent_and_its_provider_id_stored(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    message_id = _message(engine, organisation_id)
    attempt = send_now(engine, message_id, twilio_sender, _unlimited(), None)
    assert attempt.outcome == "sent"
    row = _row(engine, message_id)
    [sent] = fake_twilio.fake.messages()
    assert row.status == MessageStatus.SENT and row.provider_id == sent.sid
    assert row.attempts == 1 and row.sent_at is not None


def test_a_job_delivered_twice_sends_the_text_once(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    message_id = _message(engine, organisation_id)
    first = send_now(engine, message_id, twilio_sender, _unlimited(), None)
    second = send_now(engine, message_id, twilio_sender, _unlimited(), None)
    assert (first.outcome, second.outcome) == ("sent", "skipped")
    assert len(fake_twilio.fake.messages()) == 1


def test_an_opted_out_recipient_is_never_sent_to(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    with Session(engine) as session:
        record_consent(
            session, organisation_id, TO, ConsentState.OPTED_OUT, keyword="STOP", source="sms"
        )
        session.commit()
    message_id = _message(engine, organisation_id)
    assert send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "cancelled"
    assert _row(engine, message_id).status == MessageStatus.CANCELLED
    assert fake_twilio.fake.messages() == []


def test_error_21610_marks_the_recipient_opted_out(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    with Session(engine) as session:
        session.add(Rider(organisation_id=organisation_id, name="Chan", phone=TO))
        session.commit()
    fake_twilio.fake.add_fault(Fault.rejected(400, 21610), to=TO)
    message_id = _message(engine, organisation_id)
    assert send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "opted_out"
    row = _row(engine, message_id)
    assert (row.status, row.error_code) == (MessageStatus.FAILED, 21610)
    with Session(engine) as session:
        rider = session.exec(select(Rider)).one()
    assert rider.consent_state == ConsentState.OPTED_OUT
    # And nothing more goes to that number.
    later = _message(engine, organisation_id)
    assert send_now(engine, later, twilio_sender, _unlimited(), None).outcome == "cancelled"


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_invalid_number_is_not_retried_and_is_flagged_to_dispatchers(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
    code: int,
) -> None:
    fake_twilio.fake.add_fault(Fault.rejected(400, code), to=TO)
    message_id = _message(engine, organisation_id)
    assert (
        send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "undeliverable"
    )
    row = _row(engine, message_id)
    assert (row.status, row.error_code, row.attempts) == (MessageStatus.FAILED, code, 1)
    with Session(engine) as session:
        flags = session.exec(
            select(AuditEvent).where(AuditEvent.action == "number_undeliverable")
        ).all()
    assert [f.entity_id for f in flags] == [message_id]


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
def test_transient_errors_are_retried_then_fail_visibly(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
    status: int,
    code: int,
) -> None:
    fake_twilio.fake.add_fault(Fault.rejected(status, code), to=TO)
    message_id = _message(engine, organisation_id)
    outcomes = [
        send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome
        for _ in range(MAX_ATTEMPTS)
    ]
    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    row = _row(engine, message_id)
    assert (row.status, row.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)
    assert row.last_error


def test_a_transient_error_then_success_sends_once(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    fake_twilio.fake.add_fault(Fault.rejected(500, 20500, times=1), to=TO)
    message_id = _message(engine, organisation_id)
    assert send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "retry"
    assert _row(engine, message_id).status == MessageStatus.PENDING
    assert send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "sent"
    assert len(fake_twilio.fake.messages()) == 1


def test_a_timeout_is_transient(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    fake_twilio.fake.add_fault(Fault.slow(3.0, times=1), to=TO)
    message_id = _message(engine, organisation_id)
    assert send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "retry"


def test_the_rate_limit_delays_without_using_an_attempt(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    limiter = MemoryRateLimiter(1.0, burst=1.0)
    first = _message(engine, organisation_id)
    second = _message(engine, organisation_id)
    assert send_now(engine, first, twilio_sender, limiter, None).outcome == "sent"
    attempt = send_now(engine, second, twilio_sender, limiter, None)
    assert attempt.outcome == "requeue" and 0 < attempt.delay <= 1.0
    row = _row(engine, second)
    assert (row.status, row.attempts) == (MessageStatus.PENDING, 0)


def test_a_message_held_for_quiet_hours_waits_until_due(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    message_id = _message(engine, organisation_id, send_after=utcnow() + timedelta(hours=2))
    attempt = send_now(engine, message_id, twilio_sender, _unlimited(), None)
    assert attempt.outcome == "requeue" and attempt.delay > 7000
    assert fake_twilio.fake.messages() == []


def test_a_batch_gives_each_message_its_own_outcome(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    """One read, claim and store for the batch; each text still meets its own fate."""
    names = ("opted_out", "failing", "refused", "fine")
    others = ["+14165550131", "+14165550132", "+14165550133", "+14165550134"]
    opted_out, failing, refused, fine = others
    with Session(engine) as session:
        record_consent(
            session,
            organisation_id,
            opted_out,
            ConsentState.OPTED_OUT,
            keyword="STOP",
            source="sms",
        )
        session.commit()
    fake_twilio.fake.add_fault(Fault.rejected(500, 20500), to=failing)
    fake_twilio.fake.add_fault(Fault.rejected(400, 21211), to=refused)
    ids = {
        "sent": _message(engine, organisation_id),
        "already": _message(engine, organisation_id, status=MessageStatus.SENT),
        "later": _message(engine, organisation_id, send_after=utcnow() + timedelta(hours=1)),
        **{
            name: _message(engine, organisation_id, to_number=number)
            for name, number in zip(names, others, strict=True)
        },
    }
    attempts = send_batch(engine, [*ids.values(), 999_999], twilio_sender, _unlimited(), None)
    outcomes = {name: attempts[message_id].outcome for name, message_id in ids.items()}
    assert outcomes == {
        "sent": "sent",
        "already": "skipped",
        "later": "requeue",
        "opted_out": "cancelled",
        "failing": "retry",
        "refused": "undeliverable",
        "fine": "sent",
    }
    assert attempts[999_999].outcome == "skipped"
    assert 0.75 <= attempts[ids["failing"]].delay <= 1.25  # first retry: about a second
    statuses = {name: _row(engine, message_id).status for name, message_id in ids.items()}
    assert statuses == {
        "sent": MessageStatus.SENT,
        "already": MessageStatus.SENT,
        "later": MessageStatus.PENDING,
        "opted_out": MessageStatus.CANCELLED,
        "failing": MessageStatus.PENDING,
        "refused": MessageStatus.FAILED,
        "fine": MessageStatus.SENT,
    }
    reached = {m.to: m.sid for m in fake_twilio.fake.messages()}
    assert set(reached) == {TO, fine}
    assert _row(engine, ids["fine"]).provider_id == reached[fine]


def test_a_batch_delivered_twice_sends_each_text_once(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    ids = [_message(engine, organisation_id, to_number=f"+1416555014{n}") for n in range(5)]
    first = send_batch(engine, ids, twilio_sender, _unlimited(), None)
    second = send_batch(engine, ids, twilio_sender, _unlimited(), None)
    assert {a.outcome for a in first.values()} == {"sent"}
    assert {a.outcome for a in second.values()} == {"skipped"}
    assert len(fake_twilio.fake.messages()) == 5


def test_a_rate_limited_batch_sends_what_fits_and_defers_the_rest_without_an_attempt(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    ids = [_message(engine, organisation_id, to_number=f"+1416555015{n}") for n in range(3)]
    attempts = send_batch(engine, ids, twilio_sender, MemoryRateLimiter(1.0, burst=2.0), None)
    assert [attempts[i].outcome for i in ids] == ["sent", "sent", "requeue"]
    assert _row(engine, ids[2]).attempts == 0
    assert len(fake_twilio.fake.messages()) == 2


def test_retry_delays_double_with_jitter_up_to_a_cap() -> None:
    for attempts, base in [(1, 1.0), (2, 2.0), (4, 8.0), (30, float(MAX_BACKOFF))]:
        delays = [retry_delay(attempts) for _ in range(50)]
        assert all(0.75 * base <= d <= 1.25 * base for d in delays)
        assert len(set(delays)) > 1  # jittered: texts failing together spread out


def test_a_batch_naming_a_message_twice_sends_it_once(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    message_id = _message(engine, organisation_id)
    attempts = send_batch(engine, [message_id, message_id], twilio_sender, _unlimited(), None)
    assert attempts[message_id].outcome == "sent"
    assert len(fake_twilio.fake.messages()) == 1


class _Watching:
    """A sender that notes, at each send, the claim time of the text being sent and the
    statuses of the texts sent before it; the provider takes 0.3 s per text."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[float, list[MessageStatus]]] = []
        self.sent: list[int] = []

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        with Session(self.engine) as session:
            row = session.exec(select(Message).where(Message.to_number == to)).one()
            before = [m.status for m in session.exec(select(Message)).all() if m.id in self.sent]
        assert row.id is not None
        self.sent.append(row.id)
        self.seen.append(((utcnow() - row.updated_at).total_seconds(), before))
        time.sleep(0.3)
        return SendResult(provider_id=f"SM{row.id}", status="queued")

    def find_sent(
        self, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> str | None:
        return None

    def close(self) -> None:
        """Nothing to release."""


def test_each_text_is_claimed_just_before_its_send_and_stored_when_answered(
    engine: Engine, organisation_id: int
) -> None:
    """A claim's age is its own text's time in flight, never the batch's."""
    ids = [_message(engine, organisation_id, to_number=f"+1416555016{n}") for n in range(5)]
    sender = _Watching(engine)
    attempts = send_batch(engine, ids, sender, _unlimited(), None)
    assert {a.outcome for a in attempts.values()} == {"sent"}
    ages = [age for age, _ in sender.seen]
    assert max(ages) < 0.25  # the fifth text waited 1.2 s, but was claimed only at its turn
    for _, before in sender.seen:
        assert before == [MessageStatus.SENT] * len(before)


def test_a_text_left_without_an_answer_waits_for_recovery_not_a_second_send(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    fake_twilio.fake.add_fault(Fault.slow(1.5, times=1), to=TO)
    message_id = _message(engine, organisation_id)
    attempt = send_now(engine, message_id, twilio_sender, _unlimited(), None)
    assert (attempt.outcome, attempt.verify) == ("retry", True)
    assert _row(engine, message_id).status == MessageStatus.SENDING
    # A second delivery of the job cannot send it: the claim stands until recovery decides.
    assert send_now(engine, message_id, twilio_sender, _unlimited(), None).outcome == "skipped"
