"""Publishing a day's plan: it becomes the schedule riders and drivers are told about.

The plan's texts are written by the notifier's ``notify_plan`` job, enqueued after commit; the
relay re-enqueues it for any published plan whose texts were never written.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from shared.errors import Conflict, NotFound
from shared.models import (
    AuditEvent,
    Plan,
    PlanState,
    RequestStatus,
    RideRequest,
    Route,
    Stop,
    UnservedRequest,
    utcnow,
)
from shared.outbox import NOTIFY_PLAN, enqueue, on_commit
from shared.request_status import change_status
from shared.ride_requests import UNCONFIRMED_STATUSES


def published_plan(session: Session, organisation_id: int, day: date) -> Plan | None:
    """The day's published plan, if any (a day has at most one: a unique index keeps it so)."""
    return session.exec(
        select(Plan).where(
            Plan.organisation_id == organisation_id,
            Plan.service_date == day,
            Plan.state == PlanState.PUBLISHED,
        )
    ).first()


def _set_status(
    session: Session, request: RideRequest, status: RequestStatus, actor: str, reason: str
) -> None:
    # A request the rider confirmed, or one under way or finished, keeps its status.
    if request.status == status or request.status not in UNCONFIRMED_STATUSES:
        return
    session.add(change_status(request, status, reason, actor))
    session.add(request)


def publish_plan(session: Session, plan_id: int, actor: str) -> Plan:
    """Publish a draft plan, superseding the day's published one, and queue its texts."""
    # Locked and read afresh: of two publishes at once (two web processes), the second waits
    # for the first to commit, then finds the plan published and refuses.
    plan = session.get(Plan, plan_id, with_for_update=True, populate_existing=True)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    if plan.state != PlanState.DRAFT:
        raise Conflict(f"plan {plan_id} is {plan.state.value}; only a draft can be published")
    current = published_plan(session, plan.organisation_id, plan.service_date)
    if current is not None:
        current.state = PlanState.SUPERSEDED
        session.add(current)
        session.flush()  # the one-published-plan index must see the old one gone first
    plan.state = PlanState.PUBLISHED
    plan.published_at = utcnow()
    session.add(plan)
    served = session.exec(
        select(Stop.request_id)
        .join(Route, col(Route.id) == Stop.route_id)
        .where(Route.plan_id == plan.id)
    ).all()
    unserved = session.exec(
        select(UnservedRequest.request_id).where(UnservedRequest.plan_id == plan.id)
    ).all()
    for request_id in set(served):
        request = session.get(RideRequest, request_id)
        if request is not None:
            _set_status(session, request, RequestStatus.SCHEDULED, actor, f"plan v{plan.version}")
    for request_id in set(unserved) - set(served):
        request = session.get(RideRequest, request_id)
        if request is not None:
            _set_status(session, request, RequestStatus.UNMET, actor, f"plan v{plan.version}")
    session.add(
        AuditEvent(
            organisation_id=plan.organisation_id,
            actor=actor,
            action="publish_plan",
            entity="plan",
            entity_id=plan.id,
            before={"published_plan": current.id if current else None},
            after={"published_plan": plan.id, "version": plan.version},
        )
    )
    session.flush()
    on_commit(session, lambda: enqueue(NOTIFY_PLAN, plan_id))
    return plan
