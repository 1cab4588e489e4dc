"""A day's plans as dispatchers see them: the newest draft, the published plan, publishing it."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from shared.errors import NotFound
from shared.models import Plan, PlanState
from shared.publishing import publish_plan


def day_plans(session: Session, organisation_id: int, day: date) -> list[Plan]:
    """Every plan version of one organisation's day, newest first."""
    return list(
        session.exec(
            select(Plan)
            .where(Plan.organisation_id == organisation_id, Plan.service_date == day)
            .order_by(col(Plan.version).desc())
        ).all()
    )


def latest_plan(session: Session, organisation_id: int, day: date, state: PlanState) -> Plan | None:
    """The newest plan of the day in ``state``, if any."""
    return session.exec(
        select(Plan)
        .where(
            Plan.organisation_id == organisation_id,
            Plan.service_date == day,
            Plan.state == state,
        )
        .order_by(col(Plan.version).desc())
    ).first()


def newest_version(session: Session, organisation_id: int, day: date) -> int:
    """The highest plan version of the day, 0 when there is none."""
    plans = day_plans(session, organisation_id, day)
    return plans[0].version if plans else 0


def publish_latest_draft(session: Session, organisation_id: int, day: date, actor: str) -> Plan:
    """Publish the day's newest draft (it must be newer than the published plan)."""
    draft = latest_plan(session, organisation_id, day, PlanState.DRAFT)
    published = latest_plan(session, organisation_id, day, PlanState.PUBLISHED)
    if draft is None or (published is not None and published.version > draft.version):
        raise NotFound(
            f"no draft plan for {day.isoformat()} newer than the published one; "
            "run the scheduler first (`rides plan` or the plan page)"
        )
    assert draft.id is not None
    return publish_plan(session, draft.id, actor)
