"""How much of a published day stays put when one driver declines and the day is re-planned.

    uv run python bench/replan_stability.py --time-limit 10
    uv run python bench/replan_stability.py --legacy-sample --requests 1000 --drivers 150 \
        --time-limit 60

The first is the sample day ``rides seed`` and ``rides demo`` load; the second the 1,000-request
day of ``bench/product_day.py`` (the benchmark generator).

Seeds the sample network into a throwaway SQLite database, plans and publishes the day, then,
for each of ``--trials`` drivers (those with the most stops first), starts from a copy of that
published day, declines the driver's route the way an SMS "no" does
(``shared.driver_responses.decline_route``) and re-plans with ``plan_and_store``, as the queued
re-plan would. A published stop of another driver is *kept* when the draft has it with the same
driver within the dispatcher page's change threshold (``services.dispatch.plan_diff``); "same
driver" also counts the stops that kept their driver at another time. Prints one row per
trial: stops of other drivers, kept, kept %, same driver %, the decliner's legs, and how many
of those the re-plan served again.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from scheduler.planning import plan_and_store
from services.dispatch.plan_diff import change_of, placements
from shared import migrations
from shared.db import make_engine
from shared.driver_responses import decline_route
from shared.models import Driver, Plan, Route, Stop, StopKind
from shared.publishing import publish_plan
from shared.sample import SampleSize, seed_sample


def _quiet(_: str) -> None:
    """Progress lines of the planner are not part of the table."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--drivers", type=int, default=12)
    parser.add_argument("--riders", type=int, default=0, help="default: 60%% of requests")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--date", default="2026-12-03", help="a Thursday")
    parser.add_argument(
        "--legacy-sample", action="store_true", help="the benchmark generator (as product_day.py)"
    )
    args = parser.parse_args()
    day = date.fromisoformat(args.date)
    riders = args.riders or max(1, int(args.requests * 0.6))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "published.sqlite3"
        migrations.upgrade(f"sqlite:///{base}")
        engine = make_engine(f"sqlite:///{base}")
        with Session(engine) as session:
            net = seed_sample(
                session,
                "toronto",
                day,
                SampleSize(args.drivers, riders, args.requests),
                legacy=args.legacy_sample,
            )
            session.commit()
            org_id = net.organisation.id
        assert org_id is not None
        first = plan_and_store(
            org_id, day, time_limit=args.time_limit, engine=engine, progress=_quiet
        )
        with Session(engine) as session:
            publish_plan(session, first.plan_id, "bench")
            session.commit()
            busiest = session.exec(
                select(Route.id, Route.driver_id)
                .join(Stop, col(Stop.route_id) == Route.id)
                .where(Route.plan_id == first.plan_id)
                .group_by(col(Route.id), col(Route.driver_id))
                .order_by(col(Route.id))
            ).all()
            counts = {
                route_id: len(session.exec(select(Stop).where(Stop.route_id == route_id)).all())
                for route_id, _ in busiest
            }
        engine.dispose()
        trials = sorted(busiest, key=lambda r: (-counts[r[0]], r[0]))[: args.trials]
        print(f"{args.requests} requests, {args.drivers} drivers, {args.time_limit:g} s per plan")
        print(
            "| driver declining | other stops | kept | kept % | same driver % "
            "| their legs | served again |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for route_id, driver_id in trials:
            assert route_id is not None
            copy = Path(folder) / f"trial-{route_id}.sqlite3"
            shutil.copy(base, copy)
            _trial(copy, org_id, day, route_id, driver_id, first.plan_id, args.time_limit)
            copy.unlink()


def _trial(
    path: Path, org_id: int, day: date, route_id: int, driver_id: int, plan_id: int, limit: float
) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        driver = session.get(Driver, driver_id)
        route = session.get(Route, route_id)
        assert driver is not None and route is not None
        name = driver.name
        decline_route(session, driver, route, datetime.now(UTC), "bench")
        session.commit()
    draft = plan_and_store(org_id, day, time_limit=limit, engine=engine, progress=_quiet)
    with Session(engine) as session:
        published = session.get(Plan, plan_id)
        new = session.get(Plan, draft.plan_id)
        assert published is not None and new is not None
        before = placements(session, published)
        after = placements(session, new)
    engine.dispose()
    others = {k: v for k, v in before.items() if v[0] != driver_id}
    kept = sum(1 for k, v in others.items() if not change_of(v, after.get(k)))
    same_driver = sum(1 for k, v in others.items() if change_of(v, after.get(k)) in ("", "retimed"))
    theirs = [k for k, v in before.items() if v[0] == driver_id and k[2] == StopKind.PICKUP.value]
    again = sum(1 for k in theirs if k in after)
    share = 100 * kept / len(others) if others else 100.0
    driver_share = 100 * same_driver / len(others) if others else 100.0
    print(
        f"| {name} | {len(others)} | {kept} | {share:.1f}% | {driver_share:.1f}% "
        f"| {len(theirs)} | {again} |"
    )


if __name__ == "__main__":
    main()
