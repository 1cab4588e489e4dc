"""``rides serve`` and ``rides worker``: the long-running processes."""

from __future__ import annotations

import os
import sys

import typer
import uvicorn

from services.cli import app
from services.cli._access_log import uvicorn_log_config
from services.cli._output import friendly_errors
from shared.errors import ConfigurationError
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
    uvicorn.run(
        "services.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=uvicorn_log_config(),
    )


@app.command()
@friendly_errors
def worker(
    processes: int = typer.Option(1, min=1, help="Worker processes."),
    threads: int = typer.Option(4, min=1, help="Threads per worker process."),
) -> None:
    """Run dramatiq workers for every queue (needs REDIS_URL)."""
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
    os.execv(sys.executable, argv)
