"""Everything a worker loads: the broker, the outbox relay, the metrics port and every actor.

``rides worker`` hands this module to dramatiq's CLI; in embedded mode the web app imports it
so its in-process worker threads know every actor.
"""

from __future__ import annotations

import fcntl
import logging
import os
from typing import Any

import dramatiq
from prometheus_client import CollectorRegistry, multiprocess, start_http_server

import notifier.actors
import scheduler.actors
from scheduler.solver import warm_up
from shared import metrics
from shared.db import get_engine
from shared.queue import get_broker, queue_depths
from shared.relay import RelayMiddleware
from shared.settings import get_settings

log = logging.getLogger(__name__)


class MetricsPort(dramatiq.Middleware):
    """Serves ``/metrics`` for every process of one ``rides worker`` on ``WORKER_METRICS_PORT``.

    The processes share a folder of samples (``PROMETHEUS_MULTIPROC_DIR``, set by ``rides
    worker``); the first to take a lock in that folder serves them all, added up. Does nothing
    in the web process (its own ``/metrics`` answers) or when the port is 0.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._lock: int | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        folder = os.environ.get(metrics.MULTIPROC_ENV)
        if not self.port or not folder or not os.environ.get("RIDES_WORKER"):
            return
        fd = os.open(os.path.join(folder, "metrics-port.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return  # another process of this worker serves the port
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(
            metrics.ScrapeTimeCollector(
                "rides_queue_depth", "Jobs waiting in each queue.", "queue", queue_depths
            )
        )
        try:
            start_http_server(self.port, registry=registry)
        except OSError as exc:
            log.warning("worker metrics not served: port %d: %s", self.port, exc.strerror)
            os.close(fd)
            return
        self._lock = fd  # held for the life of the process; the kernel releases it at exit
        log.info("worker metrics on port %d", self.port)


class SolverWarmUp(dramatiq.Middleware):
    """Loads the scheduler's compiled core when a ``rides worker`` process that plans boots,
    so the first plan's time limit does not pay for it (compiled once after an install)."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        queues = getattr(worker, "queues", None)
        if os.environ.get("RIDES_WORKER") and (not queues or "scheduler" in queues):
            log.info("scheduler core loaded in %.1fs", warm_up())


broker = get_broker()
broker.add_middleware(
    RelayMiddleware(get_engine, interval=get_settings().app.relay_interval_seconds)
)
broker.add_middleware(MetricsPort(get_settings().app.worker_metrics_port))
broker.add_middleware(SolverWarmUp())

__all__ = ["broker", "notifier", "scheduler"]
