"""Replaying webhooks kept during an outage, in process, on each database back-end."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

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
