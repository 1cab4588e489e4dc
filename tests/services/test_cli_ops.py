"""The operator's commands: ``rides check`` (health check of workers), ``rides worker --queues``
and the worker's metrics port."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from shared.db import dispose_engines
from shared.migrations import upgrade
from shared.settings import reset_settings
from tests.conftest import free_port

runner = CliRunner()
RIDES = str(Path(sys.executable).parent / "rides")


def _use(monkeypatch: pytest.MonkeyPatch, **environment: str) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    dispose_engines()


def test_check_passes_when_the_database_and_redis_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redis_url: str
) -> None:
    _use(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}", REDIS_URL=redis_url)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["database: ok", "queue: ok"]


def test_check_fails_naming_what_is_away(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(
        monkeypatch,
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/none",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "database: unreachable" in result.stdout and "queue: unreachable" in result.stdout
    assert "not ready: database, queue" in result.stderr


def test_worker_refuses_an_unknown_queue(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    _use(monkeypatch, REDIS_URL=redis_url)
    result = runner.invoke(app, ["worker", "--queues", "plan_dya"])
    assert result.exit_code == 1
    assert "unknown queue(s) plan_dya" in result.stderr


@pytest.mark.timeout(60)
def test_a_worker_serves_its_metrics_for_every_process(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'rides.sqlite3'}"
    upgrade(url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        WORKER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [RIDES, "worker", "--processes", "2", "--threads", "1", "--queues", "scheduler"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 45
        while True:
            try:
                scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                break
            except httpx.TransportError:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the worker's metrics port never opened"
                time.sleep(0.2)
        assert 'rides_queue_depth{queue="scheduler"}' in scraped
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()
    # One process serves the port; the other saw the lock taken and stayed quiet.
    assert "Address already in use" not in (tmp_path / "worker.log").read_text()


def test_the_metrics_port_is_served_by_one_process_and_survives_a_taken_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from services.worker import MetricsPort

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("RIDES_WORKER", "1")
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        busy = MetricsPort(taken.getsockname()[1])
        busy.after_worker_boot(None, None)  # type: ignore[arg-type]
        assert busy._lock is None and "worker metrics not served" in caplog.text
    first, second = MetricsPort(free_port()), MetricsPort(free_port())
    first.after_worker_boot(None, None)  # type: ignore[arg-type]
    second.after_worker_boot(None, None)  # type: ignore[arg-type]
    assert first._lock is not None and second._lock is None  # the lock decides who serves
    scraped = httpx.get(f"http://127.0.0.1:{first.port}/metrics", timeout=5)
    assert scraped.status_code == 200 and "rides_queue_depth" in scraped.text


def test_the_metrics_port_stays_closed_outside_rides_worker(tmp_path: Path) -> None:
    from services.worker import MetricsPort

    embedded = MetricsPort(free_port())
    embedded.after_worker_boot(None, None)  # type: ignore[arg-type]
    assert embedded._lock is None


def test_a_planning_worker_loads_the_solver_core_when_it_boots(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from types import SimpleNamespace

    from services.worker import SolverWarmUp

    caplog.set_level(logging.INFO, logger="services.worker")
    SolverWarmUp().after_worker_boot(None, SimpleNamespace(queues=None))  # type: ignore[arg-type]
    assert "scheduler core loaded" not in caplog.text  # embedded: not `rides worker`
    monkeypatch.setenv("RIDES_WORKER", "1")
    SolverWarmUp().after_worker_boot(None, SimpleNamespace(queues={"sms"}))  # type: ignore[arg-type]
    assert "scheduler core loaded" not in caplog.text  # a worker that does not plan
    SolverWarmUp().after_worker_boot(None, SimpleNamespace(queues={"scheduler"}))  # type: ignore[arg-type]
    assert "scheduler core loaded" in caplog.text
