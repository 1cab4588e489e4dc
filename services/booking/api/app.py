"""The booking service's JSON API: riders, drivers, places and ride requests under ``/api/v1``.

``api_routes()`` gives the routes to mount; pass an engine to serve another database (tests),
or none to use ``DATABASE_URL``. Every call authenticates with the organisation's API key and
sees only that organisation's rows. The OpenAPI document is built from the same operations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from services.booking.api._http import Operation, default_engine, endpoint
from services.booking.api._network import network_operations
from services.booking.api._rate import KeyRate
from services.booking.api._ride_requests import request_operations
from services.booking.api.errors import error_response, http_exception_handler
from services.booking.api.openapi import API_ROOT, build_document
from services.dispatch.api import dispatch_operations
from shared.errors import NotFound

Endpoint = Callable[[Request], Awaitable[Response]]


def api_operations() -> list[Operation]:
    """Every operation of the API, in the order the document lists them."""
    return [*network_operations(), *request_operations(), *dispatch_operations()]


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
    limit = KeyRate.from_settings()
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op in api_operations():
        by_path.setdefault(op.path, {})[op.method] = endpoint(op, source, limit)
    routes: list[BaseRoute] = [Route("/openapi.json", openapi_json, methods=["GET"])]
    # One route per path, so a 405's Allow header lists every method the path supports.
    routes.extend(
        Route(path, _by_method(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    )
    routes.append(_NoSuchEndpoint())
    return routes


class _NoSuchEndpoint(BaseRoute):
    """Answers any request no API route takes with a JSON 404, not Starlette's plain text.

    It matches only partially, the way a route matches a path but not its method, so a real
    route's 405 still wins over it and it is used only when nothing else matched.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.PARTIAL if scope["type"] == "http" else Match.NONE), {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = NotFound(f"no such endpoint; the API is described at {API_ROOT}/openapi.json")
        await error_response(problem)(scope, receive, send)


def _by_method(endpoints: dict[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        # HEAD is answered as GET (Starlette adds HEAD to every GET route; the body is dropped).
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


def create_api_app(engine: Engine | None = None) -> Starlette:
    """A web app serving only the API (and its document at ``/openapi.json`` too), for tests."""
    return Starlette(
        routes=[
            Mount(API_ROOT, routes=api_routes(engine)),
            Route("/openapi.json", openapi_json, methods=["GET"]),
        ],
        # Paths that reach no mount at all (e.g. with a newline in them) get JSON errors too.
        exception_handlers={HTTPException: http_exception_handler},
    )
