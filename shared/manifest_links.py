"""Private links to a driver's manifest page: ``/m/<token>``, one driver and one day.

The token is the driver's id and the day, signed with ``SECRET_KEY`` (itsdangerous, HMAC-SHA1
over a salt of our own), so it cannot be guessed or altered: whoever holds the link may see that
driver's riders for that day and nothing else. It needs no login (drivers open it from a text),
and it stops working at the end of the day after the route, in the organisation's time zone:
late enough for a DONE in the evening or a look back the next morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from shared.settings import get_settings, signing_key

_SALT = "rides.manifest.v1"
#: the token works on the route's day and the day after
VALID_DAYS_AFTER = timedelta(days=1)


class ManifestLinkError(Exception):
    """A manifest token that cannot be used."""


class BadManifestToken(ManifestLinkError):
    """Tampered with, signed with another key, or not a token at all: answer 404."""


class ExpiredManifestToken(ManifestLinkError):
    """A genuine token whose day is over: answer 410."""


@dataclass(frozen=True)
class ManifestGrant:
    """What a valid token allows: this driver's route on this day."""

    driver_id: int
    day: date


def _serializer(secret: str | None = None) -> URLSafeSerializer:
    return URLSafeSerializer(secret or signing_key(get_settings().app), salt=_SALT)


def manifest_token(driver_id: int, day: date, *, secret: str | None = None) -> str:
    """The signed token for one driver's day."""
    return str(_serializer(secret).dumps([driver_id, day.isoformat()]))


def manifest_url(base: str, driver_id: int, day: date) -> str:
    """The full link a driver's route text carries."""
    return f"{base.rstrip('/')}/m/{manifest_token(driver_id, day)}"


def read_manifest_token(
    token: str, today: date | None, *, secret: str | None = None
) -> ManifestGrant:
    """The grant in ``token``; ``today`` is the organisation's local date (None: do not check).

    Raises ``BadManifestToken`` for anything not signed by us, ``ExpiredManifestToken`` once
    the day after the route is over.
    """
    try:
        payload = _serializer(secret).loads(token)
    except (BadSignature, UnicodeError, ValueError):
        raise BadManifestToken("not a manifest token of ours") from None
    try:
        driver_id, day_text = payload
        grant = ManifestGrant(int(driver_id), date.fromisoformat(day_text))
    except (TypeError, ValueError):
        raise BadManifestToken("a signed token of the wrong shape") from None
    if today is not None and today > grant.day + VALID_DAYS_AFTER:
        raise ExpiredManifestToken(f"the manifest of {grant.day.isoformat()} has expired")
    return grant
