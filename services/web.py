"""The web application: booking (SMS webhooks, JSON API) and dispatch pages under one app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from notifier.status import status_route
from services.booking.api.app import api_routes, openapi_json
from services.booking.api.errors import http_exception_handler
from services.booking.sms.webhook import inbound_route
from services.demo.simulator import simulator_routes
from services.dispatch.app import dispatch_middleware, dispatch_routes
from services.manifest.app import manifest_routes
from shared.db import get_engine
from shared.queue import start_in_process_worker, stop_in_process_worker


async def healthz(request: Request) -> JSONResponse:
    """Liveness and database reachability, for the compose health check."""
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # Embedded mode: queued work runs on threads inside this process, so it loads every actor.
    import services.worker  # noqa: F401

    get_engine()  # load the database driver now, not in the first request (half a second)
    start_in_process_worker()
    try:
        yield
    finally:
        stop_in_process_worker()


def create_app() -> Starlette:
    """Build the web app."""
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            status_route(),
            inbound_route(),
            Mount("/api/v1", routes=api_routes()),
            Route("/openapi.json", openapi_json),
            *dispatch_routes(),
            *manifest_routes(),
            # 404 unless DEMO_MODE is on (`rides demo` sets it).
            *simulator_routes(),
        ],
        # Session and CSRF checks act on the dispatcher pages' paths only.
        middleware=dispatch_middleware(),
        # JSON errors even for paths no route takes, as API clients expect.
        exception_handlers={HTTPException: http_exception_handler},
        lifespan=lifespan,
    )
