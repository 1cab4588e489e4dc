"""The ceiling for the notifier benchmark: a dramatiq actor that does nothing but count.

Loaded by ``dramatiq _noop_worker --path bench`` with REDIS_URL set.
"""

from __future__ import annotations

import os

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

_url = os.environ["REDIS_URL"]
broker = RedisBroker(url=_url)  # type: ignore[no-untyped-call]
dramatiq.set_broker(broker)
_counter = redis.Redis.from_url(_url)


@dramatiq.actor(queue_name="noop", max_retries=0)
def noop(index: int) -> None:
    """Count one processed job (the only work, so finishing can be observed)."""
    _counter.incr("bench:noop:done")
