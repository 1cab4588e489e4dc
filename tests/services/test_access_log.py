"""`rides serve` logs requests without the personal data their URLs can carry."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.logs import HidePrivateParts, private_path
from shared.migrations import upgrade
from tests.conftest import free_port

PHONE = "+14165550123"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/v1/riders?phone=%2B14165550123", "/api/v1/riders?…"),
        ("/m/eyJkIjoxfQ.abc123", "/m/…"),
        ("/m/eyJkIjoxfQ.abc123/accept", "/m/…/accept"),
        ("/dispatch/2026-12-03", "/dispatch/2026-12-03"),
    ],
)
def test_the_access_log_shows_paths_without_queries_or_manifest_tokens(
    path: str, logged: str
) -> None:
    assert private_path(path) == logged


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/v1/riders?phone={PHONE}", "1.1", 200), None,
    )  # fmt: skip
    assert HidePrivateParts().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/v1/riders?… HTTP/1.1" 200'


def test_rides_serve_keeps_phone_numbers_and_tokens_out_of_its_access_log(tmp_path: Path) -> None:
    """A real `rides serve` under uvicorn: the requests are logged, their private parts are not."""
    url = f"sqlite:///{tmp_path / 'rides.sqlite3'}"
    upgrade(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO"}
    command = [sys.executable, "-c", "from services.cli import main; main()", "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        phone_search = httpx.get(f"{base}/api/v1/riders", params={"phone": PHONE})
        manifest = httpx.get(f"{base}/m/secret-manifest-token-123")
        assert phone_search.status_code == 401
        assert manifest.status_code in (400, 403, 404)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert '"GET /api/v1/riders?… HTTP/1.1" 401' in output
    assert '"GET /m/… HTTP/1.1"' in output
    assert "4165550123" not in output and "5550123" not in output
    assert "secret-manifest-token-123" not in output
