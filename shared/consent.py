"""The consent ledger: who may be texted, and every opt-in and opt-out with its keyword."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import Session, col, select

from shared.models import ConsentEvent, ConsentState, Conversation, Rider, utcnow


def opted_out_clause(organisation_id: Any, phone: Any) -> ColumnElement[bool]:
    """SQL that is true when ``phone`` opted out of the organisation's texts.

    Both arguments may be values or columns, so a query can check a whole outbox at once.
    """
    return or_(
        exists().where(
            col(Rider.organisation_id) == organisation_id,
            col(Rider.phone) == phone,
            col(Rider.consent_state) == ConsentState.OPTED_OUT,
        ),
        exists().where(
            col(Conversation.organisation_id) == organisation_id,
            col(Conversation.phone) == phone,
            col(Conversation.opted_out).is_(True),
        ),
    )


def is_opted_out(session: Session, organisation_id: int, phone: str) -> bool:
    """True when the number has opted out of this organisation's texts."""
    return bool(session.exec(select(opted_out_clause(organisation_id, phone))).one())


def record_consent(
    session: Session,
    organisation_id: int,
    phone: str,
    state: ConsentState,
    *,
    keyword: str = "",
    source: str,
) -> ConsentEvent:
    """Record a consent change on the ledger, the rider (if known) and the conversation."""
    now = utcnow()
    event = ConsentEvent(
        organisation_id=organisation_id,
        phone=phone,
        state=state,
        keyword=keyword[:64],
        source=source,
        at=now,
    )
    session.add(event)
    rider = session.exec(
        select(Rider).where(Rider.organisation_id == organisation_id, Rider.phone == phone)
    ).first()
    if rider is not None:
        rider.consent_state = state
        rider.consent_changed_at = now
        rider.consent_source = source
        session.add(rider)
    conversation = session.exec(
        select(Conversation).where(
            Conversation.organisation_id == organisation_id, Conversation.phone == phone
        )
    ).first()
    if conversation is None:
        conversation = Conversation(organisation_id=organisation_id, phone=phone)
    conversation.opted_out = state == ConsentState.OPTED_OUT
    conversation.updated_at = now
    session.add(conversation)
    session.flush()
    return event
