"""Inbound SMS webhook: signed webhooks per second on PostgreSQL, against a bare TwiML ceiling.

    uv run python bench/webhook.py                      # the defaults; a few minutes
    uv run python bench/webhook.py --requests 4000 --concurrency 16 --rate 100 --seconds 10

What runs: a fresh PostgreSQL database (created on the server of ``BENCH_POSTGRES_URL``, else
``TEST_POSTGRES_URL``, else ``postgresql://postgres@127.0.0.1:5432/test``; dropped at the end),
migrated and seeded from ``--seed`` with one organisation, its places and ``--riders`` riders.
Two apps are served in turn by uvicorn (``--workers`` processes, default one; uvloop, httptools;
loopback only):

- ``webhook``: ``POST /sms/inbound`` exactly as in production (signature check, dedupe,
  rate limit, conversation engine, actions, re-plan tickets), on the fresh database;
- ``ceiling``: a bare Starlette endpoint that returns the same TwiML without reading anything.

The load comes from ``--generators`` separate processes, each an asyncio httpx client with its
requests built and signed (twilio's ``RequestValidator``) before the clock starts. Every rider
texts a short conversation (hello, a booking, YES, STATUS), one message of each rider before the
next, so a quarter of the texts book a ride. Two measurements per app:

- saturation: ``--requests`` texts over ``--concurrency`` connections in all, as fast as they
  are answered: throughput, p50 and p99;
- fixed rate: ``--rate`` texts a second for ``--seconds`` (open loop: latency counts from the
  moment a text was due, so a stall is not hidden by sending less).

``BENCH_HANDLERS`` (default 8) sets how many texts the webhook handles at once per process
(``inbound_route(concurrency=...)``). Timing never gates a test; the numbers go in
bench/RESULTS.md under "Booking webhook".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

TOKEN = "bench-auth-token"
ORG_NUMBER = "+14165550100"
PATH = "/sms/inbound"
SCRIPT = ("hello", "T&T tomorrow 10am one way", "YES", "status")
PLACES: tuple[tuple[str, str, str, list[str]], ...] = (
    ("T&T Supermarket", "大統華超市", "grocery", ["T and T", "大統華"]),
    ("No Frills (Dundas)", "No Frills（登打士街）", "grocery", []),  # noqa: RUF001
    ("Hong Fook Clinic", "康福診所", "clinic", ["Hong Fook", "康福"]),
    ("IRCC Office", "移民局", "government", ["IRCC"]),
)


# --- database ------------------------------------------------------------------------------


def _admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    from shared import migrations

    admin = make_url(_admin_url()).set(drivername="postgresql")
    name = f"rides_bench_{uuid.uuid4().hex[:10]}"
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = admin.set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def phone(index: int) -> str:
    """The ``index``-th rider's number."""
    return f"+1647{2000000 + index:07d}"


def seed(url: str, riders: int, rng: random.Random) -> None:
    """One organisation, its places, and ``riders`` approved riders."""
    from sqlmodel import Session

    from shared.db import make_engine
    from shared.models import Language, Organisation, Place, PlaceKind, Rider

    engine = make_engine(url)
    with Session(engine) as session:
        org = Organisation(
            slug="bench", name="Bench Rides", sms_number=ORG_NUMBER, help_contact="416-555-0100"
        )
        session.add(org)
        session.flush()
        assert org.id is not None
        for name, name_zh, kind, aliases in PLACES:
            session.add(
                Place(
                    organisation_id=org.id,
                    name=name,
                    name_zh=name_zh,
                    aliases=aliases,
                    kind=PlaceKind(kind),
                    latitude=43.7 + rng.uniform(-0.1, 0.1),
                    longitude=-79.4 + rng.uniform(-0.1, 0.1),
                )
            )
        for index in range(riders):
            session.add(
                Rider(
                    organisation_id=org.id,
                    name=f"Rider {index}",
                    phone=phone(index),
                    preferred_language=rng.choice([Language.EN, Language.ZH_HANT]),
                    home_latitude=43.7 + rng.uniform(-0.1, 0.1),
                    home_longitude=-79.4 + rng.uniform(-0.1, 0.1),
                )
            )
        session.commit()
    engine.dispose()


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def build_app() -> Any:
    """The app named by ``BENCH_APP`` (``webhook`` or ``ceiling``), for uvicorn's factory."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from services.booking.sms.webhook import TWIML, inbound_route, twiml
    from shared.queue import get_broker

    reply = twiml("Where would you like to go? E.g. T&T Supermarket, Hong Fook Clinic")

    async def ceiling(request: Request) -> Response:
        await request.form()
        return Response(reply, media_type=TWIML)

    async def ready(request: Request) -> Response:
        return Response("ok")

    if os.environ["BENCH_APP"] == "webhook":
        # Re-plans are enqueued after commit; nothing consumes them during the run.
        get_broker().declare_queue("scheduler")
        route = inbound_route(concurrency=int(os.environ.get("BENCH_HANDLERS", "8")))
    else:
        route = Route(PATH, ceiling, methods=["POST"])
    return Starlette(routes=[route, Route("/ready", ready)])


def serve(port: int, workers: int) -> None:
    """Run the app under uvicorn (the ``serve`` subcommand)."""
    import uvicorn

    uvicorn.run(
        "webhook:build_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


@contextmanager
def running(kind: str, database_url: str, workers: int = 1) -> Iterator[str]:
    """Serve ``kind`` in a subprocess; yield its base URL once it answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": base,
        "ENVIRONMENT": "development",
        "BENCH_APP": kind,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, __file__, "serve", str(port), str(workers)]
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the {kind} server did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- load ----------------------------------------------------------------------------------


def build_requests(base: str, count: int, first_rider: int, riders: int) -> list[list[str]]:
    """``count`` signed texts: ``[body, signature]`` pairs, rider by rider through SCRIPT."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    url = base + PATH
    built: list[list[str]] = []
    for index in range(count):
        step, rider = divmod(index, riders)
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": "AC" + "0" * 32,
            "From": phone(first_rider + rider),
            "To": ORG_NUMBER,
            "Body": SCRIPT[step % len(SCRIPT)],
            "NumMedia": "0",
        }
        built.append([urlencode(params), str(validator.compute_signature(url, params))])
    return built


async def _post(client: httpx.AsyncClient, url: str, text: list[str]) -> int:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": text[1],
    }
    response = await client.post(url, content=text[0].encode(), headers=headers)
    return response.status_code


async def load(spec: dict[str, Any]) -> dict[str, Any]:
    """Send the spec's texts; saturating with ``concurrency`` workers, or at ``rate`` a second."""
    url: str = spec["url"]
    texts: list[list[str]] = spec["texts"]
    connections = spec.get("concurrency") or 200
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.sleep(max(0.0, spec["start_at"] - time.time()))
        began = time.time()
        if spec.get("rate"):
            loop = asyncio.get_running_loop()
            zero = loop.time()

            async def due(index: int, text: list[str]) -> None:
                target = zero + index / spec["rate"]
                await asyncio.sleep(max(0.0, target - loop.time()))
                status = await _post(client, url, text)
                latencies.append(loop.time() - target)
                statuses[status] = statuses.get(status, 0) + 1

            await asyncio.gather(*(due(i, text) for i, text in enumerate(texts)))
        else:
            queue = iter(texts)

            async def worker() -> None:
                for text in queue:
                    sent = time.perf_counter()
                    status = await _post(client, url, text)
                    latencies.append(time.perf_counter() - sent)
                    statuses[status] = statuses.get(status, 0) + 1

            await asyncio.gather(*(worker() for _ in range(connections)))
        ended = time.time()
    return {"began": began, "ended": ended, "latencies": latencies, "statuses": statuses}


@dataclass(frozen=True)
class Result:
    """One measurement."""

    app: str
    mode: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int

    @property
    def per_second(self) -> float:
        """Answered texts a second."""
        return self.requests / self.seconds


def measure(
    app: str, mode: str, url: str, texts: list[list[str]], generators: int, **spec: Any
) -> Result:
    """Run ``generators`` load processes on ``texts`` together and combine what they saw."""
    start_at = time.time() + 2.0
    shards = [texts[i::generators] for i in range(generators)]
    processes = []
    for shard in shards:
        payload = {"url": url, "texts": shard, "start_at": start_at, **spec}
        if spec.get("concurrency"):
            payload["concurrency"] = max(1, spec["concurrency"] // generators)
        if spec.get("rate"):
            payload["rate"] = spec["rate"] / generators
        process = subprocess.Popen(
            [sys.executable, __file__, "load"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None
        process.stdin.write(json.dumps(payload))
        process.stdin.close()
        processes.append(process)
    reports = []
    for process in processes:
        assert process.stdout is not None
        reports.append(json.loads(process.stdout.read()))
        process.wait()
    latencies = sorted(x for report in reports for x in report["latencies"])
    failures = sum(n for r in reports for s, n in r["statuses"].items() if int(s) != 200)
    seconds = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(
        app,
        mode,
        len(latencies),
        seconds,
        statistics.median(latencies) * 1000,
        p99 * 1000,
        failures,
    )


def table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| app | load | texts | texts/s | p50 ms | p99 ms | non-200 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.app} | {r.mode} | {r.requests} | {r.per_second:,.0f} | {r.p50_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.failures} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Parse the options, run both apps, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=4000, help="texts in the saturation run")
    parser.add_argument("--concurrency", type=int, default=16, help="connections when saturating")
    parser.add_argument("--rate", type=float, default=100.0, help="texts a second, fixed run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the fixed run")
    parser.add_argument("--riders", type=int, default=2000, help="riders seeded (and texting)")
    parser.add_argument("--generators", type=int, default=1, help="load processes")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--apps", default="ceiling,webhook", help="which apps to run, comma-separated"
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    fixed = int(args.rate * args.seconds)
    half = args.riders // 2
    results: list[Result] = []
    with fresh_database() as url:
        seed(url, args.riders, rng)
        for app in args.apps.split(","):
            with running(app, url, args.workers) as base:
                # Saturation texts come from the first half of the riders, fixed-rate from the
                # second, so neither run pushes a number over the rate limit.
                riders = max(1, min(half, args.requests // len(SCRIPT)))
                texts = build_requests(base, args.requests, 0, riders)
                results.append(
                    measure(
                        app,
                        "saturated",
                        base + PATH,
                        texts,
                        args.generators,
                        concurrency=args.concurrency,
                    )
                )
                riders = max(1, min(args.riders - half, fixed // len(SCRIPT)))
                texts = build_requests(base, fixed, half, riders)
                results.append(
                    measure(
                        app, f"{args.rate:g}/s", base + PATH, texts, args.generators, rate=args.rate
                    )
                )
    print(table(results))
    saturated = {r.app: r.per_second for r in results if r.mode == "saturated"}
    if {"ceiling", "webhook"} <= saturated.keys():
        share = saturated["webhook"] / saturated["ceiling"]
        print(f"\nwebhook / ceiling throughput: {share:.0%}; CPUs: {os.cpu_count()}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        print(json.dumps(asyncio.run(load(json.loads(sys.stdin.read())))))
    else:
        main(sys.argv[1:])
