"""Reading API input safely: JSON bodies, query parameters and path ids.

Everything a client sends is checked here before it reaches a model or the database, so bad input
is a 4xx with a message and never a 500: malformed JSON, NaN, NUL characters and lone surrogates
(which PostgreSQL refuses), ids beyond the database's integer range, and fields the client may not
set (ids, organisation, status, source, reference code).

Query strings are pydantic models (``Query``). Bodies are read with ``json`` rather than
pydantic's parser on purpose (measured): pydantic takes NaN and 1e400 as numbers and then reports
them as "less than or equal to 90", accepts NUL characters, and says "invalid unicode code point"
for Latin-1 text; the messages here say what to send instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from services.booking.api._shape import type_problems
from services.booking.api.errors import FieldProblem, InvalidInput
from shared.errors import InvalidPhoneNumber, NotFound

M = TypeVar("M", bound=BaseModel)
Q = TypeVar("Q", bound="Query")

# Primary and foreign keys are 32-bit INTEGER columns on PostgreSQL.
MAX_ID = 2**31 - 1
MAX_BODY_BYTES = 256 * 1024
# No field needs more; pydantic cannot serialise deeper than 255 levels, so a deeper document
# stored in a JSON column could never be read back.
MAX_JSON_DEPTH = 32
# Python refuses to convert longer integers (CVE-2020-10735); no field needs a tenth of that.
MAX_INTEGER_DIGITS = 100
# Set by the server, never by a client; named in the error so the client knows why.
SERVER_FIELDS = frozenset(
    {
        "id",
        "organisation_id",
        "status",
        "status_changed_at",
        "status_changed_by",
        "status_reason",
        "source",
        "reference_code",
        "outbound_request_id",
        "consent_state",
        "consent_changed_at",
        "consent_source",
        "review_state",
        "created_at",
        "updated_at",
    }
)


def _digits(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]{1,18}", value):
        raise ValueError("should be a whole number")
    return value


def _true_false(value: Any) -> Any:
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("should be true or false")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("should be a date, YYYY-MM-DD")
    return value


# Query values in their one canonical spelling: pydantic, even in strict mode, would also take
# "1.0" for 1, "yes" or "1" for true and "0" for 1970-01-01 (measured with pydantic 2.14).
TrueFalse = Annotated[bool, BeforeValidator(_true_false)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# The digits check comes after the bounds so that the schema shows them as minimum and maximum.
RowId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_digits)]
Limit = Annotated[
    int, Field(ge=1, le=200, description="Rows per page (1 to 200)."), BeforeValidator(_digits)
]
Offset = Annotated[
    int,
    Field(
        ge=0,
        le=10**9,
        description="Rows to skip; follow the page's `next` URL rather than computing it.",
    ),
    BeforeValidator(_digits),
]
DEFAULT_LIMIT = 50


class Query(BaseModel):
    """An operation's query parameters; the OpenAPI document lists this model's fields.

    Unknown parameters are refused: a misspelt filter (``?servce_date=``) would otherwise
    silently list everything.
    """

    model_config = ConfigDict(extra="forbid")


def parse_query(model: type[Q], query: Mapping[str, str]) -> Q:
    """Validate the query string with ``model``; every problem is an ``InvalidInput``."""
    values = {name: _clean_text(raw, f"query.{name[:40]}") for name, raw in query.items()}
    try:
        return model.model_validate_strings(values)
    except ValidationError as exc:
        raise InvalidInput.from_pydantic(exc, "query") from exc


def parse_id(raw: str, noun: str) -> int:
    """A path id; anything that cannot be a row's id is simply not found."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    raise NotFound(f"no {noun} {raw[:20]!r} in your organisation")


def parse_body(
    raw: bytes, model: type[M], schema: dict[str, Any], fixed: frozenset[str] = frozenset()
) -> M:
    """Read a JSON object, check its JSON types against ``schema``, validate it with ``model``.

    Fields the model does not accept are refused, not ignored, so a client that sends ``status``
    or ``organisation_id`` learns at once that they are the server's to set; ``fixed`` names
    fields a PATCH cannot change (set when the row was created).
    """
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput.one("body", f"the body is larger than {MAX_BODY_BYTES} bytes")
    data = _load_json(raw)
    if not isinstance(data, dict):
        raise InvalidInput.one("body", "send a JSON object")
    # Before anything echoes a key back: a lone surrogate cannot be written into the answer.
    _check_values(data)
    refused = [
        FieldProblem(f"body.{key}", _refusal(key, fixed))
        for key in data
        if key not in model.model_fields
    ]
    if refused:
        raise InvalidInput(refused)
    problems = type_problems(data, schema)
    if problems:
        raise InvalidInput(problems)
    return validate(model, data)


def validate(model: type[M], data: Mapping[str, Any], prefix: str = "body") -> M:
    """``model.model_validate`` with every failure as ``InvalidInput``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.from_pydantic(exc, prefix) from exc
    except InvalidPhoneNumber as exc:
        # Phone validators raise the shared error rather than a ValueError; phone is the only
        # field that has one.
        raise InvalidInput.one(f"{prefix}.phone", str(exc)) from exc


def check_reference(value: int | None, field: str) -> int | None:
    """A foreign key from the body, refused before it can overflow a database integer."""
    if value is not None and not 1 <= value <= MAX_ID:
        raise InvalidInput.one(field, f"{value} is not an id; ids are 1 to {MAX_ID}")
    return value


def _refusal(key: str, fixed: frozenset[str]) -> str:
    if key in fixed:
        return "cannot be changed once created; cancel or deactivate and create a new one"
    if key in SERVER_FIELDS:
        return "set by the server; it cannot be sent"
    return "not a field of this resource; check the spelling against the API document"


def _reject_constant(name: str) -> float:
    raise InvalidInput.one("body", f"{name} is not a number JSON allows; send a finite number")


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InvalidInput.one(
            "body", f"a number has more than {MAX_INTEGER_DIGITS} digits; send a smaller one"
        )
    return int(digits)


def _load_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except UnicodeDecodeError as exc:
        raise InvalidInput.one("body", "the body is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput.one("body", f"the body is not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise InvalidInput.one("body", "the JSON is nested too deeply") from exc


def _check_values(data: Any) -> None:
    # Iterative on purpose: a deeply nested document must not exhaust the stack here either.
    pending: list[tuple[str, Any, int]] = [("body", data, 0)]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput.one(
                "body", f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep"
            )
        if isinstance(value, str):
            _clean_text(value, path)
        elif isinstance(value, float) and not math.isfinite(value):
            # 1e400 parses to infinity, which no JSON response (or PostgreSQL JSON) can hold.
            raise InvalidInput.one(path, "the number is too large; send a finite number")
        elif isinstance(value, dict):
            for key, item in value.items():
                _clean_text(key, path)
                pending.append((f"{path}.{key}", item, depth + 1))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}", item, depth + 1) for index, item in enumerate(value))


def _clean_text(value: str, field: str) -> str:
    if "\x00" in value:
        raise InvalidInput.one(field, "text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput.one(field, "text holds an unpaired UTF-16 surrogate") from exc
    return value
