"""Accounts: argon2 hashes, one refusal for every wrong login, disabling."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import Organisation, Role
from shared.users import active_user, authenticate, create_user, disable_user, list_users


@pytest.fixture
def organisation(engine: Engine) -> Organisation:
    """One stored organisation."""
    with Session(engine, expire_on_commit=False) as session:
        org = Organisation(slug="org", name="Org")
        session.add(org)
        session.commit()
        return org


def test_a_password_is_stored_as_an_argon2id_hash_and_checked(
    engine: Engine, organisation: Organisation
) -> None:
    with Session(engine) as session:
        user = create_user(
            session, organisation, " Ann@Example.org ", Role.VIEWER, "long-password-1", "test"
        )
        session.commit()
        assert user.email == "ann@example.org"
        assert user.password_hash.startswith("$argon2id$")
        assert authenticate(session, "ANN@example.org", "long-password-1") is not None
        assert authenticate(session, "ann@example.org", "wrong-password") is None
        assert authenticate(session, "nobody@example.org", "long-password-1") is None
        assert [u.email for u in list_users(session, organisation.id)] == ["ann@example.org"]


def test_a_disabled_account_cannot_log_in_and_its_session_ends(
    engine: Engine, organisation: Organisation
) -> None:
    with Session(engine) as session:
        user = create_user(
            session, organisation, "ann@example.org", Role.VIEWER, "long-password-1", "test"
        )
        disable_user(session, "ann@example.org", "test")
        session.commit()
        assert user.id is not None
        assert active_user(session, user.id) is None
        assert authenticate(session, "ann@example.org", "long-password-1") is None
        with pytest.raises(NotFound):
            disable_user(session, "ghost@example.org", "test")


def test_bad_accounts_are_refused_with_a_reason(engine: Engine, organisation: Organisation) -> None:
    with Session(engine) as session:
        create_user(session, organisation, "ann@example.org", Role.VIEWER, "long-password", "t")
        with pytest.raises(Conflict, match="already an account"):
            create_user(session, organisation, "ANN@example.org", Role.ADMIN, "long-password", "t")
        with pytest.raises(ValidationFailed, match="too short"):
            create_user(session, organisation, "b@example.org", Role.ADMIN, "short", "t")
        with pytest.raises(ValidationFailed, match="not an email"):
            create_user(session, organisation, "b-at-example", Role.ADMIN, "long-password", "t")
