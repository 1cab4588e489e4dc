"""Notifier throughput: messages per second end to end, against a no-op actor on the same Redis.

    uv run python bench/notifier_throughput.py --messages 2000 --threads 8 --processes 1

End to end means: N texts written to the outbox in one transaction (PostgreSQL), enqueued after
commit on Redis, sent by a ``rides worker`` process through twilio's Client to the fake Twilio
(its own process, on loopback), and confirmed by its signed status callbacks to ``/sms/status``
of a ``rides serve`` process. The ceiling
is a dramatiq actor that only increments a Redis counter, run by a worker of the same shape on
the same (private) Redis. Each run makes its own redis-server and PostgreSQL database and removes
them afterwards. Prints one table; the numbers go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dramatiq
import httpx
import psycopg
import redis
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import func
from sqlmodel import Session, col, select

from devtools.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from shared import migrations
from shared.db import make_engine
from shared.models import Message, MessageStatus, Organisation
from shared.outbox import queue_text
from shared.queue import build_broker, use_broker
from shared.settings import reset_settings

HERE = Path(__file__).resolve().parent
RIDES = str(Path(sys.executable).parent / "rides")
FROM = "+14165550100"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def private_redis() -> Iterator[tuple[str, int]]:
    """A throwaway redis-server on a spare loopback port: its URL and process id."""
    port = _port()
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0", server.pid
    finally:
        client.close()
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def private_database(admin_url: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    name = f"rides_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    migrations.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def worker(argv: list[str], env: dict[str, str]) -> Iterator[int]:
    """A worker process group, stopped afterwards; yields the group's id."""
    process = subprocess.Popen(
        argv,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _stat(pid: int) -> tuple[int, float] | None:
    """A live process's group and the user plus system CPU seconds it has used (``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def cpu_by_part(groups: dict[str, int], redis_pid: int, database: str) -> dict[str, float]:
    """CPU seconds used so far by each part of the pipeline.

    ``groups`` maps a part's name to its process group (the part and its children); PostgreSQL
    is the server's backends connected to ``database``, found by their process titles.
    """
    usage = dict.fromkeys([*groups, "postgres", "redis"], 0.0)
    by_group = {group: name for name, group in groups.items()}
    for pid in _pids():
        stat = _stat(pid)
        if stat is None:
            continue
        group, seconds = stat
        if group in by_group:
            usage[by_group[group]] += seconds
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except FileNotFoundError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            usage["postgres"] += seconds
    redis_stat = _stat(redis_pid)
    usage["redis"] = redis_stat[1] if redis_stat else 0.0
    return usage


def wait_for(done: Callable[[], int], total: int, timeout: float) -> float:
    """Seconds until ``done()`` reaches ``total``."""
    start = time.perf_counter()
    while done() < total:
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"timed out after {timeout:.0f} s at {done()}/{total}")
        time.sleep(0.02)
    return time.perf_counter() - start


def ceiling(redis_url: str, messages: int, shape: list[str]) -> float:
    """Jobs per second through a no-op actor."""
    counter = redis.Redis.from_url(redis_url)
    counter.delete("bench:noop:done")
    broker = RedisBroker(url=redis_url)  # type: ignore[no-untyped-call]
    argv = [sys.executable, "-m", "dramatiq", "_noop_worker", "--path", str(HERE), *shape]
    with worker(argv, {"REDIS_URL": redis_url}):
        time.sleep(2)  # let the worker boot before the clock starts
        start = time.perf_counter()
        for index in range(messages):
            broker.enqueue(
                dramatiq.Message(
                    queue_name="noop", actor_name="noop", args=(index,), kwargs={}, options={}
                )
            )
        wait_for(lambda: int(counter.get("bench:noop:done") or 0), messages, 300)
        elapsed = time.perf_counter() - start
    broker.close()
    counter.close()
    return messages / elapsed


def _serve(argv: list[str], env: dict[str, str], port: int) -> AbstractContextManager[int]:
    """A server process group, ready once its port accepts connections; yields the group's id."""

    @contextmanager
    def running() -> Iterator[int]:
        with worker(argv, env) as group:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{argv[0]} did not start on port {port}") from None
                    time.sleep(0.1)
            yield group

    return running()


@dataclass(frozen=True)
class EndToEnd:
    """Messages per second accepted by the provider and delivered (status callback stored), and
    CPU milliseconds per message by part of the pipeline."""

    sent: float
    delivered: float
    cpu_ms: dict[str, float]


def end_to_end(
    database_url: str, redis: tuple[str, int], messages: int, shape: list[str]
) -> EndToEnd:
    """Send ``messages`` texts through the whole pipeline and time them.

    The fake Twilio, the web app receiving status callbacks (``rides serve``) and the worker
    (``rides worker``) each run in their own process, as in a deployment. The clock starts
    before the outbox transaction commits (the commit enqueues the jobs).
    """
    redis_url, redis_pid = redis
    twilio_port, web_port = _port(), _port()
    twilio_url, web_url = f"http://127.0.0.1:{twilio_port}", f"http://127.0.0.1:{web_port}"
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM,
        "TWILIO_API_BASE": twilio_url,
        "PUBLIC_BASE_URL": web_url,
        "SMS_RATE_PER_SECOND": "100000",
    }
    os.environ.update(env)
    reset_settings()
    use_broker(build_broker(redis_url))
    engine = make_engine(database_url)
    with Session(engine) as session:
        org = Organisation(slug="bench", name="Bench", sms_number=FROM)
        session.add(org)
        session.commit()
        org_id = org.id
    assert org_id is not None

    def count(statuses: tuple[MessageStatus, ...]) -> int:
        with Session(engine) as session:
            return session.exec(
                select(func.count()).select_from(Message).where(col(Message.status).in_(statuses))
            ).one()

    fake = [
        sys.executable,
        "-m",
        "devtools.fake_twilio",
        "--port",
        str(twilio_port),
        "--callback-interval",
        "0",
        "--quiet",
    ]
    web = [RIDES, "serve", "--port", str(web_port)]
    with (
        _serve(fake, env, twilio_port) as fake_group,
        _serve(web, env, web_port) as web_group,
        worker([RIDES, "worker", *shape], env) as worker_group,
    ):
        groups = {"worker": worker_group, "fake Twilio": fake_group, "web": web_group}
        database = database_url.rsplit("/", 1)[1]
        time.sleep(2)  # let the worker boot before the clock starts
        with Session(engine) as session:
            for index in range(messages):
                queue_text(
                    session,
                    organisation_id=org_id,
                    to_number=f"+1647555{index:04d}",
                    from_number=FROM,
                    body=f"Ride {index} confirmed",
                    urgent=True,
                )
            before = cpu_by_part(groups, redis_pid, database)
            start = time.perf_counter()
            session.commit()  # enqueues every message after commit
        wait_for(lambda: count((MessageStatus.SENT, MessageStatus.DELIVERED)), messages, 600)
        sent = time.perf_counter() - start
        wait_for(lambda: count((MessageStatus.DELIVERED,)), messages, 600)
        delivered = time.perf_counter() - start
        after = cpu_by_part(groups, redis_pid, database)
        reached = httpx.get(f"{twilio_url}/_fake/messages", timeout=30).json()
        assert len(reached) == messages, f"{len(reached)} texts reached the fake, not {messages}"
    engine.dispose()
    cpu_ms = {part: 1000 * (after[part] - before[part]) / messages for part in after}
    return EndToEnd(messages / sent, messages / delivered, cpu_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    shape = ["--processes", str(args.processes), "--threads", str(args.threads)]
    with private_redis() as (redis_url, _):
        noop = ceiling(redis_url, args.messages, shape)
    with private_redis() as redis, private_database(args.postgres) as database_url:
        result = end_to_end(database_url, redis, args.messages, shape)
    header = ["messages", "workers", "no-op actor msg/s", "sent msg/s", "delivered msg/s"]
    row = [
        str(args.messages),
        f"{args.processes} x {args.threads} threads",
        f"{noop:.0f}",
        f"{result.sent:.0f}",
        f"{result.delivered:.0f}",
    ]
    print("| " + " | ".join([*header, "sent / ceiling"]) + " |")
    print("|" + "---:|" * (len(header) + 1))
    print("| " + " | ".join([*row, f"{100 * result.sent / noop:.0f}%"]) + " |")
    print()
    parts = [*result.cpu_ms, "total"]
    print("| CPU ms per message | " + " | ".join(parts) + " |")
    print("|---|" + "---:|" * len(parts))
    values = [*result.cpu_ms.values(), sum(result.cpu_ms.values())]
    print("| | " + " | ".join(f"{v:.2f}" for v in values) + " |")


if __name__ == "__main__":
    main()
