"""Sustained signed SMS plus JSON API load against ``rides serve`` on PostgreSQL and Redis.

    uv run python bench/load.py                       # 60 s at 100 texts/s + 10 API calls/s
    uv run python bench/load.py --seconds 10 --rate 50 --api-rate 5 --requests 1000

What runs, all on loopback: a fresh PostgreSQL database (on the server of
``BENCH_POSTGRES_URL``, else ``TEST_POSTGRES_URL``, else the local ``test`` database; dropped at
the end), seeded with one organisation, its four places, ``--riders`` riders and ten drivers;
a private redis-server; the web app under ``rides serve`` (one uvicorn process, the product's
own command and defaults, access log included) with ``REDIS_URL`` set, so re-plans go to the
queue (no worker consumes them during the run).

1. Ceiling: a bare Starlette endpoint (``ceiling_app`` below: parse the form, answer the same
   TwiML, read nothing) under uvicorn with the same defaults, sent ``--requests`` texts over
   ``--concurrency`` connections as fast as it answers.
2. The same for ``POST /sms/inbound`` of ``rides serve``: the share of the ceiling.
3. Sustained: ``--rate`` texts and ``--api-rate`` API calls a second for ``--seconds``, open
   loop (latency from the moment each was due): throughput, p50, p99, 5xx, unanswered, lost.

The load comes from a separate process (``devtools.load_run``). Riders text hello, a booking,
YES, STATUS; each phase uses its own riders, so none reaches the per-number rate limit. Timing
never gates a test (``tests/services/test_load.py`` runs the sustained phase for 6 s and asserts
only that nothing failed or was lost). Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from devtools.deployment import WebProcess, free_port, seed_city  # noqa: E402
from devtools.fake_twilio import DEFAULT_AUTH_TOKEN  # noqa: E402
from devtools.load_run import Row, build_plan, drive, lost_riders, lost_texts, table  # noqa: E402
from shared.db import make_engine  # noqa: E402

PUBLIC = "http://127.0.0.1:8000"  # the URL Twilio signs for (a proxy in front of the app)


def ceiling_app() -> Any:
    """The bare TwiML endpoint: what any Starlette webhook costs before doing any work."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from services.booking.sms.webhook import PATH, TWIML, twiml

    reply = twiml("Where would you like to go? E.g. T&T Supermarket, Hong Fook Clinic")

    async def inbound(request: Request) -> Response:
        await request.form()
        return Response(reply, media_type=TWIML)

    async def healthz(request: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[Route(PATH, inbound, methods=["POST"]), Route("/healthz", healthz)])


@contextmanager
def ceiling(log: Path) -> Iterator[str]:
    """``ceiling_app`` under uvicorn with ``rides serve``'s defaults; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "load:ceiling_app",
        "--factory",
        "--port",
        str(port),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)])}
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the ceiling app did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server (``bench/notifier_faults.py``'s)."""
    from notifier_faults import Redis

    server = Redis()
    try:
        yield server.url
    finally:
        server.stop()


def main(argv: list[str]) -> None:
    """Parse the options, run the three phases, print the table."""
    from webhook import fresh_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the sustained run")
    parser.add_argument("--rate", type=float, default=100.0, help="texts a second, sustained")
    parser.add_argument("--api-rate", type=float, default=10.0, help="API calls a second")
    parser.add_argument("--requests", type=int, default=3000, help="texts per saturation run")
    parser.add_argument("--concurrency", type=int, default=16, help="connections, saturating")
    parser.add_argument("--riders", type=int, default=4000, help="riders seeded")
    parser.add_argument(
        "--timeout", type=float, default=60.0,
        help="seconds the client waits for an answer (Twilio gives a webhook 15)",
    )  # fmt: skip
    parser.add_argument("--skip-saturation", action="store_true")
    args = parser.parse_args(argv)
    log = Path(tempfile.mkdtemp(prefix="bench-load-")) / "servers.log"
    saturating = max(1, min(args.riders // 4, args.requests // 4))
    sustained_texts = int(args.rate * args.seconds)
    riders_left = args.riders - saturating
    sustained_riders = max(1, min(riders_left, -(-sustained_texts // 4)))
    rows: list[Row] = []
    with fresh_database() as database_url, redis_server() as redis_url:
        engine = make_engine(database_url)
        city = seed_city(engine, riders=args.riders, drivers=10)
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
            "PUBLIC_BASE_URL": PUBLIC,
            # The bench measures capacity, not the per-key limit (20/s by default).
            "API_RATE_PER_SECOND": "10000",
            "API_RATE_BURST": "10000",
        }
        if not args.skip_saturation:
            plan = build_plan(
                PUBLIC, DEFAULT_AUTH_TOKEN, texts=args.requests, first_rider=0, riders=saturating
            )
            with ceiling(log) as url:
                row, _ = drive(url, city.api_key, plan, concurrency=args.concurrency)
            rows.append(_named(row, f"ceiling, saturated ({args.concurrency} connections)"))
        web = WebProcess(env, log)
        try:
            web.wait_ready()
            if not args.skip_saturation:
                # The same riders again (the ceiling stored nothing), with fresh MessageSids.
                plan = build_plan(
                    PUBLIC, DEFAULT_AUTH_TOKEN, texts=args.requests, first_rider=0,
                    riders=saturating, run="saturated",
                )  # fmt: skip
                row, _ = drive(web.url, city.api_key, plan, concurrency=args.concurrency)
                row = _named(row, f"webhook, saturated ({args.concurrency} connections)")
                rows.append(_lost(row, lost_texts(engine, plan)))
            plan = build_plan(
                PUBLIC, DEFAULT_AUTH_TOKEN, texts=sustained_texts, first_rider=saturating,
                riders=sustained_riders, calls=int(args.api_rate * args.seconds), run="sustained",
            )  # fmt: skip
            texts, api = drive(web.url, city.api_key, plan, rate=args.rate, api_rate=args.api_rate)
            name = f"webhook, {args.rate:g}/s for {args.seconds:g} s"
            rows.append(_lost(_named(texts, name), lost_texts(engine, plan)))
            if api is not None:
                name = f"API, {args.api_rate:g}/s (1 in 5 a write)"
                rows.append(_lost(_named(api, name), lost_riders(engine, plan)))
        finally:
            web.stop()
            engine.dispose()
    print(table(rows))
    if not args.skip_saturation:
        share = rows[1].per_second / rows[0].per_second
        print(f"\nwebhook / ceiling throughput (saturated): {share:.0%}")
    print(f"CPUs: {os.cpu_count()}; load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _named(row: Row, name: str) -> Row:
    from dataclasses import replace

    return replace(row, name=name)


def _lost(row: Row, lost: int) -> Row:
    from dataclasses import replace

    return replace(row, lost=lost)


if __name__ == "__main__":
    # A SIGTERM (``timeout``) still runs the clean-up: servers stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main(sys.argv[1:])
