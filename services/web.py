"""The web application: booking (SMS webhooks, JSON API) and dispatch pages under one app.

Also the operator's endpoints: ``/healthz`` (the process is up; says what it last found down,
never touches the database), ``/readyz`` (checks the database and the queue now: 503 naming
what failed) and ``/metrics`` (Prometheus, every web process of the deployment added up).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from notifier.status import status_route
from services.body_limit import BodySizeLimit
from services.booking.api.app import api_routes, openapi_json
from services.booking.api.errors import http_exception_handler
from services.booking.sms.webhook import inbound_route
from services.demo.simulator import simulator_routes
from services.dispatch.app import dispatch_middleware, dispatch_routes
from services.held_replay import Replayer
from services.manifest.app import manifest_routes
from shared import held, metrics
from shared.db import DATABASE_AWAY, database_problem, get_engine
from shared.logs import ensure_logging
from shared.queue import (
    queue_depths,
    queue_problem,
    start_in_process_worker,
    stop_in_process_worker,
)

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """Liveness: always 200 while the process answers; reports what the last check found down."""
    replayer: Replayer | None = getattr(request.app.state, "replayer", None)
    body: dict[str, Any] = {"status": "ok", "process": os.getpid()}
    if replayer is not None:
        watch = replayer.watch
        body["database"] = watch.problem or "ok"
        body["held_webhooks"] = watch.held
        if watch.checked_at is not None:
            body["checked_at"] = watch.checked_at.isoformat()
    return JSONResponse(body)


def _readiness() -> tuple[dict[str, str], int | None]:
    checks = {
        "database": database_problem(get_engine()) or "ok",
        "queue": queue_problem() or "ok",
    }
    return checks, held.held_count()


async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database and the queue answer now; 503 naming each part that failed."""
    checks, waiting = await run_in_threadpool(_readiness)
    failed = sorted(name for name, result in checks.items() if result != "ok")
    body: dict[str, Any] = {
        "status": "unavailable" if failed else "ready",
        "checks": checks,
        "held_webhooks": waiting,
    }
    if failed:
        body["failed"] = failed
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse(body)


async def database_away(request: Request, exc: Exception) -> Response:
    """Any page or endpoint that needs the database while it is away: 503, try again soon.

    (The webhooks keep what arrives instead, and the JSON API answers its own JSON 503.)
    """
    log.warning(
        "%s %s: database unavailable (%s)", request.method, request.url.path, type(exc).__name__
    )
    return PlainTextResponse(
        "The service is briefly unavailable; please try again in a minute.",
        status_code=503,
        headers={"Retry-After": "30"},
    )


def scrape_time_collectors() -> list[metrics.ScrapeTimeCollector]:
    """Gauges read at each scrape: jobs waiting per queue, and webhooks held for the database."""
    return [
        metrics.ScrapeTimeCollector(
            "rides_queue_depth",
            "Jobs waiting in each queue (delayed ones included).",
            "queue",
            queue_depths,
        ),
        metrics.ScrapeTimeCollector(
            "rides_held_webhooks",
            "Webhooks kept while the database was away, not yet replayed.",
            "store",
            lambda: [("all", float(held.held_count() or 0))],
        ),
    ]


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus' text exposition."""
    body = await run_in_threadpool(metrics.exposition, scrape_time_collectors())
    return Response(body, media_type=metrics.CONTENT_TYPE)


_ROUTED = "rides.routed"


class HttpMetrics:
    """Counts every request by route template (never the raw path) and status, and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        root = scope.get("root_path", "")
        # Middleware below may copy the scope; ``RouteRecorder`` hands the router's back here.
        routed: list[Scope] = []
        scope[_ROUTED] = routed

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            metrics.http_request(
                route_template(routed[-1] if routed else scope, root),
                scope["method"],
                status,
                time.perf_counter() - started,
            )


class RouteRecorder:
    """Innermost middleware: passes the scope the router fills in back to ``HttpMetrics``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            routed = scope.get(_ROUTED)
            if routed is not None:
                routed.append(scope)


def route_template(scope: Scope, root: str) -> str:
    """The matched route's path template, with the prefixes of the mounts it is under."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    # Routers record the innermost route in the scope they share; a mount's prefix is in the
    # root path it set (our mounts have no parameters, so the prefix is the template).
    prefix = str(scope.get("root_path", ""))[len(root) :]
    if isinstance(route, Mount):  # a mounted app with no routes of its own (static files)
        return prefix + "/{path}"
    return prefix + str(path)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # Embedded mode: queued work runs on threads inside this process, so it loads every actor.
    import services.worker  # noqa: F401

    ensure_logging()  # a web process uvicorn started afresh has not run the command line's
    get_engine()  # load the database driver now, not in the first request (half a second)
    start_in_process_worker()
    replayer = Replayer()
    app.state.replayer = replayer
    replayer.start()
    try:
        yield
    finally:
        replayer.stop()
        stop_in_process_worker()


def create_app() -> Starlette:
    """Build the web app."""
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            status_route(),
            inbound_route(),
            Mount("/api/v1", routes=api_routes()),
            Route("/openapi.json", openapi_json),
            *dispatch_routes(),
            *manifest_routes(),
            # 404 unless DEMO_MODE is on (`rides demo` sets it).
            *simulator_routes(),
        ],
        # The body limit comes before any handler or middleware that buffers a body.
        # Session and CSRF checks act on the dispatcher pages' paths only.
        middleware=[
            Middleware(HttpMetrics),  # outermost, so refused bodies (413) are counted too
            Middleware(BodySizeLimit),
            *dispatch_middleware(),
            Middleware(RouteRecorder),
        ],
        # JSON errors even for paths no route takes, as API clients expect.
        exception_handlers={
            HTTPException: http_exception_handler,
            **dict.fromkeys(DATABASE_AWAY, database_away),
        },
        lifespan=lifespan,
    )
