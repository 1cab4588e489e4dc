"""Actors declared through shared.queue run on the in-process broker and on Redis alike."""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from shared.queue import actor, build_broker, declared_actors, use_broker

_seen: list[int] = []
_done = threading.Event()


@actor(queue_name="test-queue", max_retries=0)
def record(value: int) -> None:
    _seen.append(value)
    if len(_seen) >= 3:
        _done.set()


def test_no_redis_url_means_the_in_process_broker() -> None:
    assert isinstance(build_broker(None), StubBroker)


def test_a_redis_url_means_the_redis_broker(redis_url: str) -> None:
    broker = build_broker(redis_url)
    try:
        assert isinstance(broker, RedisBroker)
    finally:
        broker.close()


def test_actors_follow_the_broker_they_are_moved_to() -> None:
    broker = build_broker(None)
    use_broker(broker)
    assert all(declared.broker is broker for declared in declared_actors())
    assert "test-queue" in broker.get_declared_queues()


def test_queued_messages_run_on_each_backend(
    broker: dramatiq.Broker, worker: dramatiq.Worker
) -> None:
    _seen.clear()
    _done.clear()
    for value in (1, 2, 3):
        record.send(value)
    assert _done.wait(timeout=10)
    assert sorted(_seen) == [1, 2, 3]
