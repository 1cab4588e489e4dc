"""Plan one organisation's day: load, solve within the time limit, store a draft plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from scheduler.load import DayProblem, build_day
from scheduler.solver import Solution, SolveParams, Weights, solve
from scheduler.store import store_plan
from scheduler.travel import HaversineTravel, OsrmTravel, TravelTimes
from shared import metrics
from shared.db import get_engine, session_scope
from shared.settings import SchedulerSettings, get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanResult:
    """What a planning run produced."""

    plan_id: int
    version: int
    day: DayProblem
    solution: Solution


def travel_from_settings(settings: SchedulerSettings) -> TravelTimes:
    """OSRM when ``SCHEDULER_OSRM_URL`` is set, else great-circle times."""
    if settings.osrm_url:
        return OsrmTravel(settings.osrm_url)
    return HaversineTravel(settings.average_speed_kmh, settings.detour_factor)


def params_from_settings(
    settings: SchedulerSettings, time_limit: float | None = None, seed: int | None = None
) -> SolveParams:
    """Solver parameters for the product, from settings and per-run overrides."""
    return SolveParams(
        time_limit=settings.time_limit_seconds if time_limit is None else time_limit,
        seed=settings.seed if seed is None else seed,
        weights=Weights(unserved=settings.unserved_penalty, moved=settings.moved_penalty),
        arc_cost="time",
    )


def plan_and_store(
    organisation_id: int,
    service_date: date,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    created_by: str = "system",
    engine: Engine | None = None,
    travel: TravelTimes | None = None,
    progress: Callable[[str], None] = log.info,
) -> PlanResult:
    """Build, solve and store a new draft plan version for one organisation's day."""
    settings = get_settings().scheduler
    params = params_from_settings(settings, time_limit, seed)
    engine = engine or get_engine()
    with session_scope(engine) as session:
        day = build_day(
            session,
            organisation_id,
            service_date,
            travel or travel_from_settings(settings),
            driver_cost=settings.driver_cost,
        )
    progress(
        f"{len(day.problem.requests)} ride legs, {len(day.problem.vehicles)} drivers available, "
        f"{len(day.rejected)} requests cannot be planned"
    )
    progress(f"solving (time limit {params.time_limit:g} s, seed {params.seed})")
    solution = solve(day.problem, params)
    metrics.plan_solved(float(solution.stats.get("seconds", 0)), len(solution.unserved))
    progress(
        f"solved in {solution.stats.get('seconds', 0):.1f} s: {len(solution.routes)} routes, "
        f"{len(solution.unserved)} legs unserved"
    )
    with session_scope(engine) as session:
        plan = store_plan(session, day, solution, created_by)
        assert plan.id is not None
        result = PlanResult(plan.id, plan.version, day, solution)
    progress(f"stored draft plan version {result.version}")
    return result
