"""How one API operation runs: authenticate, read input, call the handler in a transaction.

An ``Operation`` describes an endpoint once; the router and the OpenAPI document are both built
from it, so what the document says and what the endpoint does cannot drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, SQLModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.booking.api._input import Query, parse_body, parse_id, parse_query
from services.booking.api._rate import KeyRate
from services.booking.api._shape import body_schema
from services.booking.api.auth import API_KEY_HEADER, check_key_shape, organisation_for_key
from services.booking.api.errors import InvalidInput, Unavailable, error_response
from shared.db import DATABASE_AWAY, get_engine, session_scope
from shared.errors import Conflict, RidesError

T = TypeVar("T", bound=SQLModel)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Call:
    """Everything a handler may use: the transaction, the caller's organisation, the input."""

    session: Session
    organisation_id: int
    path_id: int | None
    query: Any  # the operation's ``Query`` model
    body: Any
    url: URL


@dataclass(frozen=True)
class Reply:
    """A handler's answer: a JSON-able body (None for no content) and a status."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Operation:
    """One endpoint: route, input and output models, handler, and what it may answer."""

    method: str
    path: str  # relative to the API root, with ``{id}`` for the row id
    name: str
    summary: str
    tag: str
    handler: Handler
    noun: str
    body: type[BaseModel] | None = None
    # For a PATCH: the model the row must still satisfy once the changes are merged in.
    merged_with: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: type[Query] = Query  # no parameters unless the operation names its model
    # A write with no body that can still clash with stored rows (publishing a plan).
    conflicts: bool = False

    @property
    def errors(self) -> tuple[int, ...]:
        """The error statuses it may answer besides 401 and 503, derived from its shape.

        404 for a row id in the path; 409 for a write that can clash with stored rows (one
        with a body, a delete, or one marked ``conflicts``); 422
        always, since every operation refuses query parameters it does not know.
        """
        clashes = self.body is not None or self.method == "DELETE" or self.conflicts
        return (*((404,) if "{id}" in self.path else ()), *((409,) if clashes else ()), 422)


EngineSource = Callable[[], Engine]


def endpoint(
    operation: Operation, engine: EngineSource, limit: KeyRate
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running ``operation``; every error becomes a JSON response.

    ``limit`` counts calls per key; the API's endpoints share one.
    """

    async def run(request: Request) -> Response:
        try:
            # Authenticate before reading anything: a call with no plausible key is answered
            # without touching the database, and a body is read only for a valid key.
            key = check_key_shape(request.headers.get(API_KEY_HEADER))
            organisation_id = None
            raw = b""
            if operation.body is not None:
                organisation_id = await run_in_threadpool(_authenticate, engine, key, limit)
                raw = await request.body()
            # The database calls are blocking, so they run on a worker thread.
            reply = await run_in_threadpool(
                _serve, operation, engine, request, key, organisation_id, limit, raw
            )
        except Exception as exc:
            return error_response(exc)
        if reply.body is None:
            return Response(status_code=reply.status, headers=reply.headers)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    return run


@contextmanager
def _database_errors() -> Iterator[None]:
    """Database failures as the client's errors (the transaction is already rolled back)."""
    try:
        yield
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    except DATABASE_AWAY as exc:
        # A locked SQLite file, a PostgreSQL restart, no free connection: nothing was stored,
        # so a retry is safe.
        log.warning("database unavailable: %s", type(exc).__name__)
        raise Unavailable("the database is busy; nothing was changed, try again") from exc
    except DataError as exc:
        # Input checks should stop these first; this keeps a missed case a 422, not a 500.
        raise InvalidInput.one("body", "a value does not fit the database; check lengths") from exc


def _authenticate(engine: EngineSource, key: str, limit: KeyRate) -> int:
    """The key's organisation id, once its call is counted against the key's rate."""
    with _database_errors(), session_scope(engine()) as session:
        organisation = organisation_for_key(session, key)
        assert organisation.id is not None
    limit.check(organisation.id)
    return organisation.id


def _serve(
    operation: Operation,
    engine: EngineSource,
    request: Request,
    key: str,
    organisation_id: int | None,
    limit: KeyRate,
    raw: bytes,
) -> Reply:
    with _database_errors(), session_scope(engine()) as session:
        if organisation_id is None:
            # A call without a body authenticates in its own transaction (one round trip less).
            organisation = organisation_for_key(session, key)
            assert organisation.id is not None
            organisation_id = organisation.id
            limit.check(organisation_id)
        raw_id = request.path_params.get("id")
        call = Call(
            session=session,
            organisation_id=organisation_id,
            path_id=None if raw_id is None else parse_id(str(raw_id), operation.noun),
            query=parse_query(operation.query, request.query_params),
            body=None if operation.body is None else _body(operation, operation.body, raw),
            url=request.url,
        )
        return operation.handler(call)


def _body(operation: Operation, model: type[BaseModel], raw: bytes) -> BaseModel:
    full = operation.merged_with
    fixed = frozenset(full.model_fields).difference(model.model_fields) if full else frozenset()
    return parse_body(raw, model, body_schema(model, full), fixed)


# Constraint names (PostgreSQL) and column lists (SQLite) to the message a client can act on.
_UNIQUE_MESSAGES = (
    (("uq_rider_org_phone", "rider.phone"), "a rider with this phone number already exists"),
    (("uq_driver_org_phone", "driver.phone"), "a driver with this phone number already exists"),
    (("uq_place_org_name", "place.name"), "a place with this name already exists"),
)


def _integrity_error(exc: IntegrityError) -> RidesError:
    """The client's view of a constraint failure (the transaction is already rolled back)."""
    text = str(exc.orig)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate == "23505" or "UNIQUE constraint failed" in text:
        for needles, message in _UNIQUE_MESSAGES:
            if any(needle in text for needle in needles):
                return Conflict(f"{message}; change it or update the existing one")
        return Conflict("this would duplicate an existing row; nothing was changed")
    if sqlstate == "23503" or "FOREIGN KEY constraint failed" in text:
        return Conflict("other rows still refer to this one; nothing was changed")
    return InvalidInput.one("body", "the values break a rule of the data model; check them")


def next_url(url: URL, limit: int, offset: int, total: int) -> str | None:
    """The URL of the page after this one, or None on the last page.

    A path with its query, without scheme and host: those would come from the request's Host
    header, which the client chooses, so an absolute link could point anywhere.
    """
    if offset + limit >= total:
        return None
    following = url.include_query_params(limit=limit, offset=offset + limit)
    return f"{following.path}?{following.query}"


def default_engine() -> Engine:
    """The process-wide engine from ``DATABASE_URL`` (looked up per request, not at import)."""
    return get_engine()
