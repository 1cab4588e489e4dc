"""The OpenAPI 3.1 document of the JSON API, built from the same operations as the router.

Request and response schemas are the pydantic models' own JSON schemas, so the document cannot
promise fields the endpoints do not accept or return.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.booking.api._http import Operation
from services.booking.api._input import MAX_ID
from services.booking.api._rows import Page
from services.booking.api._shape import REF, body_schema, without_null
from services.booking.api.auth import API_KEY_HEADER
from services.booking.api.errors import Error

API_ROOT = "/api/v1"
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "Deleted",
    401: "No API key, or not a valid one",
    404: "No such row in your organisation",
    409: "Clashes with existing rows or the row's state; nothing changed",
    422: "Invalid input, one message per field; nothing changed",
    429: "Too many calls with this API key; nothing changed, wait (see Retry-After)",
    503: "The database is busy; nothing changed, try again (see Retry-After)",
}


class _Components:
    """Collects the models' own JSON schemas (and their ``$defs``) under ``components/schemas``."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self.error = self.add("Error", Error.model_json_schema(ref_template=REF))

    def add(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        schema = dict(schema)  # the body schemas are cached and shared: never change them
        self.schemas.update(schema.pop("$defs", {}))
        self.schemas[name] = schema
        return {"$ref": REF.format(model=name)}

    def body(self, op: Operation, model: type[BaseModel]) -> dict[str, str]:
        # The very schema the endpoint checks bodies against (see ``_shape``).
        return self.add(model.__name__, body_schema(model, op.merged_with))

    def item(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        return self.add(model.__name__, schema)

    def page(self, model: type[BaseModel]) -> dict[str, str]:
        schema = Page[model].model_json_schema(  # type: ignore[valid-type]
            ref_template=REF, mode="serialization"
        )
        return self.add(f"{model.__name__}Page", schema)


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(op: Operation, components: _Components) -> dict[str, Any]:
    listing = op.method == "GET" and "{id}" not in op.path
    parameters: list[dict[str, Any]] = []
    if "{id}" in op.path:
        parameters.append(
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            }
        )
    query = op.query.model_json_schema(ref_template=REF)
    components.schemas.update(query.get("$defs", {}))
    for name, schema in query["properties"].items():
        # Every parameter is optional; absent (never null) means "no filter".
        schema = {k: v for k, v in without_null(schema).items() if k != "title"}
        if schema.get("default", 0) is None:
            del schema["default"]
        description = schema.pop("description")
        parameters.append(
            {"name": name, "in": "query", "required": False, "description": description}
            | {"schema": schema}
        )
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": _STATUS_TEXT[op.status]}
    if op.response is not None:
        shape = components.page if listing else components.item
        success["content"] = _json(shape(op.response))
    responses[str(op.status)] = success
    for status in (401, *op.errors, 429, 503):
        responses[str(status)] = {
            "description": _STATUS_TEXT[status],
            "content": _json(components.error),
        }
    document: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    }
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": _json(components.body(op, op.body)),
        }
    return document


def build_document(operations: list[Operation]) -> dict[str, Any]:
    """The OpenAPI document describing ``operations``, mounted at ``API_ROOT``."""
    components = _Components()
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "rides booking API",
            "version": "1",
            "description": (
                "Riders, drivers, places and ride requests of one organisation. Every call needs "
                f"the organisation's API key in the {API_KEY_HEADER} header "
                "(`rides apikey create --organisation SLUG`)."
            ),
        },
        "servers": [{"url": API_ROOT}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
            },
        },
    }
