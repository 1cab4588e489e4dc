"""The dispatcher app's parts for ``services/web.py``: its routes and its middleware."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from services.dispatch.auth import page_middleware
from services.dispatch.pages import DispatchPages


def dispatch_routes(engine: Engine | None = None) -> list[BaseRoute]:
    """``/login``, ``/logout`` and everything under ``/dispatch``; ``engine`` for tests."""
    return DispatchPages(engine).routes()


def dispatch_middleware() -> list[Middleware]:
    """Session and CSRF middleware; they act on the dispatcher paths only."""
    return page_middleware()


def create_dispatch_app(engine: Engine | None = None) -> Starlette:
    """The dispatcher pages alone (tests mount them over a given database)."""
    return Starlette(routes=dispatch_routes(engine), middleware=dispatch_middleware())
