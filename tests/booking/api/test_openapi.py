"""The OpenAPI document: served, complete, and true to what the endpoints accept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from services.booking.api.app import api_document, api_routes, create_api_app
from services.booking.api.openapi import API_ROOT

SERVER_FIELDS = {"id", "organisation_id", "status", "source", "reference_code", "review_state"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document as the app serves it."""
    response = TestClient(create_api_app()).get(f"{API_ROOT}/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_document_is_served_under_the_api_root_and_at_the_app_root(
    document: dict[str, Any],
) -> None:
    at_root = TestClient(create_api_app()).get("/openapi.json")
    assert at_root.json() == document == api_document()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": API_ROOT}]


def test_every_route_and_method_is_documented_and_nothing_else() -> None:
    routed = {
        (route.path, method)
        for route in api_routes()
        if isinstance(route, Route) and route.path != "/openapi.json"
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {
        (path, method.upper())
        for path, operations in api_document()["paths"].items()
        for method in operations
    }
    assert routed == documented
    assert len(documented) == 27  # 20 booking operations and 7 of the dispatcher (plans, rides)


def test_every_operation_needs_the_api_key_and_documents_401(document: dict[str, Any]) -> None:
    assert document["security"] == [{"apiKey": []}]
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert scheme == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "401" in operation["responses"]


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    for ref in _refs(document):
        match = re.fullmatch(r"#/components/schemas/([A-Za-z0-9._-]+)", ref)
        assert match is not None and match.group(1) in names, ref


def test_request_bodies_refuse_unknown_fields_and_never_offer_server_fields(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    bodies = [
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for operations in document["paths"].values()
        for op in operations.values()
        if "requestBody" in op
    ]
    # create and update of four resources, cancel; run a plan, move and lock a ride
    assert len(bodies) == 12
    for name in bodies:
        assert schemas[name]["additionalProperties"] is False
        assert not SERVER_FIELDS & set(schemas[name]["properties"]), name


def test_a_patch_body_carries_the_create_models_limits(document: dict[str, Any]) -> None:
    place_update = document["components"]["schemas"]["PlaceUpdate"]["properties"]
    assert place_update["name_zh"]["anyOf"][0]["maxLength"] == 200
    # A place must keep a name, so the document does not offer null for it.
    assert place_update["name"] == {
        "maxLength": 200,
        "minLength": 1,
        "title": "Name",
        "type": "string",
    }
    rider_update = document["components"]["schemas"]["RiderUpdate"]["properties"]
    assert rider_update["active"]["type"] == "boolean"


def test_lists_are_documented_as_pages_with_their_filters(document: dict[str, Any]) -> None:
    listing = document["paths"]["/ride-requests"]["get"]
    names = [param["name"] for param in listing["parameters"]]
    assert names == [
        "service_date", "status", "rider_id", "kind", "outbound_request_id", "limit", "offset",
    ]  # fmt: skip
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page == "#/components/schemas/RideRequestPublicPage"


def test_the_composed_web_app_serves_the_api_under_its_root() -> None:
    from services.web import create_app

    client = TestClient(create_app())
    assert client.get(f"{API_ROOT}/openapi.json").json() == api_document()
    assert client.get(f"{API_ROOT}/riders").status_code == 401
