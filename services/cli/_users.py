"""``rides user create|list|disable``: dispatcher accounts, and ``rides publish``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import select

from services.cli import app
from services.cli._database import parse_day
from services.cli._output import console, err_console, friendly_errors
from services.cli._plan import resolve_organisation
from shared.db import get_engine, session_scope
from shared.errors import NotFound, ValidationFailed
from shared.models import Organisation, Role
from shared.plan_days import publish_latest_draft
from shared.users import create_user, disable_user, list_users

user_app = typer.Typer(help="Accounts of dispatchers, admins and viewers.", no_args_is_help=True)
app.add_typer(user_app, name="user")

CLI_ACTOR = "rides cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise ValidationFailed("--password-stdin read an empty line; pipe the password in")
        return line
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@user_app.command("create")
@friendly_errors
def create(
    organisation: Annotated[str, typer.Option(help="Slug of the user's organisation.")],
    email: Annotated[str, typer.Option(help="The email the user logs in with.")],
    role: Annotated[Role, typer.Option(help="admin, dispatcher or viewer.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
) -> None:
    """Create an account; the password is asked for (or read from stdin)."""
    password = _read_password(password_stdin)
    with session_scope(get_engine()) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == organisation)).first()
        if org is None:
            known = ", ".join(session.exec(select(Organisation.slug)).all()) or "none yet"
            raise NotFound(f"no organisation {organisation!r}; known: {known}")
        user = create_user(session, org, email, role, password, actor=CLI_ACTOR)
        created = (user.email, user.role.value, org.slug)
    console.print(f"created {created[1]} {created[0]} in {created[2]}")


@user_app.command("list")
@friendly_errors
def list_command() -> None:
    """Every account with its organisation, role and whether it is active."""
    with session_scope(get_engine()) as session:
        slugs = {org.id: org.slug for org in session.exec(select(Organisation)).all()}
        table = Table("email", "organisation", "role", "active")
        for user in list_users(session):
            table.add_row(
                user.email,
                slugs.get(user.organisation_id, "?"),
                user.role.value,
                "yes" if user.active else "no",
            )
    console.print(table)


@user_app.command("disable")
@friendly_errors
def disable(email: str = typer.Argument(..., help="The account's email.")) -> None:
    """Stop an account from logging in; its open sessions end too."""
    with session_scope(get_engine()) as session:
        user = disable_user(session, email, actor=CLI_ACTOR)
        shown = user.email
    console.print(f"disabled {shown}")


@app.command()
@friendly_errors
def publish(
    day: str | None = typer.Option(None, "--date", help="Day to publish (YYYY-MM-DD)."),
    organisation: str | None = typer.Option(
        None, help="Organisation slug (default: the only one)."
    ),
) -> None:
    """Publish the day's newest draft plan: drivers and riders get their texts."""
    with session_scope(get_engine()) as session:
        org = resolve_organisation(session, organisation)
        assert org.id is not None
        service_date = parse_day(day, org.time_zone)
        plan = publish_latest_draft(session, org.id, service_date, actor=CLI_ACTOR)
        version = plan.version
    err_console.print(f"published plan version {version} for {service_date.isoformat()}")
