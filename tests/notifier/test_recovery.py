"""A message a dead worker left in ``sending`` is settled by asking the provider."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from devtools.fake_twilio import RunningFakeTwilio
from notifier.senders import SendResult, TwilioSender
from notifier.sending import recover
from shared.models import Message, MessageStatus, utcnow
from shared.settings import reset_settings
from tests.notifier.conftest import ORG_NUMBER

TO = "+14165550123"


@pytest.fixture(autouse=True)
def _short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDING_LEASE_SECONDS", "60")
    reset_settings()


def _stuck(engine: Engine, organisation_id: int, body: str, claimed_ago: timedelta) -> int:
    """A message claimed ``claimed_ago`` and never finished, as a killed worker leaves it."""
    with Session(engine) as session:
        message = Message(
            organisation_id=organisation_id,
            to_number=TO,
            from_number=ORG_NUMBER,
            body=body,
            status=MessageStatus.SENDING,
            attempts=1,
        )
        session.add(message)
        session.commit()
        message_id = message.id
        assert message_id is not None
    with engine.begin() as connection:
        connection.execute(
            update(Message)
            .where(col(Message.id) == message_id)
            .values(updated_at=utcnow() - claimed_ago)
        )
    return message_id


def _get(engine: Engine, message_id: int) -> Message:
    with Session(engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_a_text_the_provider_has_is_recorded_as_sent_not_sent_again(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    body = "Your ride at 10:00 is confirmed"
    sent = twilio_sender.send(TO, ORG_NUMBER, body, None)  # the send before the crash
    message_id = _stuck(engine, organisation_id, body, timedelta(minutes=2))
    assert recover(engine, message_id, twilio_sender).outcome == "sent"
    message = _get(engine, message_id)
    assert (message.status, message.provider_id) == (MessageStatus.SENT, sent.provider_id)
    assert len(fake_twilio.fake.messages()) == 1


def test_a_text_the_provider_never_got_is_released_for_sending(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    message_id = _stuck(engine, organisation_id, "never left", timedelta(minutes=2))
    assert recover(engine, message_id, twilio_sender).outcome == "requeue"
    assert _get(engine, message_id).status == MessageStatus.PENDING
    assert fake_twilio.fake.messages() == []


def test_a_claim_within_its_lease_is_left_alone(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    message_id = _stuck(engine, organisation_id, "still sending", timedelta(seconds=5))
    assert recover(engine, message_id, twilio_sender).outcome == "skipped"
    assert _get(engine, message_id).status == MessageStatus.SENDING


def test_a_provider_id_already_recorded_is_not_claimed_twice(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    body = "same words twice"
    sent = twilio_sender.send(TO, ORG_NUMBER, body, None)
    with Session(engine) as session:
        session.add(
            Message(
                organisation_id=organisation_id,
                to_number=TO,
                from_number=ORG_NUMBER,
                body=body,
                status=MessageStatus.SENT,
                provider_id=sent.provider_id,
            )
        )
        session.commit()
    message_id = _stuck(engine, organisation_id, body, timedelta(minutes=2))
    assert recover(engine, message_id, twilio_sender).outcome == "requeue"


class _RivalRecovery:
    """A sender whose list lookup lets another recovery release the text and a new send claim
    it again (still with an old claim time), as two workers' sweeps could make happen."""

    def __init__(self, engine: Engine, message_id: int) -> None:
        self.engine = engine
        self.message_id = message_id

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        raise AssertionError("recovery never sends")

    def find_sent(
        self, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> str | None:
        with self.engine.begin() as connection:
            connection.execute(
                update(Message)
                .where(col(Message.id) == self.message_id)
                .values(attempts=Message.attempts + 1)  # released, then claimed again
            )
        return None

    def close(self) -> None:
        """Nothing to release."""


def test_of_two_recoveries_of_one_claim_only_one_releases_the_text(
    engine: Engine, organisation_id: int
) -> None:
    message_id = _stuck(engine, organisation_id, "raced", timedelta(minutes=2))
    attempt = recover(engine, message_id, _RivalRecovery(engine, message_id))
    assert attempt.outcome == "skipped"  # the rival's new claim is not this recovery's to free
    row = _get(engine, message_id)
    assert (row.status, row.attempts) == (MessageStatus.SENDING, 2)


def test_a_text_the_list_shows_late_is_not_released_while_its_claim_is_young(
    engine: Engine,
    organisation_id: int,
    fake_twilio: RunningFakeTwilio,
    twilio_sender: TwilioSender,
) -> None:
    """Lease 60 s: a claim 30 s old may still be answered, or not listed yet."""
    fake_twilio.fake.list_lag_seconds = 3600
    body = "accepted, not listed yet"
    twilio_sender.send(TO, ORG_NUMBER, body, None)
    message_id = _stuck(engine, organisation_id, body, timedelta(seconds=30))
    assert recover(engine, message_id, twilio_sender).outcome == "skipped"
    assert _get(engine, message_id).status == MessageStatus.SENDING
