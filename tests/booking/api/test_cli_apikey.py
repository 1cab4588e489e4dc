"""``rides apikey create``: a key printed once, working at once, replacing the previous one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient
from typer.testing import CliRunner

from services.booking.api.app import create_api_app
from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from shared.db import dispose_engines
from shared.models import Organisation
from shared.settings import reset_settings

runner = CliRunner()


@pytest.fixture
def organisation(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine) -> str:
    """An organisation without a key, in the database ``DATABASE_URL`` points at."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    reset_settings()
    dispose_engines()
    with Session(engine) as session:
        session.add(Organisation(slug="north-york-rides", name="North York Rides"))
        session.commit()
    return "north-york-rides"


def _create_key(slug: str) -> str:
    result = runner.invoke(app, ["apikey", "create", "--organisation", slug])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_the_printed_key_opens_the_api_for_its_organisation(
    organisation: str, engine: Engine
) -> None:
    key = _create_key(organisation)
    client = TestClient(create_api_app(engine), headers={"X-API-Key": key})
    assert client.get("/api/v1/riders").status_code == 200


def test_a_new_key_replaces_the_old_one(organisation: str, engine: Engine) -> None:
    old = _create_key(organisation)
    new = _create_key(organisation)
    assert old != new
    client = TestClient(create_api_app(engine))
    assert client.get("/api/v1/riders", headers={"X-API-Key": old}).status_code == 401
    assert client.get("/api/v1/riders", headers={"X-API-Key": new}).status_code == 200


def test_an_unknown_organisation_is_an_error_naming_the_known_ones(organisation: str) -> None:
    result = runner.invoke(app, ["apikey", "create", "--organisation", "nowhere"])
    assert result.exit_code == 1
    assert "no organisation 'nowhere'" in result.output
    assert organisation in result.output


def test_apikey_create_is_documented() -> None:
    result = runner.invoke(app, ["apikey", "create", "--help"])
    assert result.exit_code == 0
    assert "--organisation" in result.output
