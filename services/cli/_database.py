"""``rides migrate`` and ``rides seed``."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import typer
from sqlalchemy.exc import OperationalError

from services.cli import app
from services.cli._output import console, friendly_errors
from shared import migrations
from shared.db import get_engine, session_scope
from shared.errors import ConfigurationError, ValidationFailed
from shared.i18n import time_zone as zone
from shared.sample import SAMPLES, SampleSize, sample_time_zone, seed_sample
from shared.settings import get_settings

log = logging.getLogger(__name__)


def run_migrations(revision: str = "head") -> None:
    """Upgrade the configured database, with a clear message when it cannot be reached."""
    url = get_settings().app.database_url
    try:
        migrations.upgrade(url, revision)
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot reach the database in DATABASE_URL ({exc.orig}); is it running?"
        ) from exc


def parse_day(value: str | None, time_zone: str) -> date:
    """A YYYY-MM-DD date, or tomorrow in the organisation's time zone when not given."""
    if value is None:
        return datetime.now(zone(time_zone)).date() + timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"--date {value!r} is not a date; use YYYY-MM-DD") from exc


@app.command()
@friendly_errors
def migrate(
    revision: str = typer.Option("head", help="Alembic revision to upgrade to."),
) -> None:
    """Create or upgrade the database schema (DATABASE_URL)."""
    run_migrations(revision)
    console.print(f"database at revision {revision}")


@app.command()
@friendly_errors
def seed(
    sample: str = typer.Option(..., help=f"Sample network to load: {', '.join(SAMPLES)}."),
    day: str | None = typer.Option(
        None, "--date", help="Day of the sample's ride requests (YYYY-MM-DD; default tomorrow)."
    ),
    drivers: int = typer.Option(12, min=1, help="Volunteer drivers."),
    riders: int = typer.Option(40, min=1, help="Riders."),
    requests: int = typer.Option(30, min=0, help="Ride requests on that day."),
    legacy_sample: bool = typer.Option(
        False,
        "--legacy-sample",
        help="The benchmark generator (Toronto only): random places and hours, as in bench/.",
    ),
) -> None:
    """Load a deterministic sample network (organisation, drivers, riders, places, requests).

    A second city goes into the same database as a second organisation.
    """
    service_date = parse_day(day, sample_time_zone(sample, get_settings().app.default_time_zone))
    with session_scope(get_engine()) as session:
        net = seed_sample(
            session,
            sample,
            service_date,
            SampleSize(drivers, riders, requests),
            legacy=legacy_sample,
        )
    console.print(
        f"seeded {net.organisation.name}: {len(net.drivers)} drivers, {len(net.riders)} riders, "
        f"{len(net.places)} places, {len(net.requests)} requests on {service_date.isoformat()}"
    )
