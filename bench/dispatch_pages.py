"""Server time of the dispatcher pages on a large day: the plan view and the day board.

    uv run python bench/dispatch_pages.py --requests 1000 --drivers 150 --time-limit 60

Seeds the deterministic sample network (``rides seed --sample toronto``) into a throwaway SQLite
database, plans the day as ``rides plan`` does, then requests each page through the whole app
(session, CSRF and role checks, queries, view models, templates) in process, several times, and
prints one table row per page: median and slowest time, and the size of the HTML. The issue's
target is under 1 s for the plan view of a 1,000-request day.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlmodel import Session
from starlette.testclient import TestClient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--drivers", type=int, default=150)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--date", default="2026-12-03", help="a Thursday")
    args = parser.parse_args()
    day = date.fromisoformat(args.date)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'day.sqlite3'}"
        os.environ["DATABASE_URL"] = url
        # Imported after DATABASE_URL is set: the pages read it through the settings.
        from scheduler.planning import plan_and_store
        from services.dispatch.app import create_dispatch_app
        from shared import migrations
        from shared.db import get_engine
        from shared.models import Organisation, Role
        from shared.sample import SampleSize, seed_sample
        from shared.users import create_user

        migrations.upgrade(url)
        engine = get_engine()
        riders = max(1, int(args.requests * 0.6))
        with Session(engine) as session:
            net = seed_sample(
                session,
                "toronto",
                day,
                SampleSize(args.drivers, riders, args.requests),
                legacy=True,  # the benchmark generator, so figures stay comparable
            )
            org: Organisation = net.organisation
            create_user(session, org, "bench@example.org", Role.VIEWER, "bench-password", "bench")
            session.commit()
            assert org.id is not None
            org_id = org.id
        result = plan_and_store(org_id, day, time_limit=args.time_limit, engine=engine)
        legs = sum(len(r.visits) // 2 for r in result.solution.routes)
        client = TestClient(create_dispatch_app(engine))
        login = client.get("/login")
        found = re.search(r'name="csrftoken" value="([^"]+)"', login.text)
        assert found is not None
        client.post(
            "/login",
            data={
                "email": "bench@example.org",
                "password": "bench-password",
                "csrftoken": found.group(1),
            },
        )
        print(
            f"{args.requests} requests, {args.drivers} drivers: {legs} legs served by "
            f"{len(result.solution.routes)} drivers (plan version {result.version})"
        )
        print("| page | median ms | slowest ms | HTML KB |")
        print("|---|---:|---:|---:|")
        for name, path in (
            ("plan view", f"/dispatch/{day.isoformat()}/plan"),
            ("day board", f"/dispatch/{day.isoformat()}"),
        ):
            client.get(path)  # warm: templates compiled, catalogues read
            times = []
            size = 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                size = len(response.content)
            print(
                f"| {name} | {statistics.median(times):.0f} | {max(times):.0f} | "
                f"{size / 1024:.0f} |"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
