"""Prometheus metrics, through prometheus-client in its multiprocess mode.

Every process writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR``, and a scrape of any
one process adds up every process's files, so ``rides serve --workers 2`` answers for both
processes and a worker's processes answer together. ``rides serve`` and ``rides worker`` make
a fresh folder when the variable is unset (``use_multiprocess_dir``); a process that never set
one (a test client, a one-off command) keeps its samples in memory and answers for itself.

Metrics are built on first use, not at import: prometheus-client picks the in-memory or the
file-backed kind when a sample is first made, and the command line sets the folder after
importing its modules. Labels never carry ids, phone numbers or raw paths: HTTP requests are
counted by route template (``/api/v1/riders/{id}``).

Queue depth and the held webhooks are read at scrape time (``ScrapeTimeCollector``), not kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

_SOLVE_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, float("inf"))


@dataclass(frozen=True)
class _Metrics:
    http_requests: Counter
    http_seconds: Histogram
    inbound_texts: Counter
    outbound_texts: Counter
    status_callbacks: Counter
    plan_seconds: Histogram
    unserved_legs: Counter
    plans: Counter


@lru_cache(maxsize=1)
def _metrics() -> _Metrics:
    return _Metrics(
        http_requests=Counter(
            "rides_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
        ),
        http_seconds=Histogram(
            "rides_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
        ),
        inbound_texts=Counter(
            "rides_inbound_texts",
            "Inbound texts by outcome: handled, replayed (a retried MessageSid), held (kept "
            "while the database was away), refused (nothing could keep it: 503), "
            "handled_later (a held text processed once the database was back).",
            ["outcome"],
        ),
        outbound_texts=Counter(
            "rides_outbound_texts",
            "Outbound send attempts by outcome: sent, failed, cancelled, retry, requeue.",
            ["outcome"],
        ),
        status_callbacks=Counter(
            "rides_status_callbacks",
            "Twilio delivery-status callbacks received, by Twilio's status.",
            ["status"],
        ),
        plan_seconds=Histogram(
            "rides_plan_solve_seconds",
            "Time the solver took for one day's plan.",
            buckets=_SOLVE_BUCKETS,
        ),
        unserved_legs=Counter(
            "rides_plan_unserved_legs",
            "Ride legs left unserved by the plans solved.",
        ),
        plans=Counter("rides_plans", "Plans solved."),
    )


def use_multiprocess_dir(path: str | None = None) -> str:
    """Make this process (and the processes it starts) write samples to one shared folder.

    Keeps ``PROMETHEUS_MULTIPROC_DIR`` when set, else makes a fresh temporary folder. Must run
    before the first sample is recorded; its children inherit the variable.
    """
    folder = path or os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="rides-metrics-")
    os.makedirs(folder, exist_ok=True)
    os.environ[MULTIPROC_ENV] = folder
    # prometheus-client chose its value class when imported; choose again now the folder is set.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return folder


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered HTTP request (``route`` is the template, never the raw path)."""
    m = _metrics()
    m.http_requests.labels(route, method, str(status)).inc()
    m.http_seconds.labels(route, method).observe(seconds)


def inbound_text(outcome: str) -> None:
    """Count one inbound text by what became of it."""
    _metrics().inbound_texts.labels(outcome).inc()


def outbound_text(outcome: str) -> None:
    """Count one outbound send attempt by its outcome."""
    _metrics().outbound_texts.labels(outcome).inc()


def status_callback(status: str) -> None:
    """Count one delivery-status callback (unknown statuses as ``other``)."""
    known = {"accepted", "queued", "sending", "sent", "delivered", "undelivered", "failed"}
    _metrics().status_callbacks.labels(status if status in known else "other").inc()


def plan_solved(seconds: float, unserved: int) -> None:
    """Record one solve: its time and the legs it left unserved."""
    m = _metrics()
    m.plan_seconds.observe(seconds)
    m.unserved_legs.inc(unserved)
    m.plans.inc()


class ScrapeTimeCollector(Collector):
    """Gauges read when scraped: each reader gives ``(labels, value)`` pairs, or raises."""

    def __init__(
        self,
        name: str,
        documentation: str,
        label: str,
        read: Callable[[], Iterable[tuple[str, float]]],
    ) -> None:
        self.name, self.documentation, self.label, self.read = name, documentation, label, read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        try:
            for label, value in self.read():
                family.add_metric([label], value)
        except Exception:  # a scrape still answers while Redis or the database is away
            return
        yield family


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition of every process's samples (or this process's) plus ``extra``."""
    own = CollectorRegistry()
    for collector in extra:
        own.register(collector)
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(own)  # type: ignore[no-untyped-call]
        return generate_latest(own)
    return generate_latest(REGISTRY) + generate_latest(own)
