"""``/metrics`` of a real ``rides serve --workers 2``: both processes' samples, added up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.migrations import upgrade
from tests.conftest import free_port

RIDES = str(Path(sys.executable).parent / "rides")


def _sample(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.timeout(120)
def test_two_web_processes_answer_metrics_for_both(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'rides.sqlite3'}"
    upgrade(url)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PROMETHEUS_MULTIPROC_DIR", "LOG_FORMAT")
    }
    env.update(DATABASE_URL=url, REDIS_URL=redis_url, LOG_FORMAT="json")
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [RIDES, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # two processes starting on a busy machine
        while True:
            try:
                first = httpx.get(base + "/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.2)
        deadline = time.monotonic() + 30
        processes: set[int] = {first.json()["process"]}
        sent = 1
        # A new connection per request, so the kernel spreads them over both processes.
        while len(processes) < 2 or sent < 40:
            assert time.monotonic() < deadline, f"saw processes {processes} after {sent}"
            response = httpx.get(base + "/healthz", timeout=5)
            assert response.status_code == 200
            processes.add(response.json()["process"])
            sent += 1
        line = 'rides_http_requests_total{method="GET",route="/healthz",status="200"}'
        # A request is counted just after its answer is sent: give the last one a moment.
        settle = time.monotonic() + 5
        while _sample(httpx.get(base + "/metrics", timeout=5).text, line) != sent:
            assert time.monotonic() < settle
            time.sleep(0.1)
        for _ in range(4):  # whichever process answers the scrape counts every request
            assert _sample(httpx.get(base + "/metrics", timeout=5).text, line) == sent
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    lines = (tmp_path / "serve.log").read_text().splitlines()
    # LOG_FORMAT=json: every line the web processes wrote is one JSON object.
    access = [line for line in lines if "GET /healthz" in line]
    assert access and all(line.startswith("{") and '"level": "INFO"' in line for line in access)
