"""The dispatcher's actions in the JSON API (``/api/v1``, under the organisation's key).

Plans: list a day's versions, get one with its routes, stops and unserved legs, run the
scheduler, publish. Rides: move to another driver (or out of the plan), lock and unlock. The
handlers call the same plain functions as the pages, so each rule lives in one place; every
change is audited with the actor ``api``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from scheduler.actors import plan_day
from services.booking.api._http import Call, Operation, Reply
from services.booking.api._input import IsoDate, Query
from services.booking.api._rows import scoped
from services.booking.api.errors import InvalidInput
from services.dispatch import actions
from services.dispatch.moves import MoveRefused, move_ride
from shared.audit import record
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import (
    Driver,
    Organisation,
    Plan,
    RideRequest,
    Route,
    Stop,
    UnservedRequest,
)
from shared.plan_days import newest_version
from shared.publishing import publish_plan

API_ACTOR = "api"


class PlanSummary(BaseModel):
    """One version of a day's plan."""

    id: int
    service_date: date
    version: int
    state: str
    created_by: str
    created_at: datetime
    published_at: datetime | None


class StopOut(BaseModel):
    seq: int
    kind: str
    leg: str
    request_id: int
    planned_at: datetime
    latitude: float
    longitude: float
    address: str


class RouteOut(BaseModel):
    id: int
    driver_id: int
    frozen: bool
    distance_m: int
    driving_seconds: int
    driver_response: str
    stops: list[StopOut]


class UnservedOut(BaseModel):
    request_id: int
    leg: str
    reason: str


class PlanDetail(PlanSummary):
    """A plan with each driver's route and the legs it leaves out."""

    routes: list[RouteOut]
    unserved: list[UnservedOut]


class RunPlan(BaseModel):
    """Which day to plan."""

    model_config = ConfigDict(extra="forbid")
    service_date: date


class RunQueued(BaseModel):
    service_date: date
    queued: bool
    newest_version: int


class MoveRide(BaseModel):
    """The driver to move the ride to; null takes it out of the plan."""

    model_config = ConfigDict(extra="forbid")
    driver_id: int | None = Field(ge=1, le=2**31 - 1)


class MoveResult(BaseModel):
    request_id: int
    driver_id: int | None
    plan_version: int


class LockRide(BaseModel):
    """Lock a ride to a driver, or hold it out of the plan (``hold_out``)."""

    model_config = ConfigDict(extra="forbid")
    driver_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    hold_out: bool = False


class LockOut(BaseModel):
    request_id: int
    kind: str
    driver_id: int | None


class PlanQuery(Query):
    service_date: Annotated[
        IsoDate | None, Field(description="Only plans of this day (YYYY-MM-DD).")
    ] = None


def _summary(plan: Plan) -> dict[str, Any]:
    return PlanSummary.model_validate(plan, from_attributes=True).model_dump(mode="json")


def _list(call: Call) -> Reply:
    query = select(Plan).where(Plan.organisation_id == call.organisation_id)
    if call.query.service_date is not None:
        query = query.where(Plan.service_date == call.query.service_date)
    plans = call.session.exec(
        query.order_by(col(Plan.service_date).desc(), col(Plan.version).desc()).limit(200)
    ).all()
    items = [_summary(p) for p in plans]
    return Reply({"items": items, "total": len(items), "limit": 200, "offset": 0, "next": None})


def _detail(session: Session, plan: Plan) -> dict[str, Any]:
    routes = []
    for route in session.exec(
        select(Route).where(Route.plan_id == plan.id).order_by(col(Route.id))
    ):
        stops = session.exec(
            select(Stop).where(Stop.route_id == route.id).order_by(col(Stop.seq))
        ).all()
        routes.append(
            RouteOut(
                **route.model_dump(exclude={"plan_id", "start_at", "end_at"}),
                stops=[StopOut.model_validate(s, from_attributes=True) for s in stops],
            )
        )
    unserved = session.exec(select(UnservedRequest).where(UnservedRequest.plan_id == plan.id)).all()
    detail = PlanDetail(
        **PlanSummary.model_validate(plan, from_attributes=True).model_dump(),
        routes=routes,
        unserved=[UnservedOut.model_validate(u, from_attributes=True) for u in unserved],
    )
    return detail.model_dump(mode="json")


def _get(call: Call) -> Reply:
    assert call.path_id is not None
    plan = scoped(call.session, Plan, call.organisation_id, call.path_id, "plan")
    return Reply(_detail(call.session, plan))


def _run(call: Call) -> Reply:
    body: RunPlan = call.body
    version = newest_version(call.session, call.organisation_id, body.service_date)
    record(
        call.session,
        call.organisation_id,
        API_ACTOR,
        "run_scheduler",
        "plan",
        None,
        {"newest_version": version},
        {"queued_for": body.service_date.isoformat()},
    )
    call.session.commit()  # the audit row before the job, which may finish first
    plan_day.send(call.organisation_id, body.service_date.isoformat())
    return Reply(
        RunQueued(service_date=body.service_date, queued=True, newest_version=version).model_dump(
            mode="json"
        )
    )


def _publish(call: Call) -> Reply:
    assert call.path_id is not None
    plan = scoped(call.session, Plan, call.organisation_id, call.path_id, "plan")
    try:
        publish_plan(call.session, call.path_id, API_ACTOR)
    except NotFound as exc:  # the plan exists (scoped above): what is missing is a conflict
        raise Conflict(str(exc)) from exc
    return Reply(_summary(plan))


def _driver(call: Call, driver_id: int | None) -> None:
    if driver_id is not None:
        driver = call.session.get(Driver, driver_id)
        if driver is None or driver.organisation_id != call.organisation_id:
            raise NotFound(f"no driver {driver_id} in your organisation")


def _move(call: Call) -> Reply:
    assert call.path_id is not None
    ride = scoped(call.session, RideRequest, call.organisation_id, call.path_id, "ride request")
    body: MoveRide = call.body
    _driver(call, body.driver_id)
    org = call.session.get(Organisation, call.organisation_id)
    assert org is not None
    try:
        moved = move_ride(
            call.session, call.organisation_id, ride, body.driver_id, API_ACTOR, org.time_zone
        )
    except MoveRefused as refused:
        message = "the move breaks the scheduler's rules: " + "; ".join(refused.reasons)
        raise Conflict(message) from refused
    result = MoveResult(
        request_id=call.path_id, driver_id=moved.driver_id, plan_version=moved.version
    )
    return Reply(result.model_dump(mode="json"))


def _lock(call: Call) -> Reply:
    assert call.path_id is not None
    ride = scoped(call.session, RideRequest, call.organisation_id, call.path_id, "ride request")
    body: LockRide = call.body
    if (body.driver_id is None) != body.hold_out:
        raise InvalidInput.one("body", "give driver_id, or hold_out true (not both)")
    _driver(call, body.driver_id)
    try:
        lock = actions.set_lock(call.session, ride, body.driver_id, body.hold_out, API_ACTOR)
    except ValidationFailed as exc:
        raise InvalidInput.one("body", str(exc)) from exc
    result = LockOut(request_id=call.path_id, kind=lock.kind.value, driver_id=lock.driver_id)
    return Reply(result.model_dump(mode="json"))


def _unlock(call: Call) -> Reply:
    assert call.path_id is not None
    ride = scoped(call.session, RideRequest, call.organisation_id, call.path_id, "ride request")
    actions.remove_lock(call.session, ride, API_ACTOR)
    return Reply(None, status=204)


def dispatch_operations() -> list[Operation]:
    """The dispatcher's operations of the JSON API."""
    plans: dict[str, Any] = {"noun": "plan", "tag": "plans"}
    rides: dict[str, Any] = {"noun": "ride request", "tag": "dispatch"}
    return [
        Operation(
            "GET", "/plans", "list_plans", "List plan versions, newest first",
            handler=_list, response=PlanSummary, query=PlanQuery, **plans,
        ),
        Operation(
            "GET", "/plans/{id}", "get_plan", "One plan with its routes, stops and unserved legs",
            handler=_get, response=PlanDetail, **plans,
        ),
        Operation(
            "POST", "/plans/run", "run_plan",
            "Queue the scheduler for a day; a new draft version appears when it is done",
            handler=_run, body=RunPlan, response=RunQueued, **plans,
        ),
        Operation(
            "POST", "/plans/{id}/publish", "publish_plan",
            "Publish a draft: drivers and riders get their texts",
            handler=_publish, response=PlanSummary, conflicts=True, **plans,
        ),
        Operation(
            "POST", "/ride-requests/{id}/move", "move_ride",
            "Move a ride to another driver (null: out of the plan), checked by the rules",
            handler=_move, body=MoveRide, response=MoveResult, **rides,
        ),
        Operation(
            "POST", "/ride-requests/{id}/lock", "lock_ride",
            "Lock a ride to a driver or hold it out; re-plans keep the decision",
            handler=_lock, body=LockRide, response=LockOut, **rides,
        ),
        Operation(
            "POST", "/ride-requests/{id}/unlock", "unlock_ride", "Let re-plans place a ride freely",
            handler=_unlock, status=204, **rides,
        ),
    ]  # fmt: skip
