"""``rides apikey create``: give an organisation a new JSON API key (replacing the old one)."""

from __future__ import annotations

import typer
from sqlmodel import select

from services.booking.api.auth import API_KEY_HEADER, rotate_key
from services.cli import app
from services.cli._output import console, err_console, friendly_errors
from shared.db import get_engine, session_scope
from shared.errors import NotFound
from shared.models import Organisation

apikey_app = typer.Typer(help="Organisation API keys for the JSON API.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")


@apikey_app.command()
@friendly_errors
def create(
    organisation: str = typer.Option(..., help="Slug of the organisation the key belongs to."),
) -> None:
    """Make a new API key for an organisation and print it once; any old key stops working."""
    with session_scope(get_engine()) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == organisation)).first()
        if org is None:
            known = ", ".join(session.exec(select(Organisation.slug)).all()) or "none yet"
            raise NotFound(f"no organisation {organisation!r}; known: {known}")
        replaced = org.api_key_hash is not None
        key = rotate_key(session, org)
    # Only the hash is stored, so this is the one chance to copy the key.
    err_console.print(
        f"new API key for {organisation}"
        + (" (the previous key no longer works)" if replaced else "")
        + f"; send it in the {API_KEY_HEADER} header. It is shown only once:"
    )
    console.print(key)
