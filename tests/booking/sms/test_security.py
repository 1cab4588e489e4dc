"""The webhook refuses what it must not store: bad signatures, bad forms, unknown numbers."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services.booking.sms.webhook import PATH, inbound_route
from shared.models import AuditEvent, Conversation, InboundMessage, Rider
from shared.settings import reset_settings
from tests.booking.sms.conftest import (
    STRANGER,
    AppFactory,
    Phone,
    World,
    count,
    post,
    reply_of,
    sign,
    totals,
)


def _nothing_stored(world: World) -> bool:
    mine = all(count(world, table) == 0 for table in (InboundMessage, Conversation, AuditEvent))
    with Session(world.engine) as session:
        orphans = session.exec(
            select(InboundMessage).where(col(InboundMessage.organisation_id).is_(None))
        ).all()
    return mine and not orphans


@pytest.mark.parametrize("signature", ["forged", "", "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ=="])
def test_a_forged_or_missing_signature_is_refused_and_nothing_is_stored(
    make_client: AppFactory, world: World, signature: str
) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    response = post(phone.client, phone.params("hello"), signature=signature)
    assert response.status_code == 403
    assert _nothing_stored(world)


def test_a_signature_for_other_fields_is_refused(make_client: AppFactory, world: World) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    params = phone.params("T&T tomorrow 10am")
    signature = sign({**params, "Body": "hello"})
    assert post(phone.client, params, signature=signature).status_code == 403
    assert _nothing_stored(world)


def test_without_an_auth_token_texts_are_refused_unless_the_dev_switch_is_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    reset_settings()
    before = totals(world.engine)
    with TestClient(Starlette(routes=[inbound_route(world.engine)])) as client:
        params = Phone(client, STRANGER, to=world.number).params("hello")
        assert client.post(PATH, data=params).status_code == 403
        assert totals(world.engine) == before
        monkeypatch.setenv("SMS_DEV_ALLOW_UNSIGNED", "true")
        reset_settings()
        assert reply_of(client.post(PATH, data=params)) is not None
    assert count(world, InboundMessage) == 1


def test_a_text_to_a_number_no_organisation_uses_is_refused_with_404(
    make_client: AppFactory, world: World
) -> None:
    phone = Phone(make_client(), STRANGER, to="+14165559999")
    response = post(phone.client, phone.params("hello"))
    assert response.status_code == 404
    assert "+14165559999" in response.text
    assert "<Response" not in response.text
    assert _nothing_stored(world)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("MessageSid", None, "MessageSid"),
        ("From", None, "From"),
        ("To", None, "To"),
        ("From", "", "From"),
        ("From", "not a number", "phone number"),
        ("NumMedia", "many", "NumMedia"),
        ("MessageSid", "S" * 65, "MessageSid"),
        ("MessageSid", "SM1\x00<x>", "MessageSid"),
    ],
)
def test_a_form_with_a_missing_or_unusable_field_gets_400_and_nothing_is_stored(
    make_client: AppFactory, world: World, field: str, value: str | None, message: str
) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    params = phone.params("hello")
    if value is None:
        del params[field]
    else:
        params[field] = value
    response = post(phone.client, params)
    assert response.status_code == 400
    assert message in response.text
    assert _nothing_stored(world)


def test_a_body_that_is_not_a_form_is_refused_without_a_server_error(
    make_client: AppFactory, world: World
) -> None:
    client = make_client()
    response = client.post(
        PATH, content=b"\xff\xfe{not a form", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code in (400, 403)
    assert _nothing_stored(world)


def test_logs_never_show_a_full_phone_number(
    make_client: AppFactory, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    phone = Phone(make_client(), STRANGER, to=world.number)
    for text in ("hello", "My name is Amy Chan", "12 Main St", "help", "???", "STOP", "hi"):
        phone.send(text)
    post(phone.client, Phone(phone.client, STRANGER, to="+14165559999").params("hi"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "the webhook logs what it does"
    assert STRANGER not in logged
    assert "+14165559999" not in logged
    assert STRANGER[-2:] in logged


def test_a_texted_sign_up_waits_for_a_dispatcher_review(
    make_client: AppFactory, world: World
) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    phone.send("hello")
    phone.send("Amy Chan")
    phone.send("12 Main St")
    with Session(world.engine) as session:
        rider = session.exec(
            select(Rider).where(
                Rider.organisation_id == world.organisation_id, Rider.phone == STRANGER
            )
        ).one()
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.organisation_id == world.organisation_id)
        ).one()
    assert (rider.name, rider.home_address, rider.review_state.value) == (
        "Amy Chan",
        "12 Main St",
        "pending",
    )
    assert (audit.action, audit.entity, audit.entity_id, audit.actor) == (
        "register_rider",
        "rider",
        rider.id,
        "sms",
    )
