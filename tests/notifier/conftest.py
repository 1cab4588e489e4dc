"""Fixtures for the notifier: a Twilio sender aimed at the fake and an organisation to text for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from devtools.fake_twilio import RunningFakeTwilio
from notifier.senders import TwilioSender
from shared.models import Organisation

ORG_NUMBER = "+14165550100"


@pytest.fixture
def twilio_sender(fake_twilio: RunningFakeTwilio) -> Iterator[TwilioSender]:
    """twilio's real Client, through TwilioSender, pointed at the fake."""
    sender = TwilioSender(
        fake_twilio.fake.account_sid,
        fake_twilio.fake.auth_token,
        api_base=fake_twilio.base_url,
        timeout_seconds=1.0,
    )
    yield sender
    sender.close()


@pytest.fixture
def organisation_id(engine: Engine) -> int:
    """A stored organisation with its own SMS number."""
    with Session(engine) as session:
        org = Organisation(slug="org", name="Org", sms_number=ORG_NUMBER)
        session.add(org)
        session.commit()
        assert org.id is not None
        return org.id
