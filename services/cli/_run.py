"""``rides serve`` and ``rides worker``: the long-running processes."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from typing import Annotated

import typer
import uvicorn

from services.cli import app
from services.cli._output import console, err_console, friendly_errors
from shared import metrics
from shared.db import database_problem, get_engine
from shared.errors import ConfigurationError
from shared.queue import queue_problem
from shared.settings import get_settings


@app.command()
@friendly_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Web worker processes (Redis queue only)."),
) -> None:
    """Run the web app (SMS webhooks, JSON API, dispatcher pages) under uvicorn."""
    settings = get_settings()
    if workers > 1 and settings.app.redis_url is None:
        raise ConfigurationError(
            "the in-process queue lives inside one web process; set REDIS_URL to use --workers"
        )
    # One folder of metric samples for every web process, so /metrics adds them all up.
    own_folder = metrics.MULTIPROC_ENV not in os.environ
    folder = metrics.use_multiprocess_dir()
    # uvicorn hands SIGTERM / SIGINT back to the handler it found once it has shut down: make
    # that an exit rather than a kill, so the folder of samples made here is removed.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_on_signal)
    try:
        # No logging config of uvicorn's own: its lines go through ours (masked, LOG_FORMAT).
        uvicorn.run(
            "services.web:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
        )
    finally:
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)


#: The queues the actors use: ``scheduler`` (plan_day) and ``notifier`` (everything sent).
QUEUES = ("scheduler", "notifier")


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@app.command()
@friendly_errors
def worker(
    processes: int = typer.Option(1, min=1, help="Worker processes."),
    threads: int = typer.Option(4, min=1, help="Threads per worker process."),
    queues: Annotated[
        list[str] | None,
        typer.Option("--queues", "-Q", help="Only these queues (repeat the option); default all."),
    ] = None,
) -> None:
    """Run dramatiq workers for every queue, or the --queues given (needs REDIS_URL)."""
    if get_settings().app.redis_url is None:
        raise ConfigurationError(
            "REDIS_URL is not set: without Redis the queue runs inside `rides serve`, "
            "so there is no separate worker to start"
        )
    # dramatiq's own CLI supervises the processes and restarts crashed ones.
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "services.worker",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    if queues:
        known = set(QUEUES)
        unknown = sorted(set(queues) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(sorted(known))}"
            )
        argv += ["--queues", *queues]
    # The worker processes share one folder of metric samples (exec keeps the environment);
    # WORKER_METRICS_PORT serves them (services.worker).
    metrics.use_multiprocess_dir()
    os.environ["RIDES_WORKER"] = "1"  # the processes of `rides worker`, not an embedded queue
    os.execv(sys.executable, argv)


@app.command()
@friendly_errors
def check() -> None:
    """Check that the database and the queue answer: exit 0 if so, else 1 naming what failed.

    The health check of worker containers; web containers have /healthz and /readyz.
    """
    results = {"database": database_problem(get_engine()), "queue": queue_problem()}
    for name, problem in results.items():
        console.print(f"{name}: {problem or 'ok'}")
    failed = [name for name, problem in results.items() if problem]
    if failed:
        err_console.print(f"[red]not ready:[/red] {', '.join(failed)}")
        raise typer.Exit(code=1)
