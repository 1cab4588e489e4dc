"""The closed vocabularies of the data model (``Language`` lives in ``shared.i18n``)."""

from __future__ import annotations

from enum import StrEnum


class ConsentState(StrEnum):
    UNKNOWN = "unknown"
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PlaceKind(StrEnum):
    GROCERY = "grocery"
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    GOVERNMENT = "government"
    LEGAL_AID = "legal_aid"
    COMMUNITY_CENTRE = "community_centre"
    OTHER = "other"


class RequestKind(StrEnum):
    GROCERY = "grocery"
    APPOINTMENT = "appointment"
    ERRAND = "errand"


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    UNMET = "unmet"


class RequestSource(StrEnum):
    SMS = "sms"
    API = "api"
    DISPATCHER = "dispatcher"


class PlanState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class StopKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class LegKind(StrEnum):
    OUTBOUND = "outbound"
    RETURN = "return"


class LockKind(StrEnum):
    PIN = "pin"
    UNSERVED = "unserved"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InboundState(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    VIEWER = "viewer"
