"""Fixtures for the manifest page: the driver test day and a client on the manifest routes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services.manifest.app import manifest_routes
from shared.i18n import Language
from tests.booking.sms.conftest import Clock, new_world
from tests.driver_day import DriverDay, at, seed_driver_day


@dataclass
class Manifest:
    """A client on the manifest routes, its clock and the stored day."""

    client: TestClient
    clock: Clock
    day: DriverDay
    engine: Engine


@pytest.fixture
def manifest(engine: Engine) -> Iterator[Manifest]:
    """The driver test day (Chris reads Chinese) and a client at 9 am on the route's day."""
    world = new_world(engine)
    day = seed_driver_day(
        engine,
        world.organisation_id,
        next(iter(world.place_ids.values())),
        chris_language=Language.ZH_HANT,
    )
    clock = Clock(at(14))
    with TestClient(Starlette(routes=manifest_routes(engine, clock=clock))) as client:
        yield Manifest(client, clock, day, engine)
