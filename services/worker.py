"""Everything a worker loads: the broker, the outbox relay and every actor module.

``rides worker`` hands this module to dramatiq's CLI; in embedded mode the web app imports it
so its in-process worker threads know every actor.
"""

from __future__ import annotations

import notifier.actors
import scheduler.actors
from shared.db import get_engine
from shared.queue import get_broker
from shared.relay import RelayMiddleware
from shared.settings import get_settings

broker = get_broker()
broker.add_middleware(
    RelayMiddleware(get_engine, interval=get_settings().app.relay_interval_seconds)
)

__all__ = ["broker", "notifier", "scheduler"]
