"""The composed web app: every service's routes under one Starlette app."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.booking.api.app import api_document
from services.booking.sms.webhook import held_reply
from services.web import create_app
from shared.db import dispose_engines
from shared.held import HeldWebhook
from shared.manifest_links import manifest_token
from shared.migrations import upgrade
from shared.queue import build_broker, use_broker
from shared.settings import reset_settings
from tests.conftest import free_port


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    dispose_engines()
    return TestClient(create_app())


def test_liveness_and_readiness_with_everything_up(client: TestClient) -> None:
    with client:
        assert client.get("/healthz").json()["status"] == "ok"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "ok", "queue": "ok"},
            "held_webhooks": 0,
        }


def test_the_openapi_document_is_served_at_the_root(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == api_document()


def test_an_unknown_path_gets_a_json_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
def test_twilio_webhooks_refuse_unsigned_posts(client: TestClient, path: str) -> None:
    assert client.post(path, data={"MessageSid": "SM1", "From": "+1"}).status_code == 403


TOKEN = "web-test-token"
PUBLIC = "http://127.0.0.1:8000"


def _signed(client: TestClient, path: str, params: dict[str, str]) -> httpx2.Response:
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def database_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The web app (lifespan running) on a PostgreSQL URL where nothing listens."""
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("HELD_JOURNAL_PATH", str(tmp_path / "held" / "webhooks.jsonl"))
    monkeypatch.setenv("HELD_REPLAY_INTERVAL_SECONDS", "0.1")
    reset_settings()
    dispose_engines()
    with TestClient(create_app()) as client:
        yield client


def test_with_the_database_away_liveness_holds_and_readiness_names_it(
    database_away: TestClient,
) -> None:
    deadline = time.monotonic() + 10
    while database_away.get("/healthz").json().get("database") in (None, "ok", "not checked yet"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    health = database_away.get("/healthz")
    assert health.status_code == 200
    assert health.json()["database"].startswith("unreachable")
    ready = database_away.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["database"]
    assert ready.json()["checks"]["queue"] == "ok"
    assert "127.0.0.1" not in ready.text  # no host, port or password in the answer


def test_with_the_database_away_a_text_is_kept_and_answered_briefly(
    database_away: TestClient, tmp_path: Path
) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "From": "+14165550123", "To": "+14165550100"}
    response = _signed(database_away, "/sms/inbound", {**params, "Body": "ride tomorrow"})
    assert response.status_code == 200
    assert held_reply() in response.text
    assert "已收到" in held_reply() and "Got your message" in held_reply()
    status = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    assert _signed(database_away, "/sms/status", status).status_code == 204
    journal = (tmp_path / "held" / "webhooks.jsonl").read_text().splitlines()
    assert [HeldWebhook.from_json(line).kind for line in journal] == ["inbound", "status"]
    # An unsigned one is still refused, and not kept.
    assert database_away.post("/sms/inbound", data=params).status_code == 403
    assert len((tmp_path / "held" / "webhooks.jsonl").read_text().splitlines()) == 2
    assert database_away.get("/readyz").json()["held_webhooks"] == 2


def test_with_nowhere_to_keep_a_text_the_webhook_answers_503(
    database_away: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "blocked").write_text("")
    monkeypatch.setenv("HELD_JOURNAL_PATH", str(tmp_path / "blocked" / "webhooks.jsonl"))
    reset_settings()
    params = {"MessageSid": "SM" + "3" * 32, "From": "+14165550123", "To": "+14165550100"}
    response = _signed(database_away, "/sms/inbound", params)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    status = {"MessageSid": "SM" + "4" * 32, "MessageStatus": "sent"}
    assert _signed(database_away, "/sms/status", status).status_code == 503


def test_readiness_names_the_queue_when_redis_is_away(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    reset_settings()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["queue"]
    assert ready.json()["checks"]["database"] == "ok"
    assert client.get("/healthz").status_code == 200


def test_metrics_count_requests_by_route_template_never_by_raw_path(client: TestClient) -> None:
    use_broker(build_broker(None))  # an empty in-process queue, whatever a test before left
    client.get("/healthz")
    client.get("/api/v1/riders/4242", headers={"X-API-Key": "x" * 40})
    client.get("/no/such/+14165550123")
    _signed(client, "/sms/status", {"MessageSid": "SM1"})
    scraped = client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert 'route="/api/v1/riders/{id}"' in text
    assert 'rides_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched"' in text
    # No label carries the raw path's id or number (a timestamp's digits may: not checked).
    labels = re.findall(r'="([^"]*)"', text)
    assert not [v for v in labels if "4242" in v or "5550123" in v]
    assert "rides_http_request_duration_seconds_bucket" in text
    assert 'rides_queue_depth{queue="notifier"} 0.0' in text
    assert "rides_held_webhooks" in text


def test_with_the_database_away_pages_and_the_api_answer_503(database_away: TestClient) -> None:
    """A page that needs the database (a driver's manifest) and the API: 503, not 500."""
    token = manifest_token(1, date(2026, 12, 3))
    page = database_away.get(f"/m/{token}")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "30"
    api = database_away.get("/api/v1/riders", headers={"X-API-Key": "k" * 43})
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "unavailable"
