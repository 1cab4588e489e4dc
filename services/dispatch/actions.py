"""What a dispatcher changes, each change with its audit event (before and after).

Plain functions over a session: the pages call them, and so can the JSON API and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from services.dispatch.i18n import N_, gettext, show_datetime, show_time
from services.dispatch.views import KIND_LABELS, STATUS_LABELS, needs_of, place_name, shown_plan
from shared.audit import record
from shared.errors import ValidationFailed
from shared.models import (
    AssignmentLock,
    AuditEvent,
    Driver,
    LockKind,
    Place,
    Plan,
    PlanState,
    RequestStatus,
    Rider,
    RideRequest,
    Route,
    Stop,
)
from shared.request_status import change_status

OUTCOMES = {
    "completed": RequestStatus.COMPLETED,
    "no_show": RequestStatus.NO_SHOW,
    "cancelled": RequestStatus.CANCELLED,
}
# Whatever became of a ride, a dispatcher may still correct it; a cancellation needs a reason.
_NEEDS_REASON = {RequestStatus.CANCELLED}


def _lock_state(lock: AssignmentLock | None) -> dict[str, Any] | None:
    if lock is None:
        return None
    return {"kind": lock.kind.value, "driver_id": lock.driver_id}


def set_outcome(
    session: Session, ride: RideRequest, outcome: str, reason: str, actor: str
) -> RideRequest:
    """Mark a ride completed, no-show or cancelled (a cancellation says why)."""
    status = OUTCOMES.get(outcome)
    if status is None:
        raise ValidationFailed(N_("Choose completed, no-show or cancelled."))
    if status in _NEEDS_REASON and not reason:
        raise ValidationFailed(N_("Say why the ride is cancelled."))
    before = {"status": ride.status.value, "reason": ride.status_reason}
    session.add(change_status(ride, status, reason or outcome, actor))
    session.add(ride)
    assert ride.id is not None
    record(
        session,
        ride.organisation_id,
        actor,
        "set_outcome",
        "ride_request",
        ride.id,
        before,
        {"status": status.value, "reason": ride.status_reason},
    )
    return ride


def set_lock(
    session: Session, ride: RideRequest, driver_id: int | None, hold_out: bool, actor: str
) -> AssignmentLock:
    """Lock a ride to a driver, or hold it out of the plan; the next plan keeps the decision."""
    if driver_id is None and not hold_out:
        raise ValidationFailed(N_("Choose a driver to lock the ride to."))
    assert ride.id is not None
    lock = session.exec(select(AssignmentLock).where(AssignmentLock.request_id == ride.id)).first()
    before = _lock_state(lock)
    if lock is None:
        lock = AssignmentLock(
            organisation_id=ride.organisation_id, request_id=ride.id, kind=LockKind.PIN
        )
    lock.kind = LockKind.UNSERVED if hold_out else LockKind.PIN
    lock.driver_id = None if hold_out else driver_id
    lock.created_by = actor
    session.add(lock)
    session.flush()
    record(
        session,
        ride.organisation_id,
        actor,
        "lock",
        "ride_request",
        ride.id,
        before,
        _lock_state(lock),
    )
    return lock


def remove_lock(session: Session, ride: RideRequest, actor: str) -> None:
    """Let the scheduler place the ride freely again."""
    lock = session.exec(select(AssignmentLock).where(AssignmentLock.request_id == ride.id)).first()
    if lock is None:
        return
    before = _lock_state(lock)
    session.delete(lock)
    record(session, ride.organisation_id, actor, "unlock", "ride_request", ride.id, before, None)


def set_frozen(
    session: Session, organisation_id: int, route: Route, frozen: bool, actor: str
) -> Route:
    """Freeze a published route (re-plans keep its stops in order) or let it change again."""
    plan = session.get(Plan, route.plan_id)
    if plan is None or plan.state != PlanState.PUBLISHED:
        raise ValidationFailed(N_("Only a route of the published plan can be frozen."))
    before = {"frozen": route.frozen}
    route.frozen = frozen
    session.add(route)
    record(
        session,
        organisation_id,
        actor,
        "freeze_route" if frozen else "unfreeze_route",
        "route",
        route.id,
        before,
        {"frozen": frozen},
    )
    return route


@dataclass(frozen=True)
class RequestDetail:
    id: int
    code: str
    rider: str
    kind: str
    status: RequestStatus
    status_label: str
    status_reason: str
    day: str
    from_place: str
    to_place: str
    arrive_by: str
    depart: str
    notes: str
    needs: str
    lock: str
    locked: bool
    drivers: list[tuple[int, str]]
    # Where the shown plan has it: "Ann: pick up 9:40 AM, drop off 10:05 AM" per leg.
    planned: list[str]


def request_detail(session: Session, ride: RideRequest, time_zone: str) -> RequestDetail:
    """One ride as the request page shows it, with the drivers it could be locked to."""
    assert ride.id is not None
    rider = session.get(Rider, ride.rider_id)
    places = {
        p.id: place_name(p)
        for p in session.exec(
            select(Place).where(col(Place.id).in_([ride.from_place_id, ride.to_place_id]))
        )
    }
    drivers = session.exec(
        select(Driver)
        .where(Driver.organisation_id == ride.organisation_id, col(Driver.active).is_(True))
        .order_by(col(Driver.name))
    ).all()
    names = {d.id: d.name for d in drivers}
    lock = session.exec(select(AssignmentLock).where(AssignmentLock.request_id == ride.id)).first()
    lock_text = ""
    if lock is not None:
        lock_text = (
            gettext("held out of the plan")
            if lock.kind == LockKind.UNSERVED
            else gettext("locked to %(driver)s") % {"driver": names.get(lock.driver_id, "?")}
        )
    home = gettext("home")
    return RequestDetail(
        id=ride.id,
        code=ride.reference_code,
        rider=rider.name if rider else "?",
        kind=gettext(KIND_LABELS.get(ride.kind.value, ride.kind.value)),
        status=ride.status,
        status_label=gettext(STATUS_LABELS[ride.status]),
        status_reason=ride.status_reason,
        day=ride.service_date.isoformat(),
        from_place=places.get(ride.from_place_id, home) if ride.from_place_id else home,
        to_place=places.get(ride.to_place_id, home) if ride.to_place_id else home,
        arrive_by=show_time(ride.arrive_by, time_zone),
        depart=show_time(ride.earliest_departure or ride.return_pickup_at, time_zone),
        notes=ride.notes,
        needs=needs_of(ride),
        lock=lock_text,
        locked=lock is not None,
        drivers=[(d.id or 0, d.name) for d in drivers],
        planned=_planned(session, ride, names, time_zone),
    )


def _planned(
    session: Session, ride: RideRequest, names: dict[int | None, str], time_zone: str
) -> list[str]:
    plan = shown_plan(session, ride.organisation_id, ride.service_date)
    if plan is None:
        return []
    legs: dict[tuple[str, int], list[str]] = {}
    for stop, driver_id in session.exec(
        select(Stop, Route.driver_id)
        .join(Route, col(Route.id) == Stop.route_id)
        .where(Route.plan_id == plan.id, Stop.request_id == ride.id)
        .order_by(col(Stop.planned_at))
    ):
        what = gettext("pick up") if stop.kind.value == "pickup" else gettext("drop off")
        legs.setdefault((stop.leg.value, driver_id), []).append(
            f"{what} {show_time(stop.planned_at, time_zone)}"
        )
    return [
        f"{names.get(driver_id, '?')}: {', '.join(stops)}"
        for (_leg, driver_id), stops in legs.items()
    ]


ACTION_LABELS = {
    "login": N_("logged in"),
    "create_user": N_("account created"),
    "disable_user": N_("account disabled"),
    "run_scheduler": N_("scheduler run"),
    "publish_plan": N_("plan published"),
    "set_outcome": N_("outcome marked"),
    "lock": N_("ride locked"),
    "unlock": N_("ride unlocked"),
    "move_ride": N_("ride moved"),
    "freeze_route": N_("route frozen"),
    "unfreeze_route": N_("route unfrozen"),
}


def action_label(action: str) -> str:
    """A kind of change in words, in the current language (unknown kinds as stored)."""
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action


@dataclass(frozen=True)
class AuditRow:
    at: str
    actor: str
    action: str
    entity: str
    before: str
    after: str


def _show(state: dict[str, Any] | None) -> str:
    if not state:
        return "—"
    return ", ".join(f"{key}: {value}" for key, value in state.items())


def audit_rows(events: list[AuditEvent], time_zone: str) -> list[AuditRow]:
    """Audit events as the audit page lists them."""
    return [
        AuditRow(
            at=show_datetime(event.at, time_zone),
            actor=event.actor,
            action=action_label(event.action),
            entity=f"{event.entity} {event.entity_id}" if event.entity_id else event.entity,
            before=_show(event.before),
            after=_show(event.after),
        )
        for event in events
    ]
