"""Token buckets per sending number: bursts, waits that take nothing, debt, atomicity."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from redis import Redis

from notifier.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

LimiterFactory = Callable[[float, float], RateLimiter]
FROM = "+14165550100"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis[bytes]]:
    """A client for the test Redis (``redis_url`` skips locally / fails in CI if it is down)."""
    client: Redis[bytes] = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: Redis[bytes]) -> Iterator[str]:
    """A Redis key prefix unique to this test; its keys are deleted afterwards."""
    prefix = f"test:ratelimit:{uuid.uuid4().hex}:"
    yield prefix
    for key in redis_client.scan_iter(match=prefix + "*"):
        redis_client.delete(key)


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> LimiterFactory:
    """Build limiters of the parametrised backend with a given rate and burst."""
    if request.param == "memory":
        return lambda rate, burst: MemoryRateLimiter(rate, burst)
    client: Redis[bytes] = request.getfixturevalue("redis_client")
    prefix: str = request.getfixturevalue("redis_prefix")
    return lambda rate, burst: RedisRateLimiter(client, rate, burst, key_prefix=prefix)


def test_fresh_bucket_lets_a_burst_through_then_asks_to_wait(make_limiter: LimiterFactory) -> None:
    """Burst 2 at 2/s: two segments go at once, the third must wait about half a second."""
    limiter = make_limiter(2.0, 2.0)
    assert limiter.acquire(FROM) == 0.0
    assert limiter.acquire(FROM) == 0.0
    assert 0.0 < limiter.acquire(FROM) <= 0.5  # below 0.5 only by the time the calls took


def test_a_refused_acquire_takes_no_tokens(make_limiter: LimiterFactory) -> None:
    """Asking again and again while empty does not push the wait further out."""
    limiter = make_limiter(1.0, 1.0)
    assert limiter.acquire(FROM) == 0.0
    waits = [limiter.acquire(FROM) for _ in range(5)]
    assert all(0.0 < wait <= 1.0 for wait in waits)  # taking tokens would push waits past 1 s
    assert waits == sorted(waits, reverse=True)  # time passes; the wait only shrinks


def test_waiting_the_advised_time_is_enough(make_limiter: LimiterFactory) -> None:
    """After sleeping the returned delay, the next acquire succeeds."""
    limiter = make_limiter(10.0, 1.0)
    assert limiter.acquire(FROM) == 0.0
    wait = limiter.acquire(FROM)
    assert wait > 0
    time.sleep(wait + 0.01)
    assert limiter.acquire(FROM) == 0.0


def test_sending_numbers_have_separate_buckets(make_limiter: LimiterFactory) -> None:
    """Emptying one number's bucket does not slow another number."""
    limiter = make_limiter(1.0, 1.0)
    assert limiter.acquire(FROM) == 0.0
    assert limiter.acquire(FROM) > 0
    assert limiter.acquire("+14165550199") == 0.0


def test_a_text_longer_than_the_bucket_goes_when_full_and_leaves_debt(
    make_limiter: LimiterFactory,
) -> None:
    """A 3-segment text with a 1-segment bucket at 10/s goes now; the next waits ~0.3 s."""
    limiter = make_limiter(10.0, 1.0)
    assert limiter.acquire(FROM, cost=3) == 0.0
    assert 0.1 < limiter.acquire(FROM) <= 0.3  # 0.3 s of debt, less the time the calls took


def test_concurrent_acquires_never_overdraw_the_bucket(make_limiter: LimiterFactory) -> None:
    """20 threads race for a 5-segment bucket that barely refills: exactly 5 win."""
    limiter = make_limiter(0.001, 5.0)
    results: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def worker() -> None:
        start.wait()
        wait = limiter.acquire(FROM)
        with lock:
            results.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for wait in results if wait == 0.0) == 5


def test_memory_bucket_refills_at_the_configured_rate() -> None:
    """With a controlled clock: empty at t=0, half full at t=0.5 s for 2/s and burst 2."""
    now = [0.0]
    limiter = MemoryRateLimiter(2.0, 2.0, clock=lambda: now[0])
    assert limiter.acquire(FROM, cost=2) == 0.0
    assert limiter.acquire(FROM) == pytest.approx(0.5)
    now[0] = 0.5
    assert limiter.acquire(FROM) == 0.0
    now[0] = 100.0  # a long idle period refills only up to the burst size
    assert limiter.acquire(FROM, cost=2) == 0.0
    assert limiter.acquire(FROM) == pytest.approx(0.5)


def test_redis_bucket_expires_once_it_would_be_full(
    redis_client: Redis[bytes], redis_prefix: str
) -> None:
    """Idle numbers do not leave keys behind forever: the TTL is about the refill time."""
    limiter = RedisRateLimiter(redis_client, 1.0, 1.0, key_prefix=redis_prefix)
    limiter.acquire(FROM)
    ttl_ms = redis_client.pttl(redis_prefix + FROM)
    assert 0 < ttl_ms <= 2000


@pytest.mark.parametrize(("rate", "burst"), [(0.0, None), (-1.0, None), (1.0, 0.0)])
def test_nonsense_rates_are_refused(rate: float, burst: float | None) -> None:
    """A zero or negative rate or burst would block every text forever."""
    with pytest.raises(ValueError, match="must be positive"):
        MemoryRateLimiter(rate, burst)
