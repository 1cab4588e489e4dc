"""A stub broker whose queues the outbox tests can read, and an organisation to write for."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine
from sqlmodel import Session

from shared.models import Organisation
from shared.queue import build_broker, use_broker


@pytest.fixture
def org_id(engine: Engine) -> int:
    """A stored organisation's id."""
    with Session(engine) as session:
        org = Organisation(slug="org", name="Org")
        session.add(org)
        session.commit()
        assert org.id is not None
        return org.id


@pytest.fixture
def stub() -> StubBroker:
    """The in-process broker, in use, with the notifier's and scheduler's queues declared."""
    broker = build_broker(None)
    assert isinstance(broker, StubBroker)
    for queue in ("notifier", "scheduler"):
        broker.declare_queue(queue)
    use_broker(broker)
    return broker


def queued(broker: StubBroker, queue: str) -> list[tuple[str, tuple[object, ...]]]:
    """(actor name, arguments) of each job waiting on ``queue``, oldest first."""
    messages = [dramatiq.Message.decode(raw) for raw in broker.queues[queue].queue]
    return [(m.actor_name, tuple(m.args)) for m in messages]
