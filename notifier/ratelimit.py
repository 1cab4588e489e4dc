"""Per-sending-number token buckets, measured in SMS segments per second.

Carriers throttle each long code (about one segment per second in North America) and Twilio
queues or rejects what goes over. The send actor asks ``acquire(from_number, segments)``
before sending: ``0.0`` means "go, the tokens are taken"; a positive number means "nothing was
taken, come back in this many seconds". That lets the actor re-enqueue with a delay without
spending one of its retries.

A text longer than the bucket (a driver's route of 8 segments with a 1-segment bucket) would
never fit, so a full bucket lets it through and goes into debt; the texts after it wait that
debt off, which keeps the long-run rate right.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis import Redis

from shared.settings import Settings


class RateLimiter(Protocol):
    """A token bucket per key (the sending number)."""

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens and return 0.0, or take nothing and return seconds to wait."""
        ...


def _check(rate_per_second: float, burst: float | None) -> float:
    if rate_per_second <= 0:
        raise ValueError(f"rate_per_second must be positive, got {rate_per_second}")
    capacity = burst if burst is not None else max(1.0, rate_per_second)
    if capacity <= 0:
        raise ValueError(f"burst must be positive, got {burst}")
    return capacity


class MemoryRateLimiter:
    """Token buckets in this process's memory, for the in-process broker and tests."""

    def __init__(
        self,
        rate_per_second: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``burst`` is the bucket size in segments (default: one second's worth, at least 1)."""
        self.capacity = _check(rate_per_second, burst)
        self.rate = rate_per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens for ``key`` and return 0.0, or return seconds to wait."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + max(0.0, now - last) * self.rate)
            need = min(cost, self.capacity)
            if tokens >= need:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (need - tokens) / self.rate


# Runs atomically inside Redis, so concurrent workers on many hosts share one bucket. Redis's
# own clock (TIME) is used so that workers' clocks need not agree. Floats are returned as
# strings because Lua numbers become integers in a Redis reply.
_ACQUIRE_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local need = math.min(cost, capacity)
local wait = 0
if tokens >= need then
  tokens = tokens - cost
else
  wait = (need - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
-- Forget the bucket once it would be full again anyway.
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    """Token buckets in Redis, one hash per key, updated atomically by a Lua script."""

    def __init__(
        self,
        client: Redis[Any],
        rate_per_second: float,
        burst: float | None = None,
        key_prefix: str = "rides:sms-rate:",
    ) -> None:
        """``burst`` is the bucket size in segments (default: one second's worth, at least 1)."""
        self.capacity = _check(rate_per_second, burst)
        self.rate = rate_per_second
        self.key_prefix = key_prefix
        self._script = client.register_script(_ACQUIRE_LUA)

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens for ``key`` and return 0.0, or return seconds to wait."""
        reply = self._script(
            keys=[self.key_prefix + key], args=[repr(self.rate), repr(self.capacity), repr(cost)]
        )
        return max(0.0, float(reply))


def build_rate_limiter(settings: Settings) -> RateLimiter:
    """Redis buckets when the queue is on Redis (many workers), else in-memory ones."""
    rate = settings.sms.sms_rate_per_second
    if settings.app.redis_url:
        return RedisRateLimiter(Redis.from_url(settings.app.redis_url), rate)
    return MemoryRateLimiter(rate)
