"""What a volunteer driver's answer changes, and the alerts a dispatcher sees about drivers.

The SMS commands and the manifest page's buttons both land here (through
``notifier.driver_reports``, which adds the texts riders get), so each rule lives once:

- accepting sets the published route's ``driver_response`` to ``accepted``;
- declining sets it to ``declined``, records the reason, adds a day off
  (``DriverException``) so the planner leaves the driver out, and queues a re-plan of the day.
  The re-plan makes a draft; a dispatcher publishes it, nothing here does;
- a late report shifts the planned times still ahead on the route, so the day board shows them;
- DONE marks the route's legs so far completed, leaving cancelled and no-show legs alone.

Every answer is also an ``AuditEvent`` (actor ``driver:<id>``), which is where the dispatcher's
alerts (``driver_alerts``) read late reports and decline reasons from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from shared.models import (
    AuditEvent,
    Driver,
    DriverException,
    Plan,
    PlanState,
    RequestStatus,
    RideRequest,
    Route,
    Stop,
    StopKind,
)
from shared.outbox import queue_replan
from shared.publishing import published_plan
from shared.request_status import change_status
from shared.ride_requests import CHANGEABLE_STATUSES
from shared.settings import get_settings


class RouteResponse(StrEnum):
    """A driver's answer to a published route (``Route.driver_response``)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class AlertKind(StrEnum):
    """Why a driver shows up on the day board."""

    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    LATE = "late"


# Audit actions, read back by ``driver_alerts``.
ACCEPTED_ACTION = "driver_accepted"
DECLINED_ACTION = "driver_declined"
LATE_ACTION = "driver_late"
ON_THE_WAY_ACTION = "driver_on_the_way"
DONE_ACTION = "driver_done"
DAY_OFF_ACTION = "driver_day_off"

#: what a driver's day off says when it came from declining a route
DECLINE_REASON_PREFIX = "declined route"
#: request statuses DONE may close: booked, or under way
_CLOSABLE = CHANGEABLE_STATUSES | {RequestStatus.IN_PROGRESS}


def driver_actor(driver: Driver) -> str:
    """How a driver's own changes are signed in the audit log and status history."""
    return f"driver:{driver.id}"


@dataclass(frozen=True)
class DriverAlert:
    """One line on the day board: which driver, why, and the details that go with it."""

    kind: AlertKind
    driver_id: int
    driver_name: str
    route_id: int
    at: datetime | None = None
    minutes: int | None = None
    reason: str = ""


def published_route(session: Session, driver_id: int, day: date) -> Route | None:
    """The driver's route in the day's published plan, if they have one."""
    return session.exec(
        select(Route)
        .join(Plan, col(Plan.id) == Route.plan_id)
        .where(
            Route.driver_id == driver_id,
            Plan.service_date == day,
            Plan.state == PlanState.PUBLISHED,
        )
    ).first()


def next_published_route(
    session: Session, driver_id: int, today: date
) -> tuple[Route, date] | None:
    """The driver's first published route from ``today`` on, with its day."""
    row = session.exec(
        select(Route, col(Plan.service_date))
        .join(Plan, col(Plan.id) == Route.plan_id)
        .where(
            Route.driver_id == driver_id,
            Plan.service_date >= today,
            Plan.state == PlanState.PUBLISHED,
        )
        .order_by(col(Plan.service_date))
    ).first()
    return None if row is None else (row[0], row[1])


def route_day(session: Session, route: Route) -> date:
    """The service date of a route's plan."""
    plan = session.get(Plan, route.plan_id)
    assert plan is not None
    return plan.service_date


def route_stops(session: Session, route: Route) -> list[Stop]:
    """A route's stops in driving order."""
    return list(
        session.exec(select(Stop).where(Stop.route_id == route.id).order_by(col(Stop.seq))).all()
    )


def _audit(
    session: Session,
    driver: Driver,
    action: str,
    entity: str,
    entity_id: int | None,
    now: datetime,
    after: dict[str, object],
) -> None:
    session.add(
        AuditEvent(
            organisation_id=driver.organisation_id,
            actor=driver_actor(driver),
            action=action,
            entity=entity,
            entity_id=entity_id,
            after=after,
            at=now,
        )
    )


def accept_route(session: Session, driver: Driver, route: Route, now: datetime) -> None:
    """The driver accepts the route: the dispatcher sees ``accepted``."""
    route.driver_response = RouteResponse.ACCEPTED.value
    session.add(route)
    _audit(session, driver, ACCEPTED_ACTION, "route", route.id, now, {"response": "accepted"})
    session.flush()


def _day_off(session: Session, driver: Driver, day: date, reason: str) -> None:
    """Make ``day`` a day off, replacing other hours the driver had given for it."""
    assert driver.id is not None
    row = session.exec(
        select(DriverException).where(
            DriverException.driver_id == driver.id, DriverException.day == day
        )
    ).first()
    if row is None:
        row = DriverException(driver_id=driver.id, day=day)
    row.available = False
    row.start_time = row.end_time = None
    row.reason = reason[:200]
    session.add(row)
    session.flush()


def decline_route(
    session: Session, driver: Driver, route: Route, now: datetime, reason: str = ""
) -> date:
    """The driver declines: record it, take them off that day and queue a draft re-plan.

    Returns the route's day. ``queue_replan`` locks the day's ticket until commit, so this is
    the last change a caller should make before committing.
    """
    day = route_day(session, route)
    route.driver_response = RouteResponse.DECLINED.value
    session.add(route)
    label = f"{DECLINE_REASON_PREFIX}: {reason}" if reason else DECLINE_REASON_PREFIX
    _day_off(session, driver, day, label)
    after: dict[str, object] = {
        "response": "declined",
        "reason": reason[:200],
        "day": day.isoformat(),
    }
    _audit(session, driver, DECLINED_ACTION, "route", route.id, now, after)
    session.flush()
    queue_replan(session, driver.organisation_id, day)
    return day


def take_day_off(
    session: Session, driver: Driver, day: date, now: datetime, reason: str = ""
) -> Route | None:
    """Record a day off; a published route that day is declined (and returned)."""
    route = published_route(session, driver.id or 0, day)
    if route is not None and route.driver_response != RouteResponse.DECLINED:
        decline_route(session, driver, route, now, reason or "day off")
        return route
    _day_off(session, driver, day, reason or "day off")
    _audit(session, driver, DAY_OFF_ACTION, "driver", driver.id, now, {"day": day.isoformat()})
    session.flush()
    return route


def _open_request(session: Session, stop: Stop) -> RideRequest | None:
    request = session.get(RideRequest, stop.request_id)
    if request is None or request.status not in CHANGEABLE_STATUSES:
        return None
    return request


def report_late(
    session: Session, driver: Driver, route: Route, minutes: int, now: datetime
) -> list[Stop]:
    """Shift the route's stops still ahead by ``minutes``; the pick-ups of riders still waiting.

    Returned pick-ups carry their new planned times. Stops already passed, and pick-ups of
    rides no longer open (completed, cancelled, no-show), are not returned.
    """
    shift = timedelta(minutes=minutes)
    waiting: list[Stop] = []
    for stop in route_stops(session, route):
        if stop.planned_at <= now:
            continue
        stop.planned_at = stop.planned_at + shift
        session.add(stop)
        if stop.kind == StopKind.PICKUP and _open_request(session, stop) is not None:
            waiting.append(stop)
    if route.end_at is not None and route.end_at > now:
        route.end_at = route.end_at + shift
    if route.start_at is not None and route.start_at > now:
        route.start_at = route.start_at + shift
    session.add(route)
    after: dict[str, object] = {"minutes": minutes, "riders": len(waiting)}
    _audit(session, driver, LATE_ACTION, "route", route.id, now, after)
    session.flush()
    return waiting


def _on_the_way_requests(session: Session, route: Route) -> set[int]:
    rows = session.exec(
        select(AuditEvent.entity_id).where(
            AuditEvent.action == ON_THE_WAY_ACTION,
            AuditEvent.entity == "ride_request",
            col(AuditEvent.after)["route_id"].as_integer() == route.id,
        )
    ).all()
    return {row for row in rows if row is not None}


def next_pickup(session: Session, driver: Driver, route: Route, now: datetime) -> Stop | None:
    """The next rider's pick-up the driver has not yet said they left for; recorded as told.

    The pick-ups are taken in driving order, skipping closed rides, so each ON MY WAY tells
    the next rider.
    """
    told = _on_the_way_requests(session, route)
    for stop in route_stops(session, route):
        if stop.kind != StopKind.PICKUP or stop.request_id in told:
            continue
        if _open_request(session, stop) is None:
            continue
        after: dict[str, object] = {"route_id": route.id}
        _audit(session, driver, ON_THE_WAY_ACTION, "ride_request", stop.request_id, now, after)
        session.flush()
        return stop
    return None


def complete_legs(session: Session, driver: Driver, route: Route, now: datetime) -> int:
    """Mark completed the route's legs picked up so far (or left for); how many changed.

    A leg counts as picked up when its planned pick-up time has come or the driver said they
    were on the way to it. Legs already closed otherwise (cancelled, no-show) keep their status.
    """
    told = _on_the_way_requests(session, route)
    changed = 0
    seen: set[int] = set()
    for stop in route_stops(session, route):
        if stop.kind != StopKind.PICKUP or stop.request_id in seen:
            continue
        seen.add(stop.request_id)
        if stop.planned_at > now and stop.request_id not in told:
            continue
        request = session.get(RideRequest, stop.request_id)
        if request is None or request.status not in _CLOSABLE:
            continue
        session.add(
            change_status(request, RequestStatus.COMPLETED, "driver: done", driver_actor(driver))
        )
        session.add(request)
        changed += 1
    _audit(session, driver, DONE_ACTION, "route", route.id, now, {"completed": changed})
    session.flush()
    return changed


def driver_alerts(
    session: Session,
    organisation_id: int,
    day: date,
    now: datetime,
    answer_window: timedelta | None = None,
) -> list[DriverAlert]:
    """The day's alerts about drivers of the published plan, in route order.

    A declined route (with the driver's reason); a route still unanswered ``answer_window``
    (default ``DRIVER_ANSWER_HOURS``, 12) before its first pick-up; each late report (its
    minutes and when it came).
    """
    if answer_window is None:
        answer_window = timedelta(hours=get_settings().app.driver_answer_hours)
    plan = published_plan(session, organisation_id, day)
    if plan is None:
        return []
    routes = session.exec(
        select(Route).where(Route.plan_id == plan.id).order_by(col(Route.id))
    ).all()
    alerts: list[DriverAlert] = []
    for route in routes:
        driver = session.get(Driver, route.driver_id)
        assert driver is not None and route.id is not None and driver.id is not None
        events = _route_events(session, organisation_id, route.id)
        if route.driver_response == RouteResponse.DECLINED:
            declined = [e for e in events if e.action == DECLINED_ACTION]
            reason = str((declined[-1].after or {}).get("reason", "")) if declined else ""
            at = declined[-1].at if declined else None
            alerts.append(
                DriverAlert(AlertKind.DECLINED, driver.id, driver.name, route.id, at, reason=reason)
            )
        elif route.driver_response == RouteResponse.PENDING:
            stops = route_stops(session, route)
            first = stops[0].planned_at if stops else route.start_at
            if first is not None and now >= first - answer_window:
                alerts.append(
                    DriverAlert(AlertKind.NO_ANSWER, driver.id, driver.name, route.id, first)
                )
        for event in events:
            if event.action == LATE_ACTION:
                minutes = (event.after or {}).get("minutes")
                alerts.append(
                    DriverAlert(
                        AlertKind.LATE,
                        driver.id,
                        driver.name,
                        route.id,
                        event.at,
                        minutes=minutes if isinstance(minutes, int) else None,
                    )
                )
    return alerts


def _route_events(session: Session, organisation_id: int, route_id: int) -> Sequence[AuditEvent]:
    return session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.organisation_id == organisation_id,
            AuditEvent.entity == "route",
            AuditEvent.entity_id == route_id,
            col(AuditEvent.action).in_((DECLINED_ACTION, LATE_ACTION)),
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
