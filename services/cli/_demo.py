"""``rides demo``: the whole product on embedded defaults, end to end."""

from __future__ import annotations

from collections import Counter

from rich.table import Table
from sqlalchemy import func
from sqlmodel import Session, select

from services.cli import app
from services.cli._database import parse_day, run_migrations
from services.cli._output import console, friendly_errors
from shared.db import get_engine, session_scope
from shared.models import Driver, Organisation, Place, Rider, RideRequest
from shared.sample import seed_sample
from shared.settings import get_settings


def _summary(session: Session, org: Organisation) -> Table:
    table = Table(title=f"{org.name} ({org.time_zone})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, model in (("drivers", Driver), ("riders", Rider), ("places", Place)):
        count = session.exec(
            select(func.count()).select_from(model).where(model.organisation_id == org.id)
        ).one()
        table.add_row(label, str(count))
    requests = session.exec(select(RideRequest).where(RideRequest.organisation_id == org.id)).all()
    by_day = Counter((r.service_date.isoformat(), r.kind.value) for r in requests)
    for (day, kind), count in sorted(by_day.items()):
        table.add_row(f"{kind} requests on {day}", str(count))
    return table


@app.command()
@friendly_errors
def demo() -> None:
    """Migrate, load the Toronto sample network and show what it holds."""
    settings = get_settings()
    console.print(f"database: {settings.app.database_url}")
    console.print("queue: " + ("Redis" if settings.app.redis_url else "in-process"))
    console.print(f"SMS: {settings.sms.sms_backend}")
    run_migrations()
    with session_scope(get_engine()) as session:
        org = session.exec(select(Organisation).order_by(Organisation.id)).first()  # type: ignore[arg-type]
        if org is None:
            day = parse_day(None, settings.app.default_time_zone)
            console.print(f"seeding the Toronto sample network with requests on {day}")
            org = seed_sample(session, "toronto", day).organisation
        console.print(_summary(session, org))
