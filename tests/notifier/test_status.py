"""Status callbacks: signed, recorded, and they move a message's status forward only."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from notifier.status import apply_status, status_route
from shared.consent import is_opted_out
from shared.models import AuditEvent, DeliveryEvent, Message, MessageStatus
from shared.settings import reset_settings
from tests.notifier.conftest import ORG_NUMBER

TOKEN = "test-auth-token"
BASE = "https://rides.example.org"
URL = BASE + "/sms/status"
SID = "SM" + "0" * 31 + "1"
UNKNOWN_SID = "SM" + "f" * 32


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    reset_settings()
    with TestClient(Starlette(routes=[status_route(engine)])) as test_client:
        yield test_client


def _post(client: TestClient, params: dict[str, str], signature: str | None = None) -> int:
    signed = RequestValidator(TOKEN).compute_signature(URL, params)
    headers = {"X-Twilio-Signature": signature if signature is not None else signed}
    return client.post("/sms/status", data=params, headers=headers).status_code


def _sent_message(
    engine: Engine,
    organisation_id: int,
    sid: str = SID,
    status: MessageStatus = MessageStatus.SENT,
) -> int:
    with Session(engine) as session:
        message = Message(
            organisation_id=organisation_id,
            to_number="+14165550123",
            from_number=ORG_NUMBER,
            body="hi",
            status=status,
            provider_id=sid,
        )
        session.add(message)
        session.commit()
        assert message.id is not None
        return message.id


def _status(engine: Engine, message_id: int) -> Message:
    with Session(engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_delivered_moves_a_sent_message_forward(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    message_id = _sent_message(engine, organisation_id)
    assert _post(client, {"MessageSid": SID, "MessageStatus": "delivered"}) == 204
    message = _status(engine, message_id)
    assert message.status == MessageStatus.DELIVERED and message.delivered_at is not None


def test_a_late_sent_callback_never_moves_a_delivered_message_back(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    message_id = _sent_message(engine, organisation_id)
    for status in ("delivered", "sent", "queued", "undelivered"):
        assert _post(client, {"MessageSid": SID, "MessageStatus": status}) == 204
    assert _status(engine, message_id).status == MessageStatus.DELIVERED


@pytest.mark.parametrize("code", ["30005", "30006"])
def test_undelivered_is_final_and_keeps_its_error_code(
    client: TestClient, engine: Engine, organisation_id: int, code: str
) -> None:
    message_id = _sent_message(engine, organisation_id)
    _post(client, {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": code})
    _post(client, {"MessageSid": SID, "MessageStatus": "delivered"})
    message = _status(engine, message_id)
    assert (message.status, message.error_code) == (MessageStatus.UNDELIVERED, int(code))


@pytest.mark.parametrize("code", ["30005", "30006"])
def test_an_undeliverable_number_reported_later_is_flagged_to_dispatchers_once(
    client: TestClient, engine: Engine, organisation_id: int, code: str
) -> None:
    message_id = _sent_message(engine, organisation_id)
    for status in ("undelivered", "failed"):  # a second final report changes nothing
        _post(client, {"MessageSid": SID, "MessageStatus": status, "ErrorCode": code})
    with Session(engine) as session:
        flags = session.exec(
            select(AuditEvent).where(AuditEvent.action == "number_undeliverable")
        ).all()
    assert [(f.entity_id, (f.after or {}).get("error_code")) for f in flags] == [
        (message_id, int(code))
    ]


def test_an_opt_out_reported_by_the_carrier_stops_further_texts(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    _sent_message(engine, organisation_id)
    _post(client, {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "21610"})
    with Session(engine) as session:
        assert is_opted_out(session, organisation_id, "+14165550123")


def test_an_undelivered_text_for_a_reason_that_is_not_the_number_flags_nothing(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    _sent_message(engine, organisation_id)
    _post(client, {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    with Session(engine) as session:
        assert session.exec(select(AuditEvent)).all() == []
        assert not is_opted_out(session, organisation_id, "+14165550123")


def test_a_callback_for_an_unknown_id_is_recorded_and_acknowledged(
    client: TestClient, engine: Engine
) -> None:
    assert _post(client, {"MessageSid": UNKNOWN_SID, "MessageStatus": "delivered"}) == 204
    with Session(engine) as session:
        [event] = session.exec(select(DeliveryEvent)).all()
    assert (event.provider_id, event.message_id, event.status) == (UNKNOWN_SID, None, "delivered")


def test_a_forged_signature_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    message_id = _sent_message(engine, organisation_id)
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    assert _post(client, params, signature="forged") == 403
    assert _post(client, params, signature="") == 403
    assert _status(engine, message_id).status == MessageStatus.SENT
    with Session(engine) as session:
        assert session.exec(select(DeliveryEvent)).all() == []


def test_without_an_auth_token_callbacks_are_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    reset_settings()
    with TestClient(Starlette(routes=[status_route(engine)])) as client:
        response = client.post("/sms/status", data={"MessageSid": SID, "MessageStatus": "sent"})
    assert response.status_code == 403


# Row locks: SQLite writes one transaction at a time anyway, so PostgreSQL only.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_late_sent_callback_racing_a_delivered_one_cannot_move_the_status_back(
    engine: Engine, organisation_id: int
) -> None:
    """``delivered`` holds the row; ``sent``, arriving meanwhile, waits and then changes nothing."""
    # Still 'sending' in our books: the provider's answer and its callbacks crossed.
    message_id = _sent_message(engine, organisation_id, status=MessageStatus.SENDING)
    with Session(engine) as first:
        assert apply_status(first, SID, "delivered", None, {})
        first.flush()  # the row is locked until commit
        late: list[bool] = []

        def sent_callback() -> None:
            with Session(engine) as second:
                late.append(apply_status(second, SID, "sent", None, {}))
                second.commit()

        racer = threading.Thread(target=sent_callback)
        racer.start()
        time.sleep(0.3)  # the racer is now waiting for the row lock
        first.commit()
        racer.join(timeout=10)
    assert late == [False]
    assert _status(engine, message_id).status == MessageStatus.DELIVERED
    with Session(engine) as session:
        events = session.exec(select(DeliveryEvent.status)).all()
    assert sorted(events) == ["delivered", "sent"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"MessageSid": "SM1", "MessageStatus": "delivered"}, "32 hexadecimal digits"),
        ({"MessageSid": "XX" + "0" * 32, "MessageStatus": "delivered"}, "SM or MM"),
        ({"MessageSid": "SM" + "G" * 32, "MessageStatus": "delivered"}, "SM or MM"),
        ({"MessageSid": SID + "0", "MessageStatus": "delivered"}, "SM or MM"),
        ({"MessageSid": SID, "MessageStatus": "delivered'; --"}, "status word"),
        ({"MessageSid": SID, "MessageStatus": "x" * 40}, "status word"),
        ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "30005x"}, "digits"),
        ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "9" * 4400}, "digits"),
        ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "-1"}, "digits"),
        ({"MessageStatus": "delivered"}, "required"),
    ],
    ids=["short", "prefix", "not-hex", "long", "status-sql", "status-long", "code-letters",
         "code-huge", "code-negative", "no-sid"],
)  # fmt: skip
def test_a_callback_with_fields_twilio_never_sends_is_refused_and_stores_nothing(
    client: TestClient,
    engine: Engine,
    organisation_id: int,
    params: dict[str, str],
    message: str,
) -> None:
    message_id = _sent_message(engine, organisation_id)
    signed = RequestValidator(TOKEN).compute_signature(URL, params)
    response = client.post("/sms/status", data=params, headers={"X-Twilio-Signature": signed})
    assert response.status_code == 400
    assert message in response.text
    assert _status(engine, message_id).status == MessageStatus.SENT
    with Session(engine) as session:
        assert session.exec(select(DeliveryEvent)).all() == []


def test_a_callback_stores_only_the_fields_it_needs(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    """Twilio's form carries both phone numbers; the event keeps the status and error only."""
    _sent_message(engine, organisation_id)
    params = {
        "MessageSid": SID,
        "SmsSid": SID,
        "AccountSid": "AC" + "0" * 32,
        "From": ORG_NUMBER,
        "To": "+14165550123",
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    assert _post(client, params) == 204
    with Session(engine) as session:
        [event] = session.exec(select(DeliveryEvent)).all()
    assert event.payload == {"MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert "+14165550123" not in str(event.payload)


def test_a_repeated_callback_is_acknowledged_and_not_stored_again(
    client: TestClient, engine: Engine, organisation_id: int
) -> None:
    message_id = _sent_message(engine, organisation_id)
    params = {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    for _ in range(3):
        assert _post(client, params) == 204
    assert _post(client, {"MessageSid": SID, "MessageStatus": "delivered"}) == 204
    with Session(engine) as session:
        events = session.exec(select(DeliveryEvent.status)).all()
        flags = session.exec(select(AuditEvent)).all()
    assert sorted(events) == ["delivered", "undelivered"]
    assert len(flags) == 1
    assert _status(engine, message_id).status == MessageStatus.UNDELIVERED


def test_a_repeated_callback_for_an_unknown_id_is_stored_once(
    client: TestClient, engine: Engine
) -> None:
    for _ in range(2):
        assert _post(client, {"MessageSid": UNKNOWN_SID, "MessageStatus": "sent"}) == 204
    with Session(engine) as session:
        assert len(session.exec(select(DeliveryEvent)).all()) == 1
