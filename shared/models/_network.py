"""Organisations and their network: riders, drivers, places."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import StringConstraints, field_validator
from sqlalchemy import JSON, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.i18n import DEFAULT_TIME_ZONE, Language
from shared.models._enums import ConsentState, PlaceKind, ReviewState
from shared.models._types import UTCDateTime, enum_check, enum_type, utcnow
from shared.phones import to_e164

# Bounds of the list and JSON fields, so one row cannot grow without limit.
MAX_ALIASES = 20
MAX_OPENING_HOURS_ENTRIES = 14
MAX_LANGUAGES = 3
MAX_SPOKEN = 10
Alias = Annotated[str, StringConstraints(min_length=1, max_length=200)]
SpokenLanguage = Annotated[str, StringConstraints(min_length=1, max_length=8)]


class Organisation(SQLModel, table=True):
    """A volunteer driver programme; every other row belongs to one."""

    __table_args__ = (
        CheckConstraint("grocery_wait_minutes BETWEEN 5 AND 240", name="ck_org_grocery_wait"),
        CheckConstraint("max_ride_factor >= 1.0", name="ck_org_ride_factor"),
        CheckConstraint("max_ride_extra_minutes >= 0", name="ck_org_ride_extra"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    time_zone: str = Field(default=DEFAULT_TIME_ZONE, max_length=64)
    sms_number: str | None = Field(default=None, unique=True, max_length=20)
    help_contact: str = Field(default="", max_length=200)
    api_key_hash: str | None = Field(default=None, unique=True, max_length=128)
    grocery_wait_minutes: int = 60
    # A rider's time in the car may be at most factor x the direct trip plus extra minutes.
    max_ride_factor: float = 1.5
    max_ride_extra_minutes: int = 15
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- places ---------------------------------------------------------------------------------


class PlaceBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    aliases: list[Alias] = Field(
        default_factory=list, max_length=MAX_ALIASES, sa_column=Column(JSON, nullable=False)
    )
    kind: PlaceKind = Field(sa_type=enum_type(PlaceKind), default=PlaceKind.OTHER)
    address: str = Field(default="", max_length=300)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    opening_hours: dict[str, Any] | None = Field(
        default=None, max_length=MAX_OPENING_HOURS_ENTRIES, sa_column=Column(JSON)
    )


class Place(PlaceBase, table=True):
    __table_args__ = (
        UniqueConstraint("organisation_id", "name", name="uq_place_org_name"),
        enum_check("kind", PlaceKind, "ck_place_kind"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="ck_place_lat"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="ck_place_lon"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")


class PlaceCreate(PlaceBase):
    pass


class PlaceUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    aliases: list[Alias] | None = Field(default=None, max_length=MAX_ALIASES)
    kind: PlaceKind | None = None
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: dict[str, Any] | None = Field(default=None, max_length=MAX_OPENING_HOURS_ENTRIES)


class PlacePublic(PlaceBase):
    id: int


# --- riders ---------------------------------------------------------------------------------


class RiderBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(max_length=20)
    preferred_language: Language = Field(sa_type=enum_type(Language), default=Language.ZH_HANT)
    home_address: str = Field(default="", max_length=300)
    home_latitude: float | None = Field(default=None, ge=-90, le=90)
    home_longitude: float | None = Field(default=None, ge=-180, le=180)
    wheelchair: bool = False
    walker: bool = False
    service_animal: bool = False
    seats_needed: int = Field(default=1, ge=1, le=8)
    # A spoken language the driver must share (e.g. "yue" for a Cantonese-only rider).
    requires_language: str | None = Field(default=None, max_length=8)
    notes: str = Field(default="", max_length=2000)


class Rider(RiderBase, table=True):
    __table_args__ = (
        UniqueConstraint("organisation_id", "phone", name="uq_rider_org_phone"),
        enum_check("preferred_language", Language, "ck_rider_language"),
        enum_check("consent_state", ConsentState, "ck_rider_consent"),
        enum_check("review_state", ReviewState, "ck_rider_review"),
        CheckConstraint("seats_needed BETWEEN 1 AND 8", name="ck_rider_seats"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    consent_state: ConsentState = Field(
        sa_type=enum_type(ConsentState), default=ConsentState.UNKNOWN
    )
    consent_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_source: str | None = Field(default=None, max_length=64)
    review_state: ReviewState = Field(sa_type=enum_type(ReviewState), default=ReviewState.APPROVED)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RiderCreate(RiderBase):
    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return to_e164(value)


class RiderUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = None
    preferred_language: Language | None = None
    home_address: str | None = Field(default=None, max_length=300)
    home_latitude: float | None = Field(default=None, ge=-90, le=90)
    home_longitude: float | None = Field(default=None, ge=-180, le=180)
    wheelchair: bool | None = None
    walker: bool | None = None
    service_animal: bool | None = None
    seats_needed: int | None = Field(default=None, ge=1, le=8)
    requires_language: str | None = Field(default=None, max_length=8)
    notes: str | None = Field(default=None, max_length=2000)
    active: bool | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        return None if value is None else to_e164(value)


class RiderPublic(RiderBase):
    id: int
    consent_state: ConsentState
    review_state: ReviewState
    active: bool


# --- drivers --------------------------------------------------------------------------------


class DriverBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(max_length=20)
    languages: list[Language] = Field(
        default_factory=lambda: [Language.EN],
        max_length=MAX_LANGUAGES,
        sa_column=Column(JSON, nullable=False),
    )
    # Languages as spoken (e.g. "yue" Cantonese, "cmn" Mandarin, "en"); riders are matched on it.
    spoken: list[SpokenLanguage] = Field(
        default_factory=lambda: ["en"],
        max_length=MAX_SPOKEN,
        sa_column=Column(JSON, nullable=False),
    )
    seats: int = Field(default=3, ge=1, le=12)
    wheelchair_spaces: int = Field(default=0, ge=0, le=4)
    vehicle_description: str = Field(default="", max_length=200)
    home_address: str = Field(default="", max_length=300)
    home_latitude: float = Field(ge=-90, le=90)
    home_longitude: float = Field(ge=-180, le=180)
    max_rides_per_day: int = Field(default=6, ge=1, le=50)


class Driver(DriverBase, table=True):
    __table_args__ = (
        UniqueConstraint("organisation_id", "phone", name="uq_driver_org_phone"),
        CheckConstraint("seats BETWEEN 1 AND 12", name="ck_driver_seats"),
        CheckConstraint("wheelchair_spaces BETWEEN 0 AND 4", name="ck_driver_wheelchair"),
        CheckConstraint("max_rides_per_day >= 1", name="ck_driver_max_rides"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DriverCreate(DriverBase):
    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return to_e164(value)


class DriverUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = None
    languages: list[Language] | None = Field(default=None, max_length=MAX_LANGUAGES)
    spoken: list[SpokenLanguage] | None = Field(default=None, max_length=MAX_SPOKEN)
    seats: int | None = Field(default=None, ge=1, le=12)
    wheelchair_spaces: int | None = Field(default=None, ge=0, le=4)
    vehicle_description: str | None = Field(default=None, max_length=200)
    home_address: str | None = Field(default=None, max_length=300)
    home_latitude: float | None = Field(default=None, ge=-90, le=90)
    home_longitude: float | None = Field(default=None, ge=-180, le=180)
    max_rides_per_day: int | None = Field(default=None, ge=1, le=50)
    active: bool | None = None

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        return None if value is None else to_e164(value)


class DriverPublic(DriverBase):
    id: int
    active: bool


class DriverAvailability(SQLModel, table=True):
    """A weekly window in which a driver can drive (local time of the organisation)."""

    __tablename__ = "driver_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_avail_weekday"),
        CheckConstraint("start_time < end_time", name="ck_avail_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    driver_id: int = Field(foreign_key="driver.id", index=True, ondelete="CASCADE")
    weekday: int  # Monday = 0, as in datetime.weekday()
    start_time: time
    end_time: time


class DriverException(SQLModel, table=True):
    """A dated change to a driver's weekly availability: a day off, or other hours."""

    __tablename__ = "driver_exception"
    __table_args__ = (
        UniqueConstraint("driver_id", "day", name="uq_exception_driver_day"),
        CheckConstraint(
            "(start_time IS NULL AND end_time IS NULL) OR "
            "(start_time IS NOT NULL AND end_time IS NOT NULL AND start_time < end_time)",
            name="ck_exception_hours",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    driver_id: int = Field(foreign_key="driver.id", index=True, ondelete="CASCADE")
    day: date
    available: bool = False
    start_time: time | None = None
    end_time: time | None = None
    reason: str = Field(default="", max_length=200)
