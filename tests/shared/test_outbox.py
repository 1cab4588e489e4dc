"""Texts written in one transaction are enqueued after its commit, sharing jobs."""

from __future__ import annotations

from datetime import timedelta

from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine
from sqlmodel import Session

from shared.models import utcnow
from shared.outbox import SEND_BATCH, queue_text
from tests.shared.conftest import queued


def _texts(session: Session, org_id: int, count: int, **extra: object) -> list[int]:
    ids = []
    for n in range(count):
        message = queue_text(
            session,
            organisation_id=org_id,
            to_number=f"+1416555{n:04d}",
            from_number="+14165550100",
            body=f"text {n}",
            **extra,  # type: ignore[arg-type]
        )
        assert message.id is not None
        ids.append(message.id)
    return ids


def test_texts_of_one_transaction_share_jobs_after_the_commit(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    with Session(engine) as session:
        ids = _texts(session, org_id, 2 * SEND_BATCH + 5)
        assert queued(stub, "notifier") == []  # nothing before the commit
        session.commit()
    jobs = queued(stub, "notifier")
    assert [name for name, _ in jobs] == ["send_messages"] * 3
    assert [args for _, args in jobs] == [
        (ids[:SEND_BATCH],),
        (ids[SEND_BATCH : 2 * SEND_BATCH],),
        (ids[2 * SEND_BATCH :],),
    ]


def test_a_lone_text_gets_its_own_send_message_job(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    with Session(engine) as session:
        [message_id] = _texts(session, org_id, 1)
        session.commit()
    assert queued(stub, "notifier") == [("send_message", (message_id,))]


def test_texts_held_until_later_wait_in_their_own_delayed_job(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    with Session(engine) as session:
        now_ids = _texts(session, org_id, 2)
        later_ids = _texts(session, org_id, 3, send_after=utcnow() + timedelta(hours=2))
        session.commit()
    assert queued(stub, "notifier") == [("send_messages", (now_ids,))]
    [(name, args)] = queued(stub, "notifier.DQ")
    assert (name, args) == ("send_messages", (later_ids,))


def test_texts_of_a_rolled_back_transaction_are_never_enqueued(
    engine: Engine, org_id: int, stub: StubBroker
) -> None:
    with Session(engine) as session:
        _texts(session, org_id, 3)
        session.rollback()
        kept = _texts(session, org_id, 2)
        session.commit()
    assert queued(stub, "notifier") == [("send_messages", (kept,))]
