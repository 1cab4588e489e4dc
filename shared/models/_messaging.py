"""Texts in and out: the outbox, inbound messages, conversations, consent and delivery events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.i18n import Language
from shared.models._enums import ConsentState, Direction, InboundState, MessageStatus
from shared.models._types import UTCDateTime, enum_check, enum_type, utcnow


class Message(SQLModel, table=True):
    """An outbound text (the outbox). Written in the same transaction as the change it reports."""

    __table_args__ = (
        enum_check("status", MessageStatus, "ck_message_status"),
        enum_check("direction", Direction, "ck_message_direction"),
        CheckConstraint("attempts >= 0", name="ck_message_attempts"),
        CheckConstraint("segments >= 1", name="ck_message_segments"),
        Index("ix_message_status_send_after", "status", "send_after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    direction: Direction = Field(sa_type=enum_type(Direction), default=Direction.OUTBOUND)
    to_number: str = Field(max_length=20)
    from_number: str = Field(max_length=20)
    body: str = Field(max_length=1600)
    language: Language = Field(sa_type=enum_type(Language), default=Language.EN)
    template: str = Field(default="", max_length=64)
    segments: int = 1
    urgent: bool = False
    status: MessageStatus = Field(sa_type=enum_type(MessageStatus), default=MessageStatus.PENDING)
    provider_id: str | None = Field(default=None, unique=True, max_length=64)
    error_code: int | None = None
    last_error: str = Field(default="", max_length=500)
    attempts: int = 0
    request_id: int | None = Field(default=None, foreign_key="ride_request.id", ondelete="SET NULL")
    route_id: int | None = Field(default=None, foreign_key="route.id", ondelete="SET NULL")
    send_after: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the relay last put it on the queue; the sweeper re-enqueues only stale ones.
    enqueued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryEvent(SQLModel, table=True):
    """A status callback as received, kept even when it names no message we know."""

    __tablename__ = "delivery_event"
    # Twilio may send one status twice (its retries); each is recorded once.
    __table_args__ = (
        UniqueConstraint("provider_id", "status", name="uq_delivery_event_sid_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str = Field(index=True, max_length=64)
    message_id: int | None = Field(default=None, foreign_key="message.id", ondelete="SET NULL")
    status: str = Field(max_length=32)
    error_code: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundMessage(SQLModel, table=True):
    """A text a rider sent us, stored once per provider message id."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        enum_check("processing_state", InboundState, "ck_inbound_state"),
        # The per-number rate limit counts a number's recent texts on every inbound message.
        Index("ix_inbound_rate", "organisation_id", "from_number", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True, ondelete="CASCADE"
    )
    provider_message_id: str = Field(unique=True, max_length=64)
    from_number: str = Field(max_length=20)
    to_number: str = Field(max_length=20)
    body: str = Field(default="", max_length=1600)
    num_media: int = 0
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processing_state: InboundState = Field(
        sa_type=enum_type(InboundState), default=InboundState.RECEIVED
    )
    # The reply we gave, so a retried webhook gets the very same answer.
    reply_body: str | None = Field(default=None, max_length=1600)


class Conversation(SQLModel, table=True):
    """The SMS conversation state with one phone number."""

    __table_args__ = (UniqueConstraint("organisation_id", "phone", name="uq_conversation_phone"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    phone: str = Field(max_length=20)
    language: Language = Field(sa_type=enum_type(Language), default=Language.EN)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opted_out: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsentEvent(SQLModel, table=True):
    """The consent ledger: every opt-in and opt-out, with its keyword and source."""

    __tablename__ = "consent_event"
    __table_args__ = (enum_check("state", ConsentState, "ck_consent_state"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    phone: str = Field(index=True, max_length=20)
    state: ConsentState = Field(sa_type=enum_type(ConsentState))
    keyword: str = Field(default="", max_length=64)
    source: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
