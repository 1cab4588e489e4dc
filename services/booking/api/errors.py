"""Errors of the booking service's JSON API, and the one place that turns them into responses.

Every error a handler raises on purpose is an ``ApiError`` (it knows its HTTP status, a stable
``code`` a client can branch on, and a message saying what was wrong and what to do) or one of
``shared.errors``' ``NotFound`` and ``Conflict``, which the shared code raises too and which
``error_response`` maps to 404 and 409. Anything else that escapes a handler is a bug and becomes
a 500 with no detail (logged, never shown).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.errors import Conflict, NotFound, RidesError

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One thing wrong with one input field; the field is a dotted path, e.g. query.limit."""

    field: str
    message: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field=field, message=message)


class ErrorDetail(BaseModel):
    """What went wrong: a stable code to branch on, a message, and any per-field problems."""

    code: str
    message: str
    errors: list[FieldProblem] = Field(default_factory=list)


class Error(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail

    def json_body(self) -> dict[str, Any]:
        """The JSON document (``errors`` only when there are field problems)."""
        return self.model_dump(exclude_defaults=True)


class ApiError(RidesError):
    """Base of every error the JSON API answers with on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON error document."""
        return Error(error=ErrorDetail(code=self.code, message=self.message)).json_body()


class Unauthorized(ApiError):
    """No API key, or one that belongs to no organisation."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'APIKey header="X-API-Key"'})


class Unavailable(ApiError):
    """The database is busy or unreachable; the same call may work a moment later."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": "1"})


class TooManyRequests(ApiError):
    """The key made more calls than its rate allows; nothing was done."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many calls with this API key; wait {retry_after} s (Retry-After) and slow down",
            headers={"Retry-After": str(max(1, retry_after))},
        )


class InvalidInput(ApiError):
    """Input that cannot be accepted, with one problem per field; nothing was changed."""

    status = 422
    code = "invalid_input"

    def __init__(self, problems: list[FieldProblem], message: str | None = None) -> None:
        super().__init__(message or "the request has invalid fields; see errors")
        self.problems = problems

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        """An error about a single field."""
        return cls([FieldProblem(field, message)], message=f"{field}: {message}")

    @classmethod
    def from_pydantic(cls, exc: ValidationError, prefix: str = "body") -> InvalidInput:
        """Pydantic's errors as ``{field, message}`` pairs, fields as dotted paths."""
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            path = ".".join(str(part)[:40] for part in (prefix, *error["loc"]))
            message = _readable(error["msg"])
            if error["type"] == "extra_forbidden":
                # Only query models forbid extras; bodies refuse unknown fields before pydantic.
                message = "not a parameter of this operation"
            problems.append(FieldProblem(path, message))
        return cls(problems)

    def body(self) -> dict[str, Any]:
        """The error document, with the per-field problems under ``errors``."""
        detail = ErrorDetail(code=self.code, message=self.message, errors=self.problems)
        return Error(error=detail).json_body()


# Errors of ``shared`` that the API passes on. NotFound: no such row in the caller's organisation
# (rows of other organisations look the same). Conflict: the change clashes with existing rows or
# with the row's state; nothing was changed.
_SHARED_ERRORS: tuple[tuple[type[RidesError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
)


def _readable(message: str) -> str:
    # Model validators' ValueErrors come prefixed with pydantic's "Value error, "; the rest of
    # the sentence is ours and already says what to do.
    return message.removeprefix("Value error, ")


def error_response(exc: Exception) -> JSONResponse:
    """The HTTP response for any exception a handler raised: the only such mapping."""
    if isinstance(exc, ApiError):
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
    for error, status, code in _SHARED_ERRORS:
        if isinstance(exc, error):
            return _answer(status, code, str(exc))
    if isinstance(exc, HTTPException):
        # Starlette's own answers (no route for a path, a method not allowed) in the same shape.
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return _answer(exc.status_code, code, exc.detail, exc.headers)
    log.exception("unexpected error in the JSON API", exc_info=exc)
    return _answer(500, "internal", "something went wrong on our side")


def _answer(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = Error(error=ErrorDetail(code=code, message=message)).json_body()
    return JSONResponse(body, status_code=status, headers=headers)


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """A Starlette exception handler answering HTTP errors as JSON (``exception_handlers``)."""
    return error_response(exc)
