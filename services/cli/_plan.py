"""``rides plan``: plan a day in the foreground and print the routes."""

from __future__ import annotations

from datetime import UTC, timedelta

import typer
from rich.table import Table
from sqlmodel import Session, select

from scheduler.planning import PlanResult, plan_and_store
from scheduler.store import unserved_reasons
from services.cli import app
from services.cli._database import parse_day
from services.cli._output import console, err_console, friendly_errors
from shared.db import get_engine, session_scope
from shared.errors import NotFound, ValidationFailed
from shared.i18n import time_zone
from shared.models import Driver, Organisation, Place, Rider, RideRequest


def resolve_organisation(session: Session, slug: str | None) -> Organisation:
    """The organisation named by ``slug``, or the only one when no slug is given."""
    orgs = session.exec(select(Organisation)).all()
    if slug is not None:
        for org in orgs:
            if org.slug == slug:
                return org
        raise NotFound(f"no organisation {slug!r}; known: {', '.join(o.slug for o in orgs)}")
    if not orgs:
        raise NotFound("no organisation yet; run `rides seed --sample toronto` first")
    if len(orgs) > 1:
        slugs = ", ".join(o.slug for o in orgs)
        raise ValidationFailed(f"several organisations; pick one with --organisation ({slugs})")
    return orgs[0]


def print_plan(session: Session, result: PlanResult) -> None:
    """Each driver's route as a table, then the unserved requests with their reasons."""
    day = result.day
    tz = time_zone(day.organisation.time_zone)
    midnight = day.midnight.astimezone(UTC)
    for route in result.solution.routes:
        driver = session.get(Driver, day.drivers[route.vehicle])
        assert driver is not None
        table = Table(title=f"{driver.name} ({driver.vehicle_description})", title_justify="left")
        for column in ("time", "stop", "rider", "where"):
            table.add_column(column)
        for visit in route.visits:
            request = session.get(RideRequest, day.legs[visit.request].request_id)
            assert request is not None
            rider = session.get(Rider, request.rider_id)
            at = (midnight + timedelta(seconds=visit.time)).astimezone(tz)
            table.add_row(
                at.strftime("%H:%M"),
                visit.kind.value,
                f"{rider.name if rider else '?'} [{request.reference_code}]",
                day.addresses[visit.location],
            )
        console.print(table)
    if result.solution.unserved or day.rejected:
        table = Table(title="Unserved", title_justify="left")
        table.add_column("request")
        table.add_column("leg")
        table.add_column("reason")
        reasons = unserved_reasons(day, result.solution)
        for ref, reason in sorted(reasons.items(), key=lambda item: item[0].request_id):
            request = session.get(RideRequest, ref.request_id)
            place = (
                session.get(Place, request.to_place_id) if request and request.to_place_id else None
            )
            code = request.reference_code if request else "?"
            table.add_row(f"{code} {place.name if place else ''}", ref.leg.value, reason)
        console.print(table)


@app.command()
@friendly_errors
def plan(
    day: str | None = typer.Option(
        None, "--date", help="Day to plan (YYYY-MM-DD; default tomorrow)."
    ),
    time_limit: float | None = typer.Option(
        None, min=0.1, help="Solver time limit in seconds (default SCHEDULER_TIME_LIMIT_SECONDS)."
    ),
    seed: int | None = typer.Option(None, help="Random seed; the same seed gives the same plan."),
    organisation: str | None = typer.Option(
        None, help="Organisation slug (default: the only one)."
    ),
) -> None:
    """Plan a day now: build routes for every request and store them as a draft plan."""
    with session_scope(get_engine()) as session:
        org = resolve_organisation(session, organisation)
        assert org.id is not None
        org_id, time_zone = org.id, org.time_zone
    service_date = parse_day(day, time_zone)
    err_console.print(f"planning {service_date.isoformat()}")
    result = plan_and_store(
        org_id,
        service_date,
        time_limit=time_limit,
        seed=seed,
        created_by="rides plan",
        progress=lambda line: err_console.print(f"  {line}"),
    )
    with session_scope(get_engine()) as session:
        print_plan(session, result)
    console.print(
        f"draft plan version {result.version}: {len(result.solution.routes)} drivers, "
        f"{sum(len(r.visits) // 2 for r in result.solution.routes)} legs served, "
        f"{len(unserved_reasons(result.day, result.solution))} unserved"
    )
