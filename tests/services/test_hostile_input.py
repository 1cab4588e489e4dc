"""Malformed and oversized input to every route of the web app gets a 4xx, never a 5xx.

The routes are read from ``services.web.create_app()`` itself, so a route added later is walked
too. Each is called as a hostile client would: bad path parameters (impossible dates, ids past
the database's integers, text, encoded NULs), odd query strings, bodies of the wrong type or
encoding, forms whose fields hold odd values, and bodies over the size limit (declared and
chunked). The JSON API gets a valid key, the Twilio webhooks valid signatures, the dispatcher's
forms a logged-in admin's session and a valid CSRF token, and the driver's manifest a valid link
and form token, so each handler's own validation is what answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.booking.api.auth import rotate_key
from services.manifest.app import csrf_token as manifest_form_token
from services.web import create_app
from shared.manifest_links import manifest_token
from shared.models import DispatcherUser, Organisation
from shared.models import Route as PlanRoute
from shared.settings import reset_settings
from tests.dispatch.conftest import (  # noqa: F401  (fixtures used here)
    DAY,
    Scenario,
    _cheap_password_hashes,
    a_driver_id,
    a_request_id,
    csrf,
    login,
    scenario,
)

TOKEN = "hostile-test-auth-token"
BASE = "http://testserver"
TEMPLATES = [
    Path(__file__).parents[2] / "services" / folder / "templates"
    for folder in ("dispatch", "manifest")
]
HUGE_ID = "99999999999999999999999"
OVER_LIMIT = 300 * 1024  # the default MAX_REQUEST_BODY_BYTES is 256 KiB

# Values any path parameter gets besides a valid one.
BAD_PATH_VALUES = ["0", "-1", HUGE_ID, "abc", "2026-02-30", "%00", "%E2%82%AC", "%FF", "a" * 600]
BAD_DAYS = ["2026-02-30", "0001-01-01", "9999-12-31", "99999-01-01", "today", "2026-1-1", "%FF"]
QUERIES = [
    "limit=-1&offset=abc",
    f"limit={HUGE_ID}&offset={HUGE_ID}",
    "limit=1.0&offset=1e3",
    "%FF=%FF&%00=%00",
    "service_date=2026-02-30&status=bogus&kind=x&rider_id=0&outbound_request_id=-1",
    "day=0001-01-01&date=9999-12-31&done=%00&next=//evil.example/x",
    "phone=%2B1416&active=maybe&review_state=x&user=%00&action=x&kind=",
    "a=" + "x" * 8000,
    "limit=1&limit=2&offset=0&offset=1",
    "service_date=99999-01-01&date=2026-13-45",
]
# What a form field may hold when a client is careless or hostile.
ODD_VALUES = [
    "",
    " ",
    "x" * 5000,
    "\x00",
    "-1",
    "0",
    HUGE_ID,
    "1e309",
    "NaN",
    "2026-13-45",
    "25:99",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "字" * 400,
    "true",
]
RAW_BODIES: list[tuple[str, bytes, str]] = [
    ("json-surrogate-key", b'{"\\ud800": 1}', "application/json"),
    ("json-huge-int", b'{"driver_id": ' + b"9" * 5000 + b"}", "application/json"),
    ("json-deep", b"[" * 300 + b"]" * 300, "application/json"),
    ("json-malformed", b"{nonsense", "application/json"),
    ("json-array", b"[1, 2]", "application/json"),
    ("json-null", b"null", "application/json"),
    ("json-wrong-types", b'{"driver_id": "x", "hold_out": 3, "reason": []}', "application/json"),
    ("latin-1", b"\xff\xfe\xfd", "application/json"),
    ("form-latin-1", b"reason=\xff\xfe&driver_id=\xff", "application/x-www-form-urlencoded"),
    ("form-broken-escapes", b"%%%=%zz&&==&a", "application/x-www-form-urlencoded"),
    ("multipart-no-boundary", b"--x\r\n\r\n", "multipart/form-data"),
    ("multipart-bad", b"--b\r\nContent-Disposition: junk\r\n\r\nx",
     "multipart/form-data; boundary=b"),
    ("text", b"hello", "text/plain"),
    ("xml", b"<?xml version='1.0'?><x/>", "application/xml"),
    ("empty-json", b"", "application/json"),
]  # fmt: skip


def app_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every (path template, methods) of the app, through its mounts."""
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from app_routes(route.routes, prefix + route.path)
            else:  # static files
                yield prefix + route.path + "/{path}", {"GET"}
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ())


def form_fields() -> list[str]:
    """Every form field name the dispatcher pages and the manifest use."""
    names: set[str] = set()
    for folder in TEMPLATES:
        for template in folder.glob("*.html"):
            names.update(re.findall(r'name="([a-z_]+)"', template.read_text()))
    return sorted(names - {"viewport", "robots", "csrftoken", "csrf_token"})


@dataclass
class Walk:
    """The calls made, and every one answered with a 5xx."""

    client: TestClient
    api_key: str
    valid: dict[str, list[str]]
    manifest_form: str
    calls: int = 0
    covered: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    def call(
        self,
        template: str,
        method: str,
        path: str,
        *,
        query: str = "",
        content: Any = None,
        content_type: str | None = None,
        form: dict[str, str] | None = None,
    ) -> httpx2.Response:
        headers = {"X-API-Key": self.api_key, "Origin": BASE}
        url = path + (f"?{query}" if query else "")
        if form is not None:
            form = {**form, "csrftoken": csrf(self.client), "csrf_token": self.manifest_form}
            if path.startswith("/sms/"):
                headers["X-Twilio-Signature"] = sign(BASE + path, form)
            if template == "/login":
                headers.pop("X-API-Key")
            response = self.client.request(method, url, data=form, headers=headers)
        else:
            if content_type is not None:
                headers["Content-Type"] = content_type
            if path.startswith("/sms/") and isinstance(content, bytes):
                headers["X-Twilio-Signature"] = sign(BASE + path, {})
            response = self.client.request(method, url, content=content, headers=headers)
        self.calls += 1
        self.covered.add(template)
        if response.status_code >= 500:
            shown = url if len(url) < 200 else url[:200] + "..."
            body = (
                form if form is not None else (content[:30] if isinstance(content, bytes) else "")
            )
            self.failures.append(f"{method} {shown} {str(body)[:120]} -> {response.status_code}")
        return response

    def relogin(self) -> None:
        """Log the admin back in if a call (logout, a disabled account) ended the session."""
        probe = self.client.get("/dispatch/audit")
        if probe.status_code != 200:
            self.client.cookies.clear()
            assert login(self.client, "admin@example.org") == 303


def sign(url: str, params: dict[str, str]) -> str:
    """Twilio's signature of a form posted to ``url``."""
    return str(RequestValidator(TOKEN).compute_signature(url, params))


def concrete_paths(template: str, valid: dict[str, list[str]], bad: bool) -> list[str]:
    """``template`` with valid parameters, or with each parameter bad in turn."""
    names = re.findall(r"{([a-z_]+)(?::[a-z]+)?}", template)

    def fill(values: dict[str, str]) -> str:
        def one(found: re.Match[str]) -> str:
            return values[found.group(1)]

        return re.sub(r"{([a-z_]+)(?::[a-z]+)?}", one, template)

    good = {name: valid.get(name, ["x"])[0] for name in names}
    if not bad:
        return [fill({**good, name: value}) for name in names for value in valid[name]] or [
            fill(good)
        ]
    paths = []
    for name in names:
        for value in BAD_DAYS if name == "day" else BAD_PATH_VALUES:
            paths.append(fill({**good, name: value}))
    return paths


@pytest.fixture
def walk(
    request: pytest.FixtureRequest, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Walk]:
    """The whole web app, a logged-in admin with a valid CSRF token, an API key, signed hooks."""
    setup: Scenario = request.getfixturevalue("scenario")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    reset_settings()
    with Session(engine, expire_on_commit=False) as session:
        organisation = session.get(Organisation, setup.organisation_id)
        assert organisation is not None
        key = rotate_key(session, organisation)
        viewer = session.exec(
            select(DispatcherUser).where(DispatcherUser.email == "viewer@example.org")
        ).one()
        route = session.exec(select(PlanRoute).where(PlanRoute.plan_id == setup.plan_id)).first()
        session.commit()
    assert route is not None and route.id is not None and viewer.id is not None
    driver_id = a_driver_id(engine, setup.organisation_id)
    token = manifest_token(driver_id, DAY)
    request_id = str(a_request_id(engine, setup.organisation_id))
    valid = {
        "id": [request_id, "1"],
        "request_id": [request_id],
        "plan_id": [str(setup.plan_id)],
        "route_id": [str(route.id)],
        "driver_id": [str(driver_id)],
        # Another account than the one walking: disabling it must not end the walk.
        "user_id": [str(viewer.id)],
        "day": [DAY.isoformat()],
        "token": [token],
        "action": ["accept", "decline", "bogus"],
        "path": ["htmx.min.js", "../../../etc/passwd", "%2e%2e/%2e%2e/secret", "none.css"],
    }
    client = TestClient(create_app(), follow_redirects=False, raise_server_exceptions=False)
    assert login(client, "admin@example.org") == 303
    yield Walk(client, key, valid, manifest_form_token(token))
    client.close()


def _routes() -> list[tuple[str, set[str]]]:
    # Logging in and out come last: they end the session the other calls use.
    found = list(app_routes(create_app().routes))
    return sorted(found, key=lambda item: item[0] in ("/login", "/logout"))


def _finish(walk: Walk, expected: set[str]) -> None:
    assert walk.covered == expected, f"routes not walked: {expected - walk.covered}"
    assert walk.failures == [], f"{len(walk.failures)} of {walk.calls} calls gave a 5xx:\n" + (
        "\n".join(walk.failures[:300])
    )


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_bad_path_parameters_and_query_strings_never_give_a_5xx(walk: Walk) -> None:
    routes = _routes()
    for template, methods in routes:
        walk.relogin()
        for method in sorted(methods | {"PUT"}):
            for path in concrete_paths(template, walk.valid, bad=True):
                walk.call(template, method, path)
            for path in concrete_paths(template, walk.valid, bad=False)[:1]:
                for query in QUERIES:
                    walk.call(template, method, path, query=query)
    _finish(walk, {template for template, _ in routes})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_malformed_bodies_and_odd_form_values_never_give_a_5xx(walk: Walk) -> None:
    routes = _routes()
    writes = [(t, m & {"POST", "PATCH", "DELETE", "PUT"} or {"POST"}) for t, m in routes]
    names = form_fields()
    assert {"driver_id", "time", "reason", "email"} <= set(names)
    for template, methods in writes:
        for method in sorted(methods):
            for path in concrete_paths(template, walk.valid, bad=False):
                walk.relogin()
                for _, raw, content_type in RAW_BODIES:
                    walk.call(template, method, path, content=raw, content_type=content_type)
                for value in ODD_VALUES:
                    walk.call(template, method, path, form=dict.fromkeys(names, value))
                # One field at a time, the others left out, as a hand-made request would.
                for name in names:
                    walk.call(template, method, path, form={name: ODD_VALUES[2]})
    _finish(walk, {template for template, _ in routes})


# Routes whose handlers read the body: a chunked body (no length declared) is refused as it
# arrives. Elsewhere nothing reads it, so nothing is buffered and the route answers as usual.
READERS = ["/sms/inbound", "/sms/status", "/api/v1/riders", "/dispatch/{day}/rides/new",
           "/m/{token}/{action}", "/dispatch/requests/{request_id:int}/move", "/login"]  # fmt: skip


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_oversized_body_gets_413_on_every_route_before_any_handler(walk: Walk) -> None:
    """A declared Content-Length over the limit is refused on every route and method."""
    routes = _routes()
    big = b"a=" + b"x" * OVER_LIMIT
    for template, methods in routes:
        walk.relogin()
        for method in sorted(methods | {"POST"}):
            path = concrete_paths(template, walk.valid, bad=False)[0]
            response = walk.call(
                template, method, path, content=big,
                content_type="application/x-www-form-urlencoded",
            )  # fmt: skip
            assert response.status_code == 413, (method, path, response.status_code)
            if method != "HEAD":
                assert "larger than" in response.json()["error"]["message"]
    _finish(walk, {template for template, _ in routes})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("template", READERS)
def test_an_oversized_chunked_body_gets_413_once_read(walk: Walk, template: str) -> None:
    big = b"a=" + b"x" * OVER_LIMIT

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 16 * 1024):
            yield big[start : start + 16 * 1024]

    path = concrete_paths(template, walk.valid, bad=False)[0]
    kind = (
        "application/json" if template.startswith("/api/") else "application/x-www-form-urlencoded"
    )
    response = walk.call(template, "POST", path, content=chunks(), content_type=kind)
    assert response.status_code == 413, (path, response.status_code, response.text[:200])
    assert "larger than" in response.json()["error"]["message"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_body_just_under_the_limit_reaches_its_handler(walk: Walk) -> None:
    """The guard refuses only what is over the limit: the API still says what is wrong."""
    body = b'{"name": "' + b"x" * (200 * 1024) + b'", "phone": "4165550101"}'
    response = walk.call(
        "/api/v1/riders", "POST", "/api/v1/riders", content=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "body.name" in response.text


def test_a_content_length_that_is_not_a_number_is_a_400() -> None:
    """Checked before anything is read (uvicorn refuses it too; this guards other servers)."""
    client = TestClient(create_app(), raise_server_exceptions=False)
    response = client.post("/sms/inbound", content=b"x", headers={"Content-Length": "1e3"})
    assert response.status_code == 400


def test_the_route_walk_sees_mounted_and_parametrised_routes() -> None:
    templates = {template for template, _ in app_routes(create_app().routes)}
    assert {"/api/v1/riders/{id}", "/m/{token}/{action}", "/dispatch/static/{path}"} <= templates
    assert "/dispatch/plans/{plan_id:int}" in templates


def test_the_body_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_REQUEST_BODY_BYTES", "2048")
    reset_settings()
    client = TestClient(create_app(), raise_server_exceptions=False)
    response = client.post("/sms/inbound", content=b"a=" + b"x" * 2100)
    assert response.status_code == 413
    assert "larger than 2048 bytes" in response.json()["error"]["message"]
