"""A request rate per API key, so one organisation's script cannot starve the others.

A token bucket per organisation (one key each): ``API_RATE_PER_SECOND`` on average with bursts
of ``API_RATE_BURST``. The buckets are the notifier's: in Redis when ``REDIS_URL`` is set (every
web process shares them), in this process's memory otherwise.
"""

from __future__ import annotations

import logging
import math

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis import Redis
from redis.exceptions import RedisError

from notifier.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from services.booking.api.errors import TooManyRequests
from shared.settings import get_settings

log = logging.getLogger(__name__)


class ApiSettings(BaseSettings):
    """The JSON API's rate limit per key."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    rate_per_second: float = Field(
        default=20.0, gt=0, description="Calls per second one API key may make on average."
    )
    rate_burst: float = Field(
        default=100.0, ge=1, description="Calls one API key may make at once before waiting."
    )


class KeyRate:
    """Counts one call per organisation and refuses calls over the rate with 429."""

    def __init__(self, buckets: RateLimiter) -> None:
        self.buckets = buckets

    @classmethod
    def from_settings(cls) -> KeyRate:
        """Buckets in Redis when ``REDIS_URL`` is set, else in memory; rates from ``API_*``."""
        api = ApiSettings()
        url = get_settings().app.redis_url
        if url:
            client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
            return cls(
                RedisRateLimiter(client, api.rate_per_second, api.rate_burst, "rides:api-rate:")
            )
        return cls(MemoryRateLimiter(api.rate_per_second, api.rate_burst))

    def check(self, organisation_id: int) -> None:
        """Take one call from the organisation's bucket, or raise ``TooManyRequests``."""
        try:
            wait = self.buckets.acquire(str(organisation_id))
        except RedisError as exc:
            # The limit protects the service; refusing every call while Redis is away would
            # make it the outage, so calls go through uncounted.
            log.warning("API rate limit not checked, Redis unavailable: %s", exc)
            return
        if wait > 0:
            raise TooManyRequests(math.ceil(wait))
