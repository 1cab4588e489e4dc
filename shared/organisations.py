"""Organisations: several in one deployment, each with its own number, people and plans."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import Session, col, select

from shared.errors import Conflict, ValidationFailed
from shared.models import Organisation
from shared.phones import to_e164

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def create_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    time_zone: str,
    sms_number: str | None = None,
    help_contact: str = "",
) -> Organisation:
    """Add an organisation; its slug and texting number must be its own."""
    if not SLUG.match(slug):
        raise ValidationFailed(
            f"slug {slug!r} must be lower-case letters, digits and dashes, e.g. calgary-rides"
        )
    if not name.strip():
        raise ValidationFailed("the organisation needs a name")
    if time_zone not in available_timezones():
        raise ValidationFailed(
            f"time zone {time_zone!r} is unknown; use an IANA name such as America/Vancouver"
        )
    number = to_e164(sms_number) if sms_number else None
    if session.exec(select(Organisation).where(Organisation.slug == slug)).first() is not None:
        raise Conflict(f"organisation {slug!r} already exists")
    if number is not None:
        taken = session.exec(select(Organisation).where(Organisation.sms_number == number)).first()
        if taken is not None:
            raise Conflict(f"that texting number already belongs to {taken.slug!r}")
    org = Organisation(
        slug=slug,
        name=name.strip(),
        time_zone=str(ZoneInfo(time_zone)),
        sms_number=number,
        help_contact=help_contact.strip(),
    )
    session.add(org)
    session.flush()
    return org


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, oldest first."""
    return list(session.exec(select(Organisation).order_by(col(Organisation.id))).all())
