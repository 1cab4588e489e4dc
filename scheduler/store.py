"""Solver solution in, plan rows out: the storing half of the adapter.

``store_plan`` turns a ``Solution`` of a ``DayProblem`` into a new draft ``Plan`` version with
routes, stops and the unserved list. The database's ``Route``, ``Stop`` and ``StopKind`` are
imported as ``RouteRow``, ``StopRow`` and ``StopRowKind`` (the solver has its own).
"""

from __future__ import annotations

import itertools
from datetime import UTC, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from scheduler.load import DayProblem, LegRef
from scheduler.solver import Solution
from shared.models import Plan, UnservedRequest
from shared.models import Route as RouteRow
from shared.models import Stop as StopRow
from shared.models import StopKind as StopRowKind


def unserved_reasons(day: DayProblem, solution: Solution) -> dict[LegRef, str]:
    """Every leg left out, with its reason; reasons found before solving are more specific."""
    reasons = {day.legs[u.request]: u.reason.value for u in solution.unserved}
    reasons.update(day.rejected)
    return reasons


def store_plan(
    session: Session, day: DayProblem, solution: Solution, created_by: str = "system"
) -> Plan:
    """Store ``solution`` as the next draft version of the day's plan."""
    org_id = day.organisation.id
    assert org_id is not None
    latest = session.exec(
        select(func.max(Plan.version)).where(
            Plan.organisation_id == org_id, Plan.service_date == day.service_date
        )
    ).one()
    plan = Plan(
        organisation_id=org_id,
        service_date=day.service_date,
        version=(latest or 0) + 1,
        based_on_plan_id=day.published.id if day.published else None,
        created_by=created_by,
        solver_stats={**solution.stats, **solution.objective},
    )
    session.add(plan)
    session.flush()
    assert plan.id is not None
    travel = day.problem.travel
    vehicles = {v.id: v for v in day.problem.vehicles}
    for solved in solution.routes:
        vehicle = vehicles[solved.vehicle]
        path = [vehicle.start, *(v.location for v in solved.visits), vehicle.end]
        route = RouteRow(
            plan_id=plan.id,
            driver_id=day.drivers[solved.vehicle],
            frozen=solved.vehicle in day.problem.locks.frozen_routes,
            start_at=day.midnight.astimezone(UTC) + timedelta(seconds=solved.start),
            end_at=day.midnight.astimezone(UTC) + timedelta(seconds=solved.end),
            distance_m=sum(travel.distance[a][b] for a, b in itertools.pairwise(path)),
            driving_seconds=sum(travel.time[a][b] for a, b in itertools.pairwise(path)),
        )
        session.add(route)
        session.flush()
        assert route.id is not None
        for seq, visit in enumerate(solved.visits):
            ref = day.legs[visit.request]
            lat, lon = day.points[visit.location]
            session.add(
                StopRow(
                    route_id=route.id,
                    seq=seq,
                    kind=StopRowKind(visit.kind.value),
                    request_id=ref.request_id,
                    leg=ref.leg,
                    planned_at=day.midnight.astimezone(UTC) + timedelta(seconds=visit.time),
                    latitude=lat,
                    longitude=lon,
                    address=day.addresses[visit.location],
                )
            )
    for ref, reason in unserved_reasons(day, solution).items():
        session.add(
            UnservedRequest(plan_id=plan.id, request_id=ref.request_id, leg=ref.leg, reason=reason)
        )
    session.flush()
    return plan
