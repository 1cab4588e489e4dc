"""Ride requests and their status history."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import field_validator, model_validator
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.models._enums import RequestKind, RequestSource, RequestStatus
from shared.models._types import UTCDateTime, enum_check, enum_type, utcnow

# Medical and legal appointments come before groceries when not everyone can be served.
DEFAULT_PRIORITY = {RequestKind.APPOINTMENT: 3, RequestKind.ERRAND: 2, RequestKind.GROCERY: 1}


def _require_aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone offset, e.g. 2026-12-03T10:00:00-05:00")
    return value


class RideRequestBase(SQLModel):
    rider_id: int = Field(foreign_key="rider.id", index=True, ondelete="CASCADE")
    kind: RequestKind = Field(sa_type=enum_type(RequestKind))
    # A missing place means the rider's home.
    from_place_id: int | None = Field(default=None, foreign_key="place.id", ondelete="RESTRICT")
    to_place_id: int | None = Field(default=None, foreign_key="place.id", ondelete="RESTRICT")
    service_date: date = Field(index=True)
    arrive_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    earliest_departure: datetime | None = Field(default=None, sa_type=UTCDateTime)
    store_minutes: int | None = Field(default=None, ge=0, le=480)
    back_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    return_pickup_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    passengers: int = Field(default=1, ge=1, le=8)
    wheelchair: bool = False
    walker: bool = False
    service_animal: bool = False
    priority: int | None = Field(default=None, ge=0, le=10)
    notes: str = Field(default="", max_length=2000)


class RideRequest(RideRequestBase, table=True):
    __tablename__ = "ride_request"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference_code", name="uq_request_org_code"),
        enum_check("kind", RequestKind, "ck_request_kind"),
        enum_check("status", RequestStatus, "ck_request_status"),
        enum_check("source", RequestSource, "ck_request_source"),
        CheckConstraint("passengers BETWEEN 1 AND 8", name="ck_request_passengers"),
        CheckConstraint("priority BETWEEN 0 AND 10", name="ck_request_priority"),
        CheckConstraint(
            "store_minutes IS NULL OR store_minutes BETWEEN 0 AND 480", name="ck_request_store"
        ),
        # A return leg has its own pick-up time instead of an arrival time.
        CheckConstraint(
            "kind <> 'appointment' OR arrive_by IS NOT NULL OR outbound_request_id IS NOT NULL",
            name="ck_request_appointment_time",
        ),
        CheckConstraint(
            "earliest_departure IS NULL OR back_by IS NULL OR earliest_departure < back_by",
            name="ck_request_order",
        ),
        CheckConstraint(
            "from_place_id IS NOT NULL OR to_place_id IS NOT NULL", name="ck_request_somewhere"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    priority: int = 1
    # The return leg of an appointment points at its outbound request.
    outbound_request_id: int | None = Field(
        default=None, foreign_key="ride_request.id", ondelete="CASCADE", unique=True
    )
    status: RequestStatus = Field(
        sa_type=enum_type(RequestStatus), default=RequestStatus.REQUESTED, index=True
    )
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_changed_by: str = Field(default="system", max_length=200)
    status_reason: str = Field(default="", max_length=500)
    source: RequestSource = Field(sa_type=enum_type(RequestSource))
    reference_code: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RideRequestCreate(RideRequestBase):
    @field_validator("arrive_by", "earliest_departure", "back_by", "return_pickup_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _require_aware(value)

    @model_validator(mode="after")
    def _timing_fits_kind(self) -> RideRequestCreate:
        if self.kind == RequestKind.APPOINTMENT and self.arrive_by is None:
            raise ValueError("an appointment needs arrive_by (when the rider must be there)")
        if self.kind != RequestKind.APPOINTMENT and self.earliest_departure is None:
            raise ValueError(f"a {self.kind.value} ride needs earliest_departure")
        if (
            self.earliest_departure is not None
            and self.back_by is not None
            and self.earliest_departure >= self.back_by
        ):
            raise ValueError("back_by must be after earliest_departure")
        if self.from_place_id is None and self.to_place_id is None:
            raise ValueError("give from_place_id or to_place_id (the other end is home)")
        return self


class RideRequestUpdate(SQLModel):
    from_place_id: int | None = None
    to_place_id: int | None = None
    arrive_by: datetime | None = None
    earliest_departure: datetime | None = None
    store_minutes: int | None = Field(default=None, ge=0, le=480)
    back_by: datetime | None = None
    return_pickup_at: datetime | None = None
    passengers: int | None = Field(default=None, ge=1, le=8)
    wheelchair: bool | None = None
    walker: bool | None = None
    service_animal: bool | None = None
    priority: int | None = Field(default=None, ge=0, le=10)
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("arrive_by", "earliest_departure", "back_by", "return_pickup_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _require_aware(value)


class RideRequestPublic(RideRequestBase):
    id: int
    priority: int | None
    outbound_request_id: int | None
    status: RequestStatus
    status_changed_at: datetime
    status_reason: str
    source: RequestSource
    reference_code: str
    created_at: datetime


class RequestStatusEvent(SQLModel, table=True):
    """One status change of a request: who changed it, why, and when."""

    __tablename__ = "request_status_event"
    __table_args__ = (enum_check("to_status", RequestStatus, "ck_status_event_to"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="ride_request.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=16)
    to_status: RequestStatus = Field(sa_type=enum_type(RequestStatus))
    changed_by: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
