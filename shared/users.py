"""Dispatcher accounts: create, list, disable, and check a password.

Passwords are hashed with argon2id (argon2-cffi's defaults). ``authenticate`` spends the same
hashing work whether or not the email exists, so its timing does not tell either.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from shared.audit import record
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import DispatcherUser, Organisation, Role

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a refused login costs the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing-only")


def normalise_email(email: str) -> str:
    """Emails compare without surrounding spaces and case."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )


def create_user(
    session: Session, organisation: Organisation, email: str, role: Role, password: str, actor: str
) -> DispatcherUser:
    """Add an account to ``organisation``; the email must be new and the password long enough."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed(f"{email!r} is not an email address")
    _check_password(password)
    if session.exec(select(DispatcherUser).where(DispatcherUser.email == email)).first():
        raise Conflict(f"there is already an account for {email}")
    assert organisation.id is not None
    user = DispatcherUser(
        organisation_id=organisation.id,
        email=email,
        password_hash=hash_password(password),
        role=role,
    )
    session.add(user)
    session.flush()
    record(
        session,
        organisation.id,
        actor,
        "create_user",
        "dispatcher_user",
        user.id,
        None,
        {"email": email, "role": role.value, "active": True},
    )
    return user


def list_users(session: Session, organisation_id: int | None = None) -> list[DispatcherUser]:
    """Every account (of one organisation when given), by email."""
    query = select(DispatcherUser).order_by(col(DispatcherUser.email))
    if organisation_id is not None:
        query = query.where(DispatcherUser.organisation_id == organisation_id)
    return list(session.exec(query).all())


def disable_user(session: Session, email: str, actor: str) -> DispatcherUser:
    """Stop an account from logging in (its sessions end on their next request)."""
    email = normalise_email(email)
    user = session.exec(select(DispatcherUser).where(DispatcherUser.email == email)).first()
    if user is None:
        raise NotFound(f"no account {email!r}; `rides user list` shows them")
    if user.active:
        user.active = False
        session.add(user)
        record(
            session,
            user.organisation_id,
            actor,
            "disable_user",
            "dispatcher_user",
            user.id,
            {"active": True},
            {"active": False},
        )
    return user


def authenticate(session: Session, email: str, password: str) -> DispatcherUser | None:
    """The active account with this email and password, else None (whatever was wrong)."""
    user = session.exec(
        select(DispatcherUser).where(DispatcherUser.email == normalise_email(email))
    ).first()
    stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def active_user(session: Session, user_id: int) -> DispatcherUser | None:
    """The account behind a session, if it still exists and is active."""
    user = session.get(DispatcherUser, user_id)
    return user if user is not None and user.active else None
