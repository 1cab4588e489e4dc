"""Dispatcher accounts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from shared.models._enums import Role
from shared.models._types import UTCDateTime, enum_check, enum_type, utcnow


class DispatcherUser(SQLModel, table=True):
    __tablename__ = "dispatcher_user"
    __table_args__ = (enum_check("role", Role, "ck_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    email: str = Field(unique=True, max_length=254)
    password_hash: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role), default=Role.DISPATCHER)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, with the row before and after."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
