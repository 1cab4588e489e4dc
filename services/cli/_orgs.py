"""``rides org create|list``: the organisations of one deployment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from services.cli import app
from services.cli._output import console, friendly_errors
from shared.db import get_engine, session_scope
from shared.organisations import create_organisation, list_organisations

org_app = typer.Typer(help="Organisations in this deployment.", no_args_is_help=True)
app.add_typer(org_app, name="org")


@org_app.command("create")
@friendly_errors
def create(
    slug: Annotated[
        str, typer.Option(help="Short name used by other commands, e.g. calgary-rides.")
    ],
    name: Annotated[str, typer.Option(help="The name riders and drivers see.")],
    time_zone: Annotated[
        str, typer.Option("--time-zone", help="IANA time zone, e.g. America/Vancouver.")
    ] = "America/Toronto",
    sms_number: Annotated[
        str | None, typer.Option("--sms-number", help="The number riders text (E.164).")
    ] = None,
    help_contact: Annotated[
        str, typer.Option("--help-contact", help="Who riders call for help.")
    ] = "",
) -> None:
    """Add an organisation to this deployment."""
    with session_scope(get_engine()) as session:
        org = create_organisation(
            session,
            slug=slug,
            name=name,
            time_zone=time_zone,
            sms_number=sms_number,
            help_contact=help_contact,
        )
        console.print(f"created organisation {org.slug} ({org.name}, {org.time_zone})")


@org_app.command("list")
@friendly_errors
def list_() -> None:
    """Every organisation with its time zone and texting number."""
    table = Table()
    for column in ("slug", "name", "time zone", "SMS number"):
        table.add_column(column, no_wrap=column != "name")
    with session_scope(get_engine()) as session:
        for org in list_organisations(session):
            table.add_row(org.slug, org.name, org.time_zone, org.sms_number or "-")
    console.print(table)
