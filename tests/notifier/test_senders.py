"""Senders: twilio's real Client through TwilioSender against the fake, console logging."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from twilio.http.http_client import TwilioHttpClient

from devtools.fake_twilio import Fault, RunningFakeTwilio
from notifier.errors import (
    PermanentSendError,
    TransientSendError,
    classify_error,
)
from notifier.senders import (
    ConsoleSender,
    RebasingHttpClient,
    TwilioSender,
    build_sender,
)
from shared.settings import SmsSettings

TO = "+14165550123"
FROM = "+14165550100"


@pytest.fixture
def sender(fake_twilio: RunningFakeTwilio) -> Iterator[TwilioSender]:
    """A TwilioSender pointed at the fake with a short timeout."""
    twilio = TwilioSender(
        fake_twilio.fake.account_sid,
        fake_twilio.fake.auth_token,
        api_base=fake_twilio.base_url,
        timeout_seconds=0.5,
    )
    yield twilio
    twilio.close()


def test_successful_send_returns_the_provider_message_sid(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender
) -> None:
    """The sid Twilio assigns comes back as provider_id, and the fake has the message."""
    result = sender.send(TO, FROM, "明天上午9:30接你", "http://127.0.0.1:9/status")
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.provider_id)
    assert result.status == "queued"
    [message] = fake_twilio.fake.messages()
    assert (message.sid, message.to, message.from_) == (result.provider_id, TO, FROM)
    assert message.body == "明天上午9:30接你"
    assert message.status_callback == "http://127.0.0.1:9/status"


def test_no_status_callback_is_sent_when_none_is_given(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender
) -> None:
    """None means the StatusCallback parameter is left out, not sent as 'None'."""
    sender.send(TO, FROM, "x", None)
    assert fake_twilio.fake.messages()[0].status_callback is None


@pytest.mark.parametrize(
    ("fault", "code", "outcome"),
    [
        (Fault.rejected(400, 21610), 21610, "opted_out"),
        (Fault.rejected(400, 21211), 21211, "undeliverable"),
        (Fault.rejected(400, 21614), 21614, "undeliverable"),
        (Fault.rejected(400, 21408), 21408, "failed"),
    ],
)
def test_refusals_raise_permanent_errors_with_code_and_outcome(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender, fault: Fault, code: int, outcome: str
) -> None:
    """Opted out, invalid number, landline: permanent, with the code to record."""
    fake_twilio.fake.add_fault(fault, to=TO)
    with pytest.raises(PermanentSendError) as caught:
        sender.send(TO, FROM, "x", None)
    assert caught.value.code == code
    assert caught.value.http_status == 400
    assert caught.value.outcome == outcome
    assert "+1416*****23" in str(caught.value)  # the number is masked even in errors


@pytest.mark.parametrize(
    "fault",
    [
        Fault.rejected(429, 20429),
        Fault(http_status=429),
        Fault(http_status=500),
        Fault(http_status=503),
    ],
    ids=["429-explicit-20429", "429-default-code", "500", "503"],
)
def test_throttling_and_server_errors_raise_transient_errors(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender, fault: Fault
) -> None:
    """429 and 5xx are worth retrying later."""
    fake_twilio.fake.add_fault(fault)
    with pytest.raises(TransientSendError):
        sender.send(TO, FROM, "x", None)


def test_slow_answer_times_out_as_transient(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender
) -> None:
    """A 2-second answer with a 0.5-second timeout is a transient error, not a hang."""
    fake_twilio.fake.add_fault(Fault.slow(2.0, times=1))
    with pytest.raises(TransientSendError, match="could not reach Twilio"):
        sender.send(TO, FROM, "x", None)


def test_retry_after_a_transient_error_succeeds(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender
) -> None:
    """One 500, then the same call goes through: the sender keeps no broken state."""
    fake_twilio.fake.add_fault(Fault(http_status=500, times=1))
    with pytest.raises(TransientSendError):
        sender.send(TO, FROM, "x", None)
    assert sender.send(TO, FROM, "x", None).provider_id.startswith("SM")


def test_unreachable_host_is_transient() -> None:
    """Nothing listening on the port: connection refused is a transient error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        twilio = TwilioSender(
            "AC" + "0" * 32, "token", api_base=f"http://127.0.0.1:{port}", timeout_seconds=1
        )
        try:
            with pytest.raises(TransientSendError):
                twilio.send(TO, FROM, "x", None)
        finally:
            twilio.close()


def test_http_client_rewrites_twilio_urls_and_always_sets_a_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any Twilio host is swapped for the configured base; a missing timeout is filled in."""
    seen: dict[str, object] = {}

    def record(self: object, method: str, url: str, **kwargs: object) -> None:
        seen.update(url=url, **kwargs)

    monkeypatch.setattr(TwilioHttpClient, "request", record)
    client = RebasingHttpClient("http://127.0.0.1:1/", timeout=3.0)
    try:
        client.request("POST", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?a=1")
    finally:
        client.close()
    assert seen["url"] == "http://127.0.0.1:1/2010-04-01/Accounts/AC1/Messages.json?a=1"
    assert seen["timeout"] == 3.0


def test_console_sender_logs_a_masked_number_and_returns_a_console_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At INFO a text is a masked number and its length, never its body or whole number."""
    sender = ConsoleSender()
    with caplog.at_level(logging.INFO, logger="notifier.senders"):
        result = sender.send(TO, FROM, "Your ride is booked", None)
    sender.close()
    assert re.fullmatch(r"CONSOLE-[0-9a-f-]{36}", result.provider_id)
    assert result.status == "queued"
    assert "Your ride is booked" not in caplog.text
    assert "(19 characters, 1 segment(s))" in caplog.text
    assert "+1416*****23" in caplog.text
    assert TO not in caplog.text


def test_console_sender_shows_the_body_only_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """A developer running the demo with --verbose can still read the texts."""
    with caplog.at_level(logging.DEBUG, logger="notifier.senders"):
        ConsoleSender().send(TO, FROM, "Your ride is booked", None)
    (body_line,) = [r for r in caplog.records if "Your ride is booked" in r.getMessage()]
    assert body_line.levelno == logging.DEBUG
    assert TO not in caplog.text


def test_build_sender_picks_console_by_default() -> None:
    """With no configuration, nothing leaves the machine."""
    assert isinstance(build_sender(SmsSettings()), ConsoleSender)


def test_build_sender_picks_twilio_when_configured(fake_twilio: RunningFakeTwilio) -> None:
    """SMS_BACKEND=twilio with an API base builds a TwilioSender that reaches the fake."""
    settings = SmsSettings(
        sms_backend="twilio",
        twilio_account_sid=fake_twilio.fake.account_sid,
        twilio_auth_token=SecretStr(fake_twilio.fake.auth_token),
        twilio_from_number=FROM,
        twilio_api_base=fake_twilio.base_url,
    )
    sender = build_sender(settings)
    try:
        assert isinstance(sender, TwilioSender)
        assert sender.send(TO, FROM, "x", None).provider_id.startswith("SM")
    finally:
        sender.close()


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        (20429, 429, "retry"),
        (None, 429, "retry"),
        (None, 502, "retry"),
        (21610, 400, "opted_out"),
        (21211, 400, "undeliverable"),
        (21614, 400, "undeliverable"),
        (30005, None, "undeliverable"),
        (30006, None, "undeliverable"),
        (21408, 400, "failed"),
        (30007, None, "failed"),
        (None, None, "failed"),
    ],
)
def test_error_codes_are_classified(code: int | None, status: int | None, outcome: str) -> None:
    """The table the actor and the status-callback handler both use."""
    assert classify_error(code, status) == outcome


def test_a_sent_text_can_be_found_again_at_the_provider(
    fake_twilio: RunningFakeTwilio, sender: TwilioSender
) -> None:
    """Crash recovery asks Twilio's message list whether a text really went out."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    result = sender.send(TO, FROM, "Pick-up at 10:00 接你", None)
    sender.send(TO, FROM, "another text", None)
    assert sender.find_sent(TO, FROM, "Pick-up at 10:00 接你", since) == result.provider_id
    assert sender.find_sent(TO, FROM, "never sent", since) is None
    assert sender.find_sent("+14165550999", FROM, "Pick-up at 10:00 接你", since) is None
