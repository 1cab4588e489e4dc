"""The composed web app: every service's routes under one Starlette app."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from services.booking.api.app import api_document
from services.web import create_app
from shared.db import dispose_engines
from shared.migrations import upgrade
from shared.settings import reset_settings


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    dispose_engines()
    return TestClient(create_app())


def test_the_health_check_reaches_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_the_openapi_document_is_served_at_the_root(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == api_document()


def test_an_unknown_path_gets_a_json_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
def test_twilio_webhooks_refuse_unsigned_posts(client: TestClient, path: str) -> None:
    assert client.post(path, data={"MessageSid": "SM1", "From": "+1"}).status_code == 403
