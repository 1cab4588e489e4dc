"""At-most-once under a slow provider and faults: duplicates and lost texts, per case.

    uv run python bench/notifier_faults.py --texts 300 --slow-provider --json
    uv run python bench/notifier_faults.py --texts 200 --workload publish --json   # issue 15

Runs three cases on loopback (no fault, every worker process SIGKILLed mid-run, Redis restarted
mid-run), each on its own redis-server and PostgreSQL database, with two ``rides worker``
processes of eight threads sending through twilio's Client to a fake Twilio. With
``--slow-provider`` the fake answers in 0.8 +- 0.15 s against a 1 s timeout and lists a text
2 s after taking it, and the sending lease is 6 s (the shortest the settings allow is 5 s).
With ``--workload publish`` the texts are those of a published day's plan (20 drivers, one ride
per rider), written by a worker's ``notify_plan`` job, so a fault may also strike while they
are written. Prints one JSON line per case (``--json``) or a table; the numbers go in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis

from devtools.fake_twilio import run_fake_twilio_in_thread
from devtools.fault_run import (
    CASES,
    CaseResult,
    SlowProvider,
    Workers,
    callbacks_server,
    deployment_env,
    run_case,
)
from shared import migrations
from shared.db import make_engine
from shared.queue import build_broker, use_broker
from shared.settings import reset_settings


class Redis:
    """A throwaway redis-server on a spare loopback port that can be restarted (data lost)."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.folder = tempfile.mkdtemp(prefix="bench-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        """Stop and start again: every queued job is gone."""
        self.stop()
        self.start()


@contextmanager
def private_database(admin_url: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    name = f"rides_faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    migrations.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def one_case(
    case: str, texts: int, provider: SlowProvider, admin_url: str, workload: str = "outbox"
) -> CaseResult:
    """Run one case on its own Redis, database, fake Twilio and workers."""
    server = Redis()
    log = Path(tempfile.mkdtemp(prefix="bench-faults-")) / "worker.log"
    try:
        with (
            private_database(admin_url) as database_url,
            run_fake_twilio_in_thread() as fake,
        ):
            engine = make_engine(database_url)
            callbacks = callbacks_server(engine)
            env = {
                **deployment_env(database_url, server.url, fake, callbacks.base_url),
                **provider.env(),
            }
            os.environ.update(env)
            reset_settings()
            use_broker(build_broker(server.url))
            workers = Workers(env, log, processes=2, threads=8)
            try:
                return run_case(
                    case,  # type: ignore[arg-type]  # one of CASES
                    engine,
                    fake,
                    workers,
                    server.restart,
                    texts=texts,
                    provider=provider,
                    workload=workload,  # type: ignore[arg-type]  # one of the choices
                )
            finally:
                workers.stop()
                callbacks.stop()
                use_broker(build_broker(None))
                engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument(
        "--slow-provider",
        action="store_true",
        help="Answers near the timeout and a lagging list (else a prompt provider).",
    )
    parser.add_argument("--case", choices=CASES, action="append", help="Run only these cases.")
    parser.add_argument("--json", action="store_true", help="One JSON line per case.")
    parser.add_argument(
        "--workload",
        choices=["outbox", "publish"],
        default="outbox",
        help="Texts written straight to the outbox, or a published plan's (20 drivers).",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    provider = SlowProvider() if args.slow_provider else SlowProvider(answer=0.02, jitter=0.01)
    if not args.json:
        print("| case | requested | delivered | duplicates | lost | seconds |")
        print("|---|---:|---:|---:|---:|---:|")
    for case in args.case or CASES:
        result = one_case(case, args.texts, provider, args.postgres, args.workload)
        if args.json:
            print(json.dumps(result.as_dict()), flush=True)
        else:
            print(
                f"| {result.case} | {result.requested} | {result.delivered} | "
                f"{result.duplicates} | {result.lost} | {result.seconds:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
