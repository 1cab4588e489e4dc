"""The API against hostile clients: key before body, per-key rate, bounded input, safe links."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient

from services.booking.api.app import api_document, create_api_app
from shared.models import Driver, Place, Rider
from shared.settings import reset_settings
from tests.booking.api import bodies
from tests.booking.api.conftest import API, Tenant, count


def _problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {p["field"]: p["message"] for p in response.json()["error"]["errors"]}


# --- JSON that used to give 500 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"\\ud800": 1}', "unpaired UTF-16 surrogate"),
        (b'{"name": "A", "phone": "4165550101", "\\udfff": "x"}', "unpaired UTF-16 surrogate"),
        (b'{"name": "A", "phone": "4165550101", "seats_needed": ' + b"9" * 4301 + b"}",
         "more than 100 digits"),
        (b'{"name": "A", "phone": "4165550101", "seats_needed": -' + b"9" * 5000 + b"}",
         "more than 100 digits"),
        (b'{"name": "A", "phone": "4165550101", "notes": ' + b"[" * 256 + b"]" * 256 + b"}",
         "nested more than 32 levels"),
        (b'{"x": ' + b'{"a": ' * 300 + b"1" + b"}" * 300 + b"}", "nested more than 32 levels"),
    ],
    ids=["surrogate-key", "surrogate-key-among-fields", "int-4301-digits", "negative-huge-int",
         "arrays-256-deep", "objects-300-deep"],
)  # fmt: skip
def test_json_that_python_or_pydantic_cannot_handle_is_a_422(
    ours: Tenant, engine: Engine, raw: bytes, message: str
) -> None:
    response = ours.client.post(
        f"{API}/riders", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]
    assert count(engine, Rider) == 0


def test_a_place_with_deep_opening_hours_is_refused_before_it_is_stored(
    ours: Tenant, engine: Engine
) -> None:
    """Stored, 256 levels could never be read back (pydantic stops serialising at 255)."""
    deep: Any = 1
    for _ in range(256):
        deep = {"a": deep}
    response = ours.client.post(
        f"{API}/places", json=bodies.place(opening_hours={"mon": deep}), headers={}
    )
    assert response.status_code == 422
    assert count(engine, Place) == 0


# --- bounded lists and JSON fields ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/places", bodies.place(aliases=["a"] * 21), "body.aliases", "at most 20 items"),
        ("/places", bodies.place(aliases=["a" * 201]), "body.aliases.0", "at most 200"),
        ("/places", bodies.place(aliases=[""]), "body.aliases.0", "at least 1"),
        ("/places", bodies.place(opening_hours={str(d): "9-5" for d in range(15)}),
         "body.opening_hours", "at most 14 items"),
        ("/drivers", bodies.driver(spoken=["en"] * 11), "body.spoken", "at most 10 items"),
        ("/drivers", bodies.driver(spoken=["english-please"]), "body.spoken.0", "at most 8"),
        ("/drivers", bodies.driver(languages=["en", "zh-Hant", "zh-Hans", "en"]),
         "body.languages", "at most 3 items"),
    ],
    ids=["aliases", "alias-long", "alias-empty", "opening-hours", "spoken", "spoken-long",
         "languages"],
)  # fmt: skip
def test_list_and_json_fields_are_bounded(
    ours: Tenant, engine: Engine, path: str, body: dict[str, Any], field: str, message: str
) -> None:
    problems = _problems(ours.post(path, body))
    assert message in problems[field]
    assert count(engine, Place) + count(engine, Driver) == 0


def test_the_bounds_are_in_the_api_document() -> None:
    schemas = api_document()["components"]["schemas"]
    aliases = schemas["PlaceCreate"]["properties"]["aliases"]
    assert (aliases["maxItems"], aliases["items"]["maxLength"]) == (20, 200)
    assert schemas["DriverCreate"]["properties"]["spoken"]["maxItems"] == 10


# --- the key before the body ----------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "not-a-key", "x" * 43])
def test_a_call_without_a_valid_key_is_answered_before_its_body_is_read(
    app: Any, ours: Tenant, key: str | None
) -> None:
    """At the ASGI level: the app never asks for the body of an unauthenticated write."""
    reads: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": b'{"name": "A"}', "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    if key is not None:
        headers.append((b"x-api-key", key.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": f"{API}/riders", "raw_path": f"{API}/riders".encode(),
        "root_path": "", "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }  # fmt: skip
    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 401
    assert reads == []


def test_a_valid_key_gets_its_body_read(ours: Tenant) -> None:
    assert ours.post("/riders", bodies.rider()).status_code == 201


# --- per-key rate limit ---------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A slow rate (3 calls at once, then one every 100 s), in memory or in Redis."""
    monkeypatch.setenv("API_RATE_PER_SECOND", "0.01")
    monkeypatch.setenv("API_RATE_BURST", "3")
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url)
        for key in client.scan_iter("rides:api-rate:*"):
            client.delete(key)
        monkeypatch.setenv("REDIS_URL", url)
        reset_settings()
        yield request.param
        for key in client.scan_iter("rides:api-rate:*"):
            client.delete(key)
        client.close()
        return
    reset_settings()
    yield request.param


def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_are_not_slowed(
    limited: str, engine: Engine, ours: Tenant, theirs: Tenant
) -> None:
    app = create_api_app(engine)
    ours_client = TestClient(app, headers={"X-API-Key": ours.key})
    theirs_client = TestClient(app, headers={"X-API-Key": theirs.key})
    statuses = [ours_client.get(f"{API}/riders").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = ours_client.post(f"{API}/riders", json=bodies.rider())
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 100
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert count(engine, Rider) == 0
    assert theirs_client.get(f"{API}/riders").status_code == 200


def test_a_second_web_process_shares_the_count_in_redis(
    engine: Engine, ours: Tenant, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("rides:api-rate:*"):
        client.delete(key)
    monkeypatch.setenv("API_RATE_PER_SECOND", "0.01")
    monkeypatch.setenv("API_RATE_BURST", "2")
    monkeypatch.setenv("REDIS_URL", redis_url)
    reset_settings()
    first = TestClient(create_api_app(engine), headers={"X-API-Key": ours.key})
    second = TestClient(create_api_app(engine), headers={"X-API-Key": ours.key})
    assert first.get(f"{API}/riders").status_code == 200
    assert second.get(f"{API}/riders").status_code == 200
    assert first.get(f"{API}/riders").status_code == 429
    assert second.get(f"{API}/riders").status_code == 429
    for key in client.scan_iter("rides:api-rate:*"):
        client.delete(key)
    client.close()


def test_unreachable_redis_lets_calls_through_uncounted(
    engine: Engine, ours: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_RATE_BURST", "1")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    reset_settings()
    client = TestClient(create_api_app(engine), headers={"X-API-Key": ours.key})
    assert [client.get(f"{API}/riders").status_code for _ in range(3)] == [200, 200, 200]


def test_the_document_lists_429_and_real_ranges_for_limit_and_offset() -> None:
    operation = api_document()["paths"]["/riders"]["get"]
    assert "429" in operation["responses"]
    ranges = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert (ranges["limit"]["minimum"], ranges["limit"]["maximum"]) == (1, 200)
    assert (ranges["offset"]["minimum"], ranges["offset"]["maximum"]) == (0, 10**9)


# --- links ----------------------------------------------------------------------------------


def test_the_next_link_does_not_follow_the_host_header(ours: Tenant) -> None:
    for index in range(3):
        ours.create("/riders", bodies.rider(phone=f"41655501{index:02d}"))
    page = ours.client.get(
        f"{API}/riders", params={"limit": 2}, headers={"Host": "evil.example"}
    ).json()
    assert page["next"] == f"{API}/riders?limit=2&offset=2"
    assert ours.client.get(page["next"]).json()["total"] == 3
