"""The job queue: one place builds the dramatiq broker and binds every actor to it.

``REDIS_URL`` set means a RedisBroker shared with ``rides worker`` processes; unset means the
embedded default, an in-process StubBroker whose worker threads run inside the web process.
Actors are declared with ``@actor`` from this module so tests (and the CLI) can swap brokers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, ShutdownNotifications

from shared.settings import get_settings

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_broker: dramatiq.Broker | None = None
_actors: list[dramatiq.Actor[Any, Any]] = []
_worker: dramatiq.Worker | None = None


def _middleware() -> list[dramatiq.Middleware]:
    # The stock set minus TimeLimit and Prometheus: actors bound their own work, and a metrics
    # exporter would open a port inside the web process in embedded mode.
    return [AgeLimit(), ShutdownNotifications(), Callbacks(), Pipelines(), Retries()]


def build_broker(redis_url: str | None) -> dramatiq.Broker:
    """A RedisBroker for ``redis_url``, or an in-process StubBroker when it is None."""
    if redis_url:
        return RedisBroker(url=redis_url, middleware=_middleware())  # type: ignore[no-untyped-call]
    return StubBroker(middleware=_middleware())


def get_broker() -> dramatiq.Broker:
    """The process-wide broker, built from settings on first use."""
    global _broker
    with _lock:
        if _broker is None:
            _broker = build_broker(get_settings().app.redis_url)
            dramatiq.set_broker(_broker)
        return _broker


def use_broker(broker: dramatiq.Broker) -> None:
    """Make ``broker`` the process-wide broker and re-bind every declared actor to it."""
    global _broker
    with _lock:
        _broker = broker
        dramatiq.set_broker(broker)
        for declared in _actors:
            declared.broker = broker
            broker.declare_actor(declared)


def actor(**options: Any) -> Callable[[Callable[P, R]], dramatiq.Actor[P, R]]:
    """Declare a dramatiq actor on the project's broker (same options as ``dramatiq.actor``)."""

    def decorate(fn: Callable[P, R]) -> dramatiq.Actor[P, R]:
        declared: dramatiq.Actor[P, R] = dramatiq.actor(broker=get_broker(), **options)(fn)
        _actors.append(declared)
        return declared

    return decorate


def declared_actors() -> list[dramatiq.Actor[Any, Any]]:
    """Every actor declared through ``actor``."""
    return list(_actors)


def start_in_process_worker(threads: int = 2) -> dramatiq.Worker | None:
    """Start worker threads in this process for the in-process broker; None with Redis."""
    global _worker
    broker = get_broker()
    if not isinstance(broker, StubBroker):
        return None
    with _lock:
        if _worker is None:
            broker.emit_after("process_boot")
            _worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
            _worker.start()
        return _worker


def stop_in_process_worker() -> None:
    """Stop the in-process worker threads, if any were started."""
    global _worker
    with _lock:
        if _worker is not None:
            _worker.stop()
            _worker = None


def queue_depths() -> list[tuple[str, float]]:
    """Jobs waiting per queue, delayed ones included (not those a worker already holds).

    Redis: the length of each queue's list and of its delay list; in-process: each queue's size.
    Raises the client's error when Redis is away.
    """
    broker = get_broker()
    depths: list[tuple[str, float]] = []
    for name in sorted(broker.get_declared_queues()):
        if isinstance(broker, RedisBroker):
            client = broker.client
            prefix = f"{broker.namespace}:{name}"
            depths.append((name, float(client.llen(prefix) + client.llen(f"{prefix}.DQ"))))
        elif isinstance(broker, StubBroker):
            waiting = broker.queues[name].qsize()
            delayed = broker.queues.get(f"{name}.DQ")
            depths.append((name, float(waiting + (delayed.qsize() if delayed else 0))))
    return depths


def queue_problem() -> str | None:
    """None when the queue can take jobs; else a short reason (Redis away)."""
    url = get_settings().app.redis_url
    if not url:
        return None  # the in-process queue lives and dies with this process
    # A client of its own with short timeouts: the broker's would wait as long as Redis does.
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"unreachable ({type(exc).__name__})"
    finally:
        client.close()
    return None
