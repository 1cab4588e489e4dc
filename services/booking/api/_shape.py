"""The JSON schema of each request body, and a check of JSON types against it.

The schemas here are the ones the OpenAPI document publishes, and the API enforces their JSON
types and formats before pydantic sees the body; a client that sends the wrong type should hear
about it, not have it coerced. Pydantic's strict mode cannot do this for us (measured with
pydantic 2.14 and SQLModel 0.0.50): an SQLModel input model re-validates the parsed JSON in
Python mode, so ``model_validate_json(body, strict=True)`` still turns ``"2"`` into 2, ``1`` into
true and ``0`` into 1970-01-01, and ``strict=True`` in its config refuses ISO dates altogether.
Even a plain strict pydantic model refuses ``2.0`` for an integer (JSON Schema allows it) and
takes ``"0"`` as a date. Only types and formats are checked here; limits, enums and the models'
own rules stay pydantic's, with pydantic's messages.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel

from services.booking.api.errors import FieldProblem

REF = "#/components/schemas/{model}"

_FORMATS = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "date-time": re.compile(
        r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?"
    ),
}
_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


@cache
def body_schema(model: type[BaseModel], merged_with: type[BaseModel] | None) -> dict[str, Any]:
    """The schema of a request body, with its definitions under ``$defs``.

    A PATCH body (``merged_with`` given) is checked as a whole against the create model once
    merged with the stored row, so each field it sends has the create model's schema: the same
    limits, and null only where the create model allows it.
    """
    schema = model.model_json_schema(ref_template=REF)
    if merged_with is not None:
        full = merged_with.model_json_schema(ref_template=REF)
        defs = {**schema.get("$defs", {}), **full.get("$defs", {})}
        properties = {}
        for name, own in schema["properties"].items():
            chosen = full["properties"].get(name) or without_null(own)
            properties[name] = {k: v for k, v in chosen.items() if k != "default"}
        schema = {"type": "object", "title": model.__name__, "properties": properties}
        if defs:
            schema["$defs"] = defs
    # Unknown and server-set fields are refused with a 422.
    schema["additionalProperties"] = False
    return schema


def without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its null option, for a field that is optional but never null."""
    options = [option for option in schema.get("anyOf", ()) if option.get("type") != "null"]
    if len(options) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return schema


def type_problems(value: Any, schema: dict[str, Any], path: str = "body") -> list[FieldProblem]:
    """Where ``value`` has another JSON type (or date format) than ``schema`` says."""
    return _check(value, schema, schema.get("$defs", {}), path)


def _check(
    value: Any, schema: dict[str, Any], defs: dict[str, Any], path: str
) -> list[FieldProblem]:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        results = [_check(value, option, defs, path) for option in schema["anyOf"]]
        if all(results):
            allowed = " or ".join(_describe(option, defs) for option in schema["anyOf"])
            return [FieldProblem(path, f"should be {allowed}")]
        return []
    kind = schema.get("type")
    if kind is not None and not _is(value, kind):
        return [FieldProblem(path, f"should be {_NAMES[kind]}, not {_json_name(value)}")]
    pattern = _FORMATS.get(schema.get("format", ""))
    if pattern is not None and isinstance(value, str) and not pattern.fullmatch(value):
        return [FieldProblem(path, f"should be a {schema['format']} in ISO 8601 form")]
    problems: list[FieldProblem] = []
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems.extend(_check(item, schema["items"], defs, f"{path}.{index}"))
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                problems.extend(_check(item, schema["properties"][key], defs, f"{path}.{key}"))
    return problems


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        # As in JSON Schema, 4.0 is an integer; 4.5 is not.
        whole_float = isinstance(value, float) and value.is_integer()
        return whole_float or (isinstance(value, int) and not isinstance(value, bool))
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = {"string": str, "boolean": bool, "array": list, "object": dict}
    return value is None if kind == "null" else isinstance(value, expected[kind])


def _describe(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return "one of " + ", ".join(str(choice) for choice in schema["enum"])
    return _NAMES.get(schema.get("type", ""), "a value")


def _json_name(value: Any) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, kind):
            return _NAMES[kind]
    return type(value).__name__
