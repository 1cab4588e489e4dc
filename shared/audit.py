"""The audit log: every change a person makes, with the row before and after.

One function writes an event in the caller's transaction, so the change and its record commit
or roll back together; another reads them back, filtered, for the audit page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from shared.i18n import time_zone as zone
from shared.models import AuditEvent


def record(
    session: Session,
    organisation_id: int,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """Add one audit event to ``session`` (committed with the change it describes)."""
    event = AuditEvent(
        organisation_id=organisation_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list: a local day, an actor, a kind of change (all optional)."""

    day: date | None = None
    actor: str | None = None
    action: str | None = None
    limit: int = 200


def list_events(
    session: Session, organisation_id: int, time_zone: str, wanted: AuditFilter
) -> list[AuditEvent]:
    """An organisation's audit events, newest first, filtered by ``wanted``."""
    query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if wanted.day is not None:
        start = datetime.combine(wanted.day, time(0), zone(time_zone))
        query = query.where(
            col(AuditEvent.at) >= start, col(AuditEvent.at) < start + timedelta(days=1)
        )
    if wanted.actor:
        query = query.where(AuditEvent.actor == wanted.actor)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(session.exec(query.limit(wanted.limit)).all())


def actors_and_actions(session: Session, organisation_id: int) -> tuple[list[str], list[str]]:
    """The distinct actors and actions an organisation's log holds (for the filter lists)."""
    actors = session.exec(
        select(AuditEvent.actor).where(AuditEvent.organisation_id == organisation_id).distinct()
    ).all()
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.organisation_id == organisation_id).distinct()
    ).all()
    return sorted(actors), sorted(actions)
