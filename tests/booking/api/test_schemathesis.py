"""Property tests from the OpenAPI document: no input gives a 5xx, every answer fits the document.

Schemathesis reads the document the app serves, generates requests for every operation, sends
them in-process to an app on each database and checks the answers. Fuzzing is bounded to 25
examples per operation and database, and one database per back-end serves the whole module (a
fresh one per operation would double the time), so the run stays well under a minute.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import text
from sqlmodel import Session, SQLModel
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services.booking.api.app import create_api_app
from services.booking.api.auth import API_KEY_HEADER, hash_key
from shared.db import make_engine
from shared.models import Organisation
from tests.booking.api import bodies

KEY = "schemathesis-organisation-key"

# Loading the document touches no database, so an app without an engine serves it here.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_api_app())
# The coverage phase sends every boundary case it can derive (~150 per operation) whatever
# max_examples says, which triples the run; it passed clean while the API was written, and the
# bugs it found are pinned by tests in test_bad_input. Turn it back on to hunt for more.
schema.config.phases.coverage.enabled = False


@schema.auth()
class OrganisationKey:
    """Sends the test organisation's key, so schemathesis knows the calls are authenticated."""

    def get(self, case: Any, ctx: Any) -> str:
        """The key."""
        return KEY

    def set(self, case: Any, data: str, ctx: Any) -> None:
        """Put the key in its header."""
        case.headers = {**(case.headers or {}), API_KEY_HEADER: data}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Starlette]:
    """The API on a migrated database of each back-end, with an organisation (key ``KEY``)
    that has a rider, a place and a booked appointment to find."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("schemathesis") / "rides.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(Organisation(slug="fuzzed", name="Fuzzed", api_key_hash=hash_key(KEY)))
        session.commit()
    app = create_api_app(engine)
    client = TestClient(app, headers={API_KEY_HEADER: KEY})
    rider = client.post("/api/v1/riders", json=bodies.rider()).json()
    place = client.post("/api/v1/places", json=bodies.place()).json()
    booked = client.post("/api/v1/ride-requests", json=bodies.appointment(rider["id"], place["id"]))
    assert booked.status_code == 201, booked.text
    yield app
    if request.param == "postgres":
        # The session's PostgreSQL database is shared: leave it empty for the next test.
        tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_is_a_server_error_and_every_answer_fits_the_document(
    case: Any, api_app: Starlette
) -> None:
    case.call_and_validate(
        app=api_app,
        # Rules beyond JSON schema (phone numbers, an appointment's arrive_by, ids of rows that
        # exist) make many schema-valid bodies a 422, so that check cannot hold here.
        excluded_checks=[positive_data_acceptance],
    )
