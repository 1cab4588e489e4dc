"""Organisation API keys: how they are made, stored, rotated and checked.

A key is shown to a person exactly once; the database holds only its hash, so a leaked backup or
a read-only SQL injection gives no usable key.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, select

from services.booking.api.errors import Unauthorized
from shared.models import Organisation

API_KEY_HEADER = "X-API-Key"
# 32 random bytes: 256 bits of entropy, 43 URL-safe characters.
KEY_BYTES = 32
# Keys longer than this are not ours; refusing them early keeps hashing cheap for junk input.
MAX_KEY_LENGTH = 200


def hash_key(key: str) -> str:
    """The stored form of a key: hex SHA-256.

    A fast hash is right here, unlike for passwords: a key carries 256 random bits, so no
    dictionary or brute-force guess can find a preimage however fast the hash is, and a slow
    salted hash (argon2) would cost every API call tens of milliseconds and rule out looking the
    organisation up by an indexed, unique hash column.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key (``secrets``, the OS's CSPRNG)."""
    return secrets.token_urlsafe(KEY_BYTES)


def rotate_key(session: Session, organisation: Organisation) -> str:
    """Give ``organisation`` a new key and return it; the old key stops working at commit."""
    key = new_key()
    organisation.api_key_hash = hash_key(key)
    session.add(organisation)
    return key


def check_key_shape(key: str | None) -> str:
    """The key from the header if it could be one of ours; ``Unauthorized`` otherwise."""
    if not key:
        raise Unauthorized(f"send your organisation's API key in the {API_KEY_HEADER} header")
    if len(key) > MAX_KEY_LENGTH or not key.isascii():
        raise Unauthorized(f"the {API_KEY_HEADER} header holds no valid API key")
    return key


def organisation_for_key(session: Session, key: str | None) -> Organisation:
    """The organisation whose key this is; ``Unauthorized`` with a clear message otherwise."""
    key = check_key_shape(key)
    organisation = session.exec(
        select(Organisation).where(Organisation.api_key_hash == hash_key(key))
    ).first()
    if organisation is None:
        raise Unauthorized(
            f"the {API_KEY_HEADER} header holds no valid API key; "
            "ask an administrator for a new one (`rides apikey create`)"
        )
    return organisation
