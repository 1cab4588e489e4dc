"""The fake Twilio behaves like Twilio's Messages API: auth, shapes, faults, signed callbacks."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from devtools.fake_twilio import (
    BackgroundServer,
    Fault,
    RunningFakeTwilio,
    run_fake_twilio_in_thread,
)

TO = "+14165550123"
FROM = "+14165550100"


@pytest.fixture
def http(fake_twilio: RunningFakeTwilio) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as the fake's account."""
    with httpx.Client(
        base_url=fake_twilio.base_url,
        auth=(fake_twilio.fake.account_sid, fake_twilio.fake.auth_token),
        timeout=5,
    ) as client:
        yield client


def messages_url(fake_twilio: RunningFakeTwilio) -> str:
    """The Messages.json path for the fake's account."""
    return f"/2010-04-01/Accounts/{fake_twilio.fake.account_sid}/Messages.json"


@dataclass
class Receiver:
    """Status callbacks received, with whether their Twilio signature checked out."""

    auth_token: str
    received: list[tuple[dict[str, str], bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def status(self, request: Request) -> Response:
        """Validate the signature exactly as the booking service will."""
        form = {key: str(value) for key, value in (await request.form()).items()}
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = RequestValidator(self.auth_token).validate(str(request.url), form, signature)
        with self.lock:
            self.received.append((form, valid))
        return Response(status_code=204 if valid else 403)


@pytest.fixture
def receiver(fake_twilio: RunningFakeTwilio) -> Iterator[tuple[Receiver, str]]:
    """A tiny app receiving status callbacks, and its callback URL."""
    recv = Receiver(fake_twilio.fake.auth_token)
    app = Starlette(routes=[Route("/sms/status", recv.status, methods=["POST"])])
    with BackgroundServer(app) as srv:
        yield recv, f"{srv.base_url}/sms/status"
        fake_twilio.fake.wait_for_callbacks()


def test_create_returns_twilios_json_shape_and_records_the_message(
    fake_twilio: RunningFakeTwilio, http: httpx.Client
) -> None:
    """201 with an SM sid of 32 hex digits, status queued, and Twilio's field names."""
    response = http.post(
        messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "Hi 你好"}
    )
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", body["sid"])
    assert body["status"] == "queued"
    assert (body["to"], body["from"], body["body"]) == (TO, FROM, "Hi 你好")
    assert body["num_segments"] == "1"
    assert body["error_code"] is None
    assert body["account_sid"] == fake_twilio.fake.account_sid
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", body["date_created"])
    [recorded] = fake_twilio.fake.messages()
    assert recorded.sid == body["sid"]


def test_num_segments_uses_carrier_counting(
    fake_twilio: RunningFakeTwilio, http: httpx.Client
) -> None:
    """71 Chinese characters are two UCS-2 segments."""
    response = http.post(
        messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "車" * 71}
    )
    assert response.json()["num_segments"] == "2"


@pytest.mark.parametrize(
    "auth",
    [("AC" + "0" * 32, "fake-twilio-auth-token"), (None, "wrong-token"), (None, "jeton-é"), None],
    ids=["other-account", "wrong-token", "non-ascii-token", "no-auth"],
)
def test_wrong_or_missing_credentials_get_401_code_20003(
    fake_twilio: RunningFakeTwilio, auth: tuple[str | None, str] | None
) -> None:
    """Basic auth must carry the account SID and auth token."""
    credentials = None if auth is None else (auth[0] or fake_twilio.fake.account_sid, auth[1])
    with httpx.Client(base_url=fake_twilio.base_url, auth=credentials) as client:
        response = client.post(
            messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "x"}
        )
    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert fake_twilio.fake.messages() == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": FROM, "Body": "x"}, 21604),
        ({"To": TO, "Body": "x"}, 21603),
        ({"To": TO, "From": FROM}, 21602),
        ({"To": "416-555-0123", "From": FROM, "Body": "x"}, 21211),
    ],
)
def test_invalid_requests_get_twilios_error_codes(
    fake_twilio: RunningFakeTwilio, http: httpx.Client, form: dict[str, str], code: int
) -> None:
    """Missing To/From/Body and a non-E.164 number are refused with 400 and Twilio's code."""
    response = http.post(messages_url(fake_twilio), data=form)
    assert response.status_code == 400
    assert response.json() == {
        "code": code,
        "message": response.json()["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }


def test_fault_for_one_number_leaves_other_numbers_alone(
    fake_twilio: RunningFakeTwilio, http: httpx.Client
) -> None:
    """An opted-out number gets 21610; everyone else is accepted."""
    fake_twilio.fake.add_fault(Fault.rejected(400, 21610), to=TO)
    assert (
        http.post(messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "x"}).json()[
            "code"
        ]
        == 21610
    )
    other = http.post(
        messages_url(fake_twilio), data={"To": "+14165550999", "From": FROM, "Body": "x"}
    )
    assert other.status_code == 201
    assert [m.to for m in fake_twilio.fake.messages()] == ["+14165550999"]


def test_fault_with_times_wears_off(fake_twilio: RunningFakeTwilio, http: httpx.Client) -> None:
    """A global 429 for the next 2 messages, then normal service (a retry test's scenario)."""
    fake_twilio.fake.add_fault(Fault.rejected(429, 20429, times=2))
    statuses = [
        http.post(messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "x"}).status_code
        for _ in range(3)
    ]
    assert statuses == [429, 429, 201]


def test_faults_and_messages_are_controllable_over_http(
    fake_twilio: RunningFakeTwilio, http: httpx.Client
) -> None:
    """POST /_fake/faults injects, GET /_fake/messages lists, POST /_fake/reset empties."""
    assert http.post("/_fake/faults", json={"http_status": 500, "times": 1}).status_code == 204
    failed = http.post(messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "x"})
    assert (failed.status_code, failed.json()["code"]) == (500, 20500)
    http.post(messages_url(fake_twilio), data={"To": TO, "From": FROM, "Body": "second"})
    listed = http.get("/_fake/messages").json()
    assert [m["body"] for m in listed] == ["second"]
    assert http.post("/_fake/faults", json={"bogus": 1}).status_code == 400
    assert http.post("/_fake/faults", json={"final_status": "lost"}).status_code == 400
    assert http.post("/_fake/faults", content=b"not json").status_code == 400
    assert http.post("/_fake/reset").status_code == 204
    assert http.get("/_fake/messages").json() == []


def test_delivered_message_sends_signed_callbacks_in_order(
    fake_twilio: RunningFakeTwilio, http: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    """queued -> sent -> delivered, each accepted by RequestValidator on the receiving side."""
    recv, url = receiver
    data = {"To": TO, "From": FROM, "Body": "x", "StatusCallback": url}
    sid = http.post(messages_url(fake_twilio), data=data).json()["sid"]
    assert fake_twilio.fake.wait_for_callbacks()
    assert [form["MessageStatus"] for form, _ in recv.received] == ["queued", "sent", "delivered"]
    assert all(valid for _, valid in recv.received)
    assert {form["MessageSid"] for form, _ in recv.received} == {sid}
    assert all("ErrorCode" not in form for form, _ in recv.received)
    assert fake_twilio.fake.messages()[0].status == "delivered"


@pytest.mark.parametrize(
    ("fault", "statuses"),
    [
        (Fault.not_delivered(30005), ["queued", "sent", "undelivered"]),
        (Fault.not_delivered(30006, status="failed"), ["queued", "failed"]),
    ],
)
def test_undeliverable_message_reports_its_error_code_in_the_last_callback(
    fake_twilio: RunningFakeTwilio,
    http: httpx.Client,
    receiver: tuple[Receiver, str],
    fault: Fault,
    statuses: list[str],
) -> None:
    """Accepted (201), then undelivered/failed with ErrorCode, still correctly signed."""
    recv, url = receiver
    fake_twilio.fake.add_fault(fault, to=TO)
    data = {"To": TO, "From": FROM, "Body": "x", "StatusCallback": url}
    assert http.post(messages_url(fake_twilio), data=data).status_code == 201
    assert fake_twilio.fake.wait_for_callbacks()
    assert [form["MessageStatus"] for form, _ in recv.received] == statuses
    assert recv.received[-1][0]["ErrorCode"] == str(fault.error_code)
    assert all(valid for _, valid in recv.received)
    assert fake_twilio.fake.messages()[0].error_code == fault.error_code


def test_receiver_rejects_a_callback_signed_with_another_token(
    fake_twilio: RunningFakeTwilio, http: httpx.Client
) -> None:
    """The signature really depends on the auth token: a receiver with another token says no."""
    recv = Receiver("some-other-token")
    app = Starlette(routes=[Route("/s", recv.status, methods=["POST"])])
    with BackgroundServer(app) as srv:
        data = {"To": TO, "From": FROM, "Body": "x", "StatusCallback": f"{srv.base_url}/s"}
        http.post(messages_url(fake_twilio), data=data)
        assert fake_twilio.fake.wait_for_callbacks()
    assert recv.received
    assert not any(valid for _, valid in recv.received)


def test_stopping_the_fake_does_not_wait_out_a_slow_answer() -> None:
    """A pending 30-second answer is cut short by stop(), which returns promptly."""
    running = run_fake_twilio_in_thread()
    running.fake.add_fault(Fault.slow(30))
    url = f"{running.base_url}{messages_url(running)}"
    auth = (running.fake.account_sid, running.fake.auth_token)
    with httpx.Client(timeout=0.2, auth=auth) as client, pytest.raises(httpx.ReadTimeout):
        client.post(url, data={"To": TO, "From": FROM, "Body": "x"})
    stopper = threading.Thread(target=running.stop)
    stopper.start()
    stopper.join(timeout=5)
    assert not stopper.is_alive()


def test_a_slow_answer_still_in_flight_at_reset_is_not_stored(
    fake_twilio: RunningFakeTwilio,
) -> None:
    """reset() forgets answers in flight too, so a timed-out test cannot leak into the next."""
    fake_twilio.fake.add_fault(Fault.slow(0.5), to=TO)
    url = f"{fake_twilio.base_url}{messages_url(fake_twilio)}"
    auth = (fake_twilio.fake.account_sid, fake_twilio.fake.auth_token)
    with httpx.Client(timeout=5, auth=auth) as client:
        answer: list[httpx.Response] = []
        poster = threading.Thread(
            target=lambda: answer.append(
                client.post(url, data={"To": TO, "From": FROM, "Body": "x"})
            )
        )
        poster.start()
        time.sleep(0.1)
        fake_twilio.fake.reset()
        poster.join(timeout=5)
    assert answer[0].status_code == 503
    assert fake_twilio.fake.messages() == []
