"""The booking service's JSON API: riders, drivers, places and ride requests under ``/api/v1``.

``api_routes()`` gives the routes to mount; pass an engine to serve another database (tests),
or none to use ``DATABASE_URL``. Every call authenticates with the organisation's API key and
sees only that organisation's rows. The OpenAPI document is built from the same operations.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from services.booking._api_http import Operation, default_engine, endpoint
from services.booking._api_network import network_operations
from services.booking._api_requests import request_operations
from services.booking.openapi import API_ROOT, build_document


def api_operations() -> list[Operation]:
    """Every operation of the API, in the order the document lists them."""
    return [*network_operations(), *request_operations()]


@lru_cache(maxsize=1)
def api_document() -> dict[str, Any]:
    """The OpenAPI document of the whole API (built once per process)."""
    return build_document(api_operations())


async def openapi_json(request: Request) -> JSONResponse:
    """Serve the OpenAPI document (no key needed: it describes the API, not anyone's data)."""
    return JSONResponse(api_document())


def api_routes(engine: Engine | None = None) -> list[BaseRoute]:
    """The API's routes, relative to ``API_ROOT``; ``engine`` defaults to ``DATABASE_URL``'s."""

    def injected() -> Engine:
        assert engine is not None
        return engine

    source = default_engine if engine is None else injected
    routes: list[BaseRoute] = [Route("/openapi.json", openapi_json, methods=["GET"])]
    routes.extend(
        Route(op.path, endpoint(op, source), methods=[op.method], name=op.name)
        for op in api_operations()
    )
    return routes


def create_api_app(engine: Engine | None = None) -> Starlette:
    """A web app serving only the API (and its document at ``/openapi.json`` too), for tests."""
    return Starlette(
        routes=[
            Mount(API_ROOT, routes=api_routes(engine)),
            Route("/openapi.json", openapi_json, methods=["GET"]),
        ]
    )
