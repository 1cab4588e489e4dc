"""One day's schedule: versioned plans, a route per driver, ordered stops, locks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from shared.models._enums import LegKind, LockKind, PlanState, StopKind
from shared.models._types import UTCDateTime, enum_check, enum_type, utcnow


class Plan(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("organisation_id", "service_date", "version", name="uq_plan_version"),
        enum_check("state", PlanState, "ck_plan_state"),
        CheckConstraint("version >= 1", name="ck_plan_version"),
        # At most one published plan per organisation and day.
        Index(
            "uq_plan_published",
            "organisation_id",
            "service_date",
            unique=True,
            sqlite_where=text("state = 'published'"),
            postgresql_where=text("state = 'published'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    service_date: date
    version: int
    state: PlanState = Field(sa_type=enum_type(PlanState), default=PlanState.DRAFT)
    based_on_plan_id: int | None = Field(default=None, foreign_key="plan.id", ondelete="SET NULL")
    created_by: str = Field(default="system", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the texts announcing this published plan were written to the outbox.
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    solver_stats: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class Route(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("plan_id", "driver_id", name="uq_route_plan_driver"),
        CheckConstraint("distance_m >= 0 AND driving_seconds >= 0", name="ck_route_totals"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    driver_id: int = Field(foreign_key="driver.id", index=True, ondelete="RESTRICT")
    # A frozen route keeps its stops in order through re-plans.
    frozen: bool = False
    start_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    distance_m: int = 0
    driving_seconds: int = 0
    driver_response: str = Field(default="pending", max_length=16)


class Stop(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("route_id", "seq", name="uq_stop_route_seq"),
        enum_check("kind", StopKind, "ck_stop_kind"),
        enum_check("leg", LegKind, "ck_stop_leg"),
        CheckConstraint("seq >= 0", name="ck_stop_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    route_id: int = Field(foreign_key="route.id", index=True, ondelete="CASCADE")
    seq: int
    kind: StopKind = Field(sa_type=enum_type(StopKind))
    request_id: int = Field(foreign_key="ride_request.id", index=True, ondelete="CASCADE")
    leg: LegKind = Field(sa_type=enum_type(LegKind), default=LegKind.OUTBOUND)
    planned_at: datetime = Field(sa_type=UTCDateTime)
    latitude: float
    longitude: float
    address: str = Field(default="", max_length=300)


class UnservedRequest(SQLModel, table=True):
    """A request a plan could not serve, with the reason the solver could tell."""

    __tablename__ = "unserved_request"
    __table_args__ = (
        UniqueConstraint("plan_id", "request_id", "leg", name="uq_unserved_plan_request"),
        enum_check("leg", LegKind, "ck_unserved_leg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True, ondelete="CASCADE")
    request_id: int = Field(foreign_key="ride_request.id", index=True, ondelete="CASCADE")
    leg: LegKind = Field(sa_type=enum_type(LegKind), default=LegKind.OUTBOUND)
    reason: str = Field(max_length=500)


class AssignmentLock(SQLModel, table=True):
    """A dispatcher's decision the solver must keep: a request pinned to a driver, or held out."""

    __tablename__ = "assignment_lock"
    __table_args__ = (
        enum_check("kind", LockKind, "ck_lock_kind"),
        CheckConstraint(
            "(kind = 'pin' AND driver_id IS NOT NULL) OR (kind = 'unserved' AND driver_id IS NULL)",
            name="ck_lock_driver",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    request_id: int = Field(foreign_key="ride_request.id", unique=True, ondelete="CASCADE")
    kind: LockKind = Field(sa_type=enum_type(LockKind))
    driver_id: int | None = Field(default=None, foreign_key="driver.id", ondelete="CASCADE")
    created_by: str = Field(default="system", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReplanTicket(SQLModel, table=True):
    """A pending re-plan of one day, debounced: only the newest token's job plans.

    Written in the same transaction as the change that makes a re-plan necessary, so a crash
    between commit and enqueue loses nothing: the relay sweeps tickets that are due.
    """

    __tablename__ = "replan_ticket"
    __table_args__ = (
        UniqueConstraint("organisation_id", "service_date", name="uq_replan_org_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    service_date: date
    token: str = Field(max_length=36)
    due_at: datetime = Field(sa_type=UTCDateTime)
    enqueued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderRun(SQLModel, table=True):
    """Day-before reminders written for one organisation's day: at most once, by construction."""

    __tablename__ = "reminder_run"
    __table_args__ = (UniqueConstraint("organisation_id", "service_date", name="uq_reminder_day"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    service_date: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
