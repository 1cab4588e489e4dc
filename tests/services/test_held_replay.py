"""Replaying webhooks kept during an outage, in process, on each database back-end."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from starlette.applications import Starlette

from services.booking.sms import webhook as inbound
from services.booking.sms._receive import receive
from services.booking.sms.webhook import held_reply
from services.held_replay import Replayer
from shared import held
from shared.db import make_engine
from shared.held import HeldWebhook, JournalStore
from shared.models import DeliveryEvent, InboundMessage, Message, Organisation, utcnow
from shared.settings import reset_settings
from tests.conftest import free_port

ORG_NUMBER = "+14165550100"
RIDER = "+14165550142"


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> JournalStore:
    monkeypatch.setenv("HELD_JOURNAL_PATH", str(tmp_path / "held.jsonl"))
    reset_settings()
    return JournalStore(tmp_path / "held.jsonl")


@pytest.fixture
def organisation(engine: Engine) -> int:
    with Session(engine) as session:
        org = Organisation(slug="replay", name="Replay Rides", sms_number=ORG_NUMBER)
        session.add(org)
        session.commit()
        assert org.id is not None
        return org.id


def _inbound(sid: str, body: str, to: str = ORG_NUMBER) -> HeldWebhook:
    at = utcnow() - timedelta(minutes=3)
    return HeldWebhook("inbound", {"MessageSid": sid, "From": RIDER, "To": to, "Body": body}, at)


def test_kept_texts_are_stored_once_and_answered_by_text(
    engine: Engine, organisation: int, journal: JournalStore
) -> None:
    first, retry = _inbound("SM" + "a" * 32, "hello"), _inbound("SM" + "a" * 32, "hello")
    for webhook in (first, _inbound("SM" + "b" * 32, "ride tomorrow"), retry):
        held.keep(webhook)
    held.keep(HeldWebhook("status", {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent"}))
    held.keep(_inbound("SM" + "d" * 32, "hi", to="+14165550999"))  # nobody's number

    replayer = Replayer(engine, interval=0.1)
    assert replayer.run_once() == 5
    assert replayer.watch.problem is None and replayer.watch.held == 0
    assert replayer.run_once() == 0

    with Session(engine) as session:
        stored = session.exec(select(InboundMessage)).all()
        replies = session.exec(select(Message)).all()
        events = session.exec(select(DeliveryEvent)).all()
    assert sorted(m.provider_message_id for m in stored) == ["SM" + "a" * 32, "SM" + "b" * 32]
    # The received time is the text's, not the replay's.
    assert all(abs(m.received_at - first.received_at) < timedelta(seconds=1) for m in stored)
    assert [(m.to_number, m.from_number, m.template) for m in replies] == [
        (RIDER, ORG_NUMBER, "sms_reply")
    ] * 2
    assert all(m.body and m.body != held_reply() for m in replies)
    assert [e.provider_id for e in events] == ["SM" + "c" * 32]
    assert journal.count() == 0


def test_with_the_database_still_away_nothing_is_replayed_or_lost(journal: JournalStore) -> None:
    held.keep(_inbound("SM" + "e" * 32, "hello"))
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    try:
        replayer = Replayer(engine, interval=0.1)
        assert replayer.run_once() == 0
        assert replayer.watch.problem is not None
        assert replayer.watch.problem.startswith("unreachable")
        assert replayer.watch.held == 1
    finally:
        engine.dispose()
    assert journal.count() == 1


def test_the_thread_starts_and_stops(engine: Engine, journal: JournalStore) -> None:
    replayer = Replayer(engine, interval=0.05)
    replayer.start()
    try:
        deadline = utcnow() + timedelta(seconds=10)
        while replayer.watch.checked_at is None:
            assert utcnow() < deadline
    finally:
        replayer.stop()
    assert replayer.watch.problem is None


def test_the_database_going_away_mid_replay_keeps_the_rest(
    engine: Engine, organisation: int, journal: JournalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.held_replay
    from services.booking.sms._receive import receive as real

    calls: list[str] = []

    def second_fails(*args: Any, **kwargs: Any) -> Any:
        calls.append("call")
        if len(calls) == 2:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(services.held_replay, "receive", second_fails)
    for letter in "fgh":
        held.keep(_inbound("SM" + letter * 32, "hello"))
    replayer = Replayer(engine, interval=0.1)
    assert replayer.run_once() == 0  # the journal's replay stopped at the second text
    assert replayer.watch.problem == "unreachable (OperationalError)"
    assert journal.count() == 2
    assert replayer.run_once() == 2
    with Session(engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 3


def test_a_text_that_waits_too_long_for_a_busy_process_is_kept_and_handled_later(
    engine: Engine, organisation: int, journal: JournalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over capacity, a text is kept (not left to time out at Twilio) and answered later."""
    busy, release = threading.Event(), threading.Event()

    def slow_first(*args: Any, **kwargs: Any) -> Any:
        if not busy.is_set():  # the first text holds the only slot until released
            busy.set()
            release.wait(timeout=30)
        return receive(*args, **kwargs)

    monkeypatch.setattr(inbound, "receive", slow_first)
    monkeypatch.setenv("SMS_DEV_ALLOW_UNSIGNED", "true")
    reset_settings()
    app = Starlette(routes=[inbound.inbound_route(engine, concurrency=1, queue_seconds=0.3)])
    form = {"MessageSid": "SM" + "1" * 32, "From": RIDER, "To": ORG_NUMBER, "Body": "hello"}
    answers: dict[str, httpx.Response] = {}

    async def two_texts() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def send(name: str, data: dict[str, str]) -> None:
                answers[name] = await client.post("/sms/inbound", data=data)

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send, "first", form)
                while not busy.is_set():
                    await anyio.sleep(0.01)
                await send("waited", {**form, "MessageSid": "SM" + "2" * 32, "Body": "ride"})
                release.set()

    anyio.run(two_texts)
    assert answers["first"].status_code == 200
    assert answers["waited"].status_code == 200
    assert "Got your message" in answers["waited"].text  # the short bilingual answer, at once
    assert journal.count() == 1
    with Session(engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 1

    assert Replayer(engine, interval=0.1).run_once() == 1
    with Session(engine) as session:
        stored = session.exec(select(InboundMessage)).all()
        replies = session.exec(select(Message)).all()
    assert sorted(m.provider_message_id for m in stored) == ["SM" + "1" * 32, "SM" + "2" * 32]
    assert [m.template for m in replies] == ["sms_reply"]  # the kept text's real answer
