"""Bad input is a 4xx with a message per field, never a 500, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from services.booking.api.app import create_api_app
from shared.db import make_engine
from shared.models import Place, Rider, RideRequest
from tests.booking.api import bodies
from tests.booking.api.conftest import API, Tenant, count


def _problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {p["field"]: p["message"] for p in response.json()["error"]["errors"]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{nonsense", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "send a JSON object"),
        (b'"just text"', "send a JSON object"),
        (b'{"name": "A", "phone": "4165550101", "home_latitude": NaN}', "finite number"),
        (b'{"name": "A", "phone": "4165550101", "home_latitude": 1e400}', "too large"),
        (b'{"name": "A\\u0000", "phone": "4165550101"}', "NUL"),
        (b'{"name": "\\ud800", "phone": "4165550101"}', "surrogate"),
        (b'{"name": "\xff\xfe", "phone": "4165550101"}', "not UTF-8"),
        (b"[" * 150_000 + b"]" * 150_000, "larger than"),
    ],
    ids=["malformed", "empty", "array", "string", "nan", "overflow", "nul", "surrogate",
         "latin-1", "huge"],
)  # fmt: skip
def test_a_body_that_is_not_a_clean_json_object_is_refused(
    ours: Tenant, engine: Engine, raw: bytes, message: str
) -> None:
    response = ours.client.post(
        f"{API}/riders", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    assert count(engine, Rider) == 0


def test_deeply_nested_json_is_refused_without_a_crash(ours: Tenant) -> None:
    nested = b'{"name": "A", "phone": "4165550101", "notes": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = ours.client.post(f"{API}/riders", content=nested)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seats_needed", "2", "should be a whole number, not text"),
        ("seats_needed", 2.5, "should be a whole number, not a number"),
        ("seats_needed", 10**30, "less than or equal to 8"),
        ("wheelchair", 1, "should be true or false, not a whole number"),
        ("home_latitude", True, "should be a number or null"),
        ("home_latitude", 91, "less than or equal to 90"),
        ("preferred_language", "fr", "'en', 'zh-Hant' or 'zh-Hans'"),
        ("phone", "call me maybe", "is not a phone number"),
        ("name", "", "at least 1 character"),
        ("notes", "字" * 2001, "at most 2000 characters"),
    ],
)
def test_a_wrong_field_is_named_with_what_to_send(
    ours: Tenant, engine: Engine, field: str, value: Any, message: str
) -> None:
    problems = _problems(ours.post("/riders", bodies.rider(**{field: value})))
    assert message in problems[f"body.{field}"]
    assert count(engine, Rider) == 0


def test_text_in_any_script_is_stored_as_sent(ours: Tenant) -> None:
    name = "黃美玲 🚗 Nguyễn"
    created = ours.create("/riders", bodies.rider(name=name, notes="輪椅 ♿"))
    assert ours.get(f"/riders/{created['id']}").json()["name"] == name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 99),
        ("organisation_id", 2),
        ("status", "completed"),
        ("source", "dispatcher"),
        ("reference_code", "AAAAAA"),
        ("outbound_request_id", 1),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_server_fields_in_a_new_request_are_refused_and_nothing_is_stored(
    ours: Tenant, engine: Engine, field: str, value: Any
) -> None:
    rider = ours.create("/riders", bodies.rider())
    place = ours.create("/places", bodies.place())
    body = bodies.appointment(rider["id"], place["id"], **{field: value})
    problems = _problems(ours.post("/ride-requests", body))
    assert problems == {f"body.{field}": "set by the server; it cannot be sent"}
    assert count(engine, RideRequest) == 0


@pytest.mark.parametrize("field", ["id", "organisation_id", "review_state", "consent_state"])
def test_server_fields_in_a_rider_patch_are_refused_and_nothing_changes(
    ours: Tenant, theirs: Tenant, field: str
) -> None:
    created = ours.create("/riders", bodies.rider())
    value = theirs.organisation_id if field.endswith("id") else "rejected"
    response = ours.patch(f"/riders/{created['id']}", {field: value, "name": "Changed"})
    assert _problems(response) == {f"body.{field}": "set by the server; it cannot be sent"}
    assert ours.get(f"/riders/{created['id']}").json() == created


def test_a_status_cannot_be_patched_into_a_request(ours: Tenant) -> None:
    rider = ours.create("/riders", bodies.rider())
    place = ours.create("/places", bodies.place())
    created = ours.create("/ride-requests", bodies.grocery(rider["id"], place["id"]))
    response = ours.patch(f"/ride-requests/{created['id']}", {"status": "completed"})
    assert "body.status" in _problems(response)
    assert ours.get(f"/ride-requests/{created['id']}").json()["status"] == "requested"


def test_a_misspelt_field_is_refused_rather_than_ignored(ours: Tenant, engine: Engine) -> None:
    problems = _problems(ours.post("/places", bodies.place(lattitude=43.7)))
    assert "not a field of this resource" in problems["body.lattitude"]
    assert count(engine, Place) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rider_id": 10**30}, "body.rider_id"),
        ({"to_place_id": 2**31}, "body.to_place_id"),
        ({"arrive_by": "9999-12-31T23:59:59-05:00"}, "body.arrive_by"),
        ({"arrive_by": "2026-12-03T10:00:00"}, "body.arrive_by"),
        ({"service_date": "0"}, "body.service_date"),
        ({"kind": "taxi"}, "body.kind"),
        ({"passengers": -1}, "body.passengers"),
    ],
    ids=["huge rider", "place beyond int32", "year 9999", "naive time", "date", "kind", "neg"],
)
def test_a_bad_ride_request_is_a_422_naming_the_field(
    ours: Tenant, engine: Engine, changes: dict[str, Any], field: str
) -> None:
    rider = ours.create("/riders", bodies.rider())
    place = ours.create("/places", bodies.place())
    body = bodies.appointment(rider["id"], place["id"]) | changes
    assert field in _problems(ours.post("/ride-requests", body))
    assert count(engine, RideRequest) == 0


def test_a_request_breaking_a_rule_of_its_kind_says_which(ours: Tenant) -> None:
    rider = ours.create("/riders", bodies.rider())
    place = ours.create("/places", bodies.place())
    body = bodies.grocery(rider["id"], place["id"], earliest_departure=None)
    response = ours.post("/ride-requests", body)
    assert _problems(response) == {"body": "a grocery ride needs earliest_departure"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"offset": 10**40}, "query.offset"),
        ({"active": "maybe"}, "query.active"),
        ({"review_state": "unknown"}, "query.review_state"),
        ({"phone": "not a phone"}, "query.phone"),
    ],
)
def test_bad_query_parameters_are_a_422_naming_the_parameter(
    ours: Tenant, params: dict[str, Any], field: str
) -> None:
    assert field in _problems(ours.get("/riders", **params))


@pytest.mark.parametrize("raw_id", ["abc", "0", "-1", "99999999999999999999", "1.5", "%00"])
def test_a_path_id_that_cannot_exist_is_not_found(ours: Tenant, raw_id: str) -> None:
    response = ours.client.get(f"{API}/riders/{raw_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unsupported_method_lists_the_allowed_ones(ours: Tenant) -> None:
    response = ours.client.put(f"{API}/riders/1", json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH"}


def test_an_unknown_query_parameter_is_refused_rather_than_ignored(ours: Tenant) -> None:
    problems = _problems(ours.get("/ride-requests", servce_date="2026-12-03"))
    assert problems == {"query.servce_date": "not a parameter of this operation"}


@pytest.mark.parametrize("path", ["/nowhere", "/riders/1/2/3", "/riders/a%0Ab"])
def test_a_path_the_api_does_not_have_is_a_json_404(ours: Tenant, path: str) -> None:
    response = ours.client.get(f"{API}{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_field_fixed_at_booking_is_refused_in_a_patch_with_what_to_do(ours: Tenant) -> None:
    rider = ours.create("/riders", bodies.rider())
    place = ours.create("/places", bodies.place())
    created = ours.create("/ride-requests", bodies.grocery(rider["id"], place["id"]))
    response = ours.patch(f"/ride-requests/{created['id']}", {"service_date": "2026-12-05"})
    assert "cannot be changed once created" in _problems(response)["body.service_date"]


def test_a_whole_number_written_with_a_decimal_point_is_accepted(ours: Tenant) -> None:
    assert ours.create("/riders", bodies.rider(seats_needed=2.0))["seats_needed"] == 2


def test_an_unreachable_database_is_a_503_that_invites_a_retry() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    client = TestClient(create_api_app(engine), headers={"X-API-Key": "some-key"})
    response = client.get(f"{API}/riders")
    engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "unavailable"
