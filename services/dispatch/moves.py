"""Moving a ride to another driver, or out of the plan, checked by the scheduler's rules.

The shown plan (the newest draft, else the published plan) is read into the solver's terms, the
ride is taken out of its route and tried in the target driver's route with
``scheduler.insertion.try_insertion``. A move that breaks a rule changes nothing and says why in
the dispatcher's language; a move that fits is stored as the next draft version, and the ride is
locked to the driver so that a re-plan keeps it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from scheduler.load import SEAT_TYPES, DayProblem, build_day
from scheduler.planning import travel_from_settings
from scheduler.solver import Route as SolvedRoute
from scheduler.solver import Solution, Unserved, UnservedReason, Visit
from scheduler.solver import Stop as SolverStop
from scheduler.solver import StopKind as SolverStopKind
from scheduler.solver.insertion import BrokenRule, check_route, try_insertion
from scheduler.store import store_plan
from services.dispatch.actions import set_lock
from services.dispatch.i18n import N_, gettext, show_time
from services.dispatch.views import place_name, shown_plan
from shared.audit import record
from shared.errors import RidesError
from shared.models import (
    Driver,
    Place,
    Plan,
    RequestKind,
    Rider,
    RideRequest,
    Route,
    Stop,
    UnservedRequest,
)
from shared.settings import get_settings


class MoveRefused(RidesError):
    """A move the rules do not allow; ``reasons`` say why, in the current language."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Moved:
    """A move that was stored: the new draft's version and the driver (None: out of the plan)."""

    version: int
    driver_id: int | None


def _seconds(moment: datetime, day: DayProblem) -> int:
    return int((moment - day.midnight.astimezone(UTC)).total_seconds())


def _current_routes(
    session: Session, plan: Plan, day: DayProblem
) -> tuple[dict[str, list[SolverStop]], dict[str, SolvedRoute], dict[str, str]]:
    """The plan's routes as solver stops and timed routes, and the reasons of its unserved legs."""
    leg_ids = {(ref.request_id, ref.leg): sid for sid, ref in day.legs.items()}
    vehicles = {driver_id: vid for vid, driver_id in day.drivers.items()}
    requests = {r.id: r for r in day.problem.requests}
    orders: dict[str, list[SolverStop]] = {}
    timed: dict[str, SolvedRoute] = {}
    for route in session.exec(select(Route).where(Route.plan_id == plan.id)):
        vid = vehicles.get(route.driver_id)
        if vid is None:
            continue  # the driver no longer drives that day: the re-check below drops the route
        stops = session.exec(
            select(Stop).where(Stop.route_id == route.id).order_by(col(Stop.seq))
        ).all()
        order, visits = [], []
        for stop in stops:
            sid = leg_ids.get((stop.request_id, stop.leg))
            if sid is None:
                continue  # cancelled since the plan was made
            kind = SolverStopKind(stop.kind.value)
            order.append(SolverStop(sid, kind))
            location = (
                requests[sid].pickup if kind is SolverStopKind.PICKUP else (requests[sid].dropoff)
            )
            visits.append(Visit(sid, kind, location, _seconds(stop.planned_at, day)))
        orders[vid] = order
        start = _seconds(route.start_at, day) if route.start_at else 0
        end = _seconds(route.end_at, day) if route.end_at else 0
        timed[vid] = SolvedRoute(vid, tuple(visits), start, end)
    unserved = {}
    for row in session.exec(select(UnservedRequest).where(UnservedRequest.plan_id == plan.id)):
        sid = leg_ids.get((row.request_id, row.leg))
        if sid is not None:
            unserved[sid] = row.reason
    return orders, timed, unserved


def _words(
    broken: BrokenRule,
    ride: RideRequest,
    rider: str,
    driver: str,
    destination: str,
    tz: str,
    midnight: datetime,
) -> str:
    """One broken rule as a dispatcher would say it."""
    minutes = round(broken.amount / 60)
    limit_minutes = round(broken.limit / 60)
    at = show_time(midnight + timedelta(seconds=broken.limit), tz)
    if broken.rule == "skills" and broken.what == "wheelchair":
        return gettext(N_("no wheelchair space in %(driver)s's car")) % {"driver": driver}
    if broken.rule == "skills" and broken.what.startswith("lang:"):
        return gettext(N_("%(driver)s does not speak %(rider)s's language")) % {
            "driver": driver,
            "rider": rider,
        }
    if broken.rule == "skills":
        return gettext(N_("%(driver)s's car lacks what %(rider)s needs")) % {
            "driver": driver,
            "rider": rider,
        }
    if broken.rule == "capacity" and SEAT_TYPES[int(broken.what)] == "wheelchair":
        return gettext(N_("no wheelchair space in %(driver)s's car")) % {"driver": driver}
    if broken.rule == "capacity":
        return gettext(
            N_("not enough seats in %(driver)s's car (%(need)s needed, %(seats)s free)")
        ) % {
            "driver": driver,
            "need": broken.amount,
            "seats": broken.limit,
        }
    if broken.rule == "window" and broken.kind is not None and broken.kind.value == "dropoff":
        if ride.kind == RequestKind.APPOINTMENT:
            return gettext(N_("too late for the %(time)s appointment at %(place)s")) % {
                "time": at,
                "place": destination,
            }
        return gettext(N_("%(rider)s would arrive %(minutes)s minutes after %(time)s")) % {
            "rider": rider,
            "minutes": minutes,
            "time": at,
        }
    if broken.rule == "window":
        return gettext(N_("%(driver)s cannot pick %(rider)s up by %(time)s")) % {
            "driver": driver,
            "rider": rider,
            "time": at,
        }
    if broken.rule == "ride_time":
        return gettext(N_("%(rider)s would ride %(minutes)s minutes; the limit is %(limit)s")) % {
            "rider": rider,
            "minutes": minutes,
            "limit": limit_minutes,
        }
    if broken.rule in ("shift", "duration"):
        return gettext(N_("%(driver)s would still be driving after their hours end")) % {
            "driver": driver,
        }
    if broken.rule == "link":
        return gettext(N_("the return cannot be planned without the trip there"))
    return gettext(N_("the times of %(driver)s's route do not fit together")) % {
        "driver": driver,
    }


def move_ride(
    session: Session,
    organisation_id: int,
    ride: RideRequest,
    driver_id: int | None,
    actor: str,
    time_zone: str,
) -> Moved:
    """Move every leg of ``ride`` to ``driver_id``'s route (None: out of the plan)."""
    assert ride.id is not None
    plan = shown_plan(session, organisation_id, ride.service_date)
    if plan is None:
        raise MoveRefused([gettext(N_("There is no plan for this day yet; run the scheduler."))])
    settings = get_settings().scheduler
    day = build_day(
        session,
        organisation_id,
        ride.service_date,
        travel_from_settings(settings),
        driver_cost=settings.driver_cost,
    )
    legs = [sid for sid, ref in sorted(day.legs.items()) if ref.request_id == ride.id]
    if not legs:
        reason = next((r for ref, r in day.rejected.items() if ref.request_id == ride.id), "")
        raise MoveRefused([reason or gettext(N_("This ride cannot be planned."))])
    orders, timed, unserved = _current_routes(session, plan, day)
    source = {vid for vid, order in orders.items() if any(s.request in legs for s in order)}
    before = {
        "plan_version": plan.version,
        "driver_id": next((day.drivers[v] for v in source), None),
    }
    for vid in source:
        orders[vid] = [s for s in orders[vid] if s.request not in legs]
    # When each outbound elsewhere is dropped off, so a return here waits for it.
    ready = {
        visit.request: visit.time
        + next(r.dropoff_service for r in day.problem.requests if r.id == visit.request)
        for vid, route in timed.items()
        if vid not in source
        for visit in route.visits
        if visit.kind is SolverStopKind.DROPOFF
    }
    changed: dict[str, SolvedRoute | None] = {}
    if driver_id is not None:
        target = next((vid for vid, d in day.drivers.items() if d == driver_id), None)
        driver = session.get(Driver, driver_id)
        driver_name = driver.name if driver else "?"
        if target is None:
            raise MoveRefused(
                [gettext(N_("%(driver)s does not drive on this day")) % {"driver": driver_name}]
            )
        inserted = try_insertion(day.problem, target, orders.get(target, []), legs, ready)
        if inserted.route is None:
            rider = session.get(Rider, ride.rider_id)
            place = session.get(Place, ride.to_place_id) if ride.to_place_id else None
            words = [
                _words(
                    b,
                    ride,
                    rider.name if rider else "?",
                    driver_name,
                    place_name(place) if place else gettext("home"),
                    time_zone,
                    day.midnight,
                )
                for b in inserted.broken
            ]
            raise MoveRefused(list(dict.fromkeys(words)))
        changed[target] = inserted.route
    for vid in source:
        if vid in changed:
            continue
        rescheduled, _ = check_route(day.problem, vid, orders[vid], ready)
        if rescheduled is None and orders[vid]:
            # Taking stops out cannot break a route's rules; keep its times if it is unusual.
            old = timed[vid]
            rescheduled = SolvedRoute(
                vid, tuple(v for v in old.visits if v.request not in legs), old.start, old.end
            )
        changed[vid] = rescheduled if orders[vid] else None
    routes = [changed.get(vid, route) for vid, route in timed.items()]
    routes += [r for vid, r in changed.items() if vid not in timed]
    kept = tuple(r for r in routes if r is not None and r.visits)
    served = {v.request for r in kept for v in r.visits}
    left_out = [
        Unserved(sid, _reason(unserved.get(sid)))
        for sid in (r.id for r in day.problem.requests)
        if sid not in served
    ]
    if driver_id is None:
        left_out = [
            Unserved(u.request, UnservedReason.LOCKED_UNSERVED) if u.request in legs else u
            for u in left_out
        ]
    solution = Solution(kept, tuple(left_out), {}, {"moved_by_hand": 1.0})
    stored = store_plan(session, day, solution, created_by=actor)
    set_lock(session, ride, driver_id, driver_id is None, actor)
    record(
        session,
        organisation_id,
        actor,
        "move_ride",
        "ride_request",
        ride.id,
        before,
        {"plan_version": stored.version, "driver_id": driver_id},
    )
    return Moved(stored.version, driver_id)


def _reason(stored: str | None) -> UnservedReason:
    for reason in UnservedReason:
        if reason.value == stored:
            return reason
    return UnservedReason.NO_ROOM
