"""PostgreSQL restarted while texts keep arriving: none is lost, each is processed once.

A real ``rides serve`` process runs against a private PostgreSQL cluster (``initdb`` in a
temporary folder, see ``tests.private_postgres``). Signed webhooks go to it over loopback
before, during and after the cluster is stopped. While it is away, texts get the short
"we got your message" reply and are kept (in Redis, or in the local journal when there is no
Redis), status callbacks are kept too, the API answers 503 and ``/readyz`` names the database.
Once the cluster is back, every kept text is stored once, its real reply is queued as a text,
and the same process answers normally again: no restart.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from twilio.request_validator import RequestValidator

from services.booking.api.auth import rotate_key
from services.booking.sms.webhook import held_reply
from shared.db import make_engine
from shared.migrations import upgrade
from shared.models import DeliveryEvent, InboundMessage, InboundState, Message, Organisation
from tests.conftest import free_port
from tests.private_postgres import PrivatePostgres

RIDES = str(Path(sys.executable).parent / "rides")
TOKEN = "outage-test-token"
ORG_NUMBER = "+14165550100"
PHONES = ("+14165550111", "+14165550112", "+14165550113")
_sids = itertools.count(1)


def sid() -> str:
    return f"SM{os.getpid():08d}{next(_sids):024d}"


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    yield server
    server.remove()


class Serve:
    """A ``rides serve`` process and a signed client for it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "DATABASE_URL")
        }
        environment.update(env, PUBLIC_BASE_URL=self.base, TWILIO_AUTH_TOKEN=TOKEN)
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            [RIDES, "serve", "--port", str(self.port)],
            env=environment,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.http = httpx.Client(base_url=self.base, timeout=20)
        self.wait_for(lambda: self.get("/healthz").status_code == 200, "the web app to start")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.get(path, **kwargs)
        except httpx.TransportError:
            return httpx.Response(599)

    def post_signed(self, path: str, params: dict[str, str]) -> httpx.Response:
        signature = RequestValidator(TOKEN).compute_signature(self.base + path, params)
        return self.http.post(path, data=params, headers={"X-Twilio-Signature": signature})

    def text(self, phone: str, body: str, message_sid: str | None = None) -> tuple[str, str | None]:
        """Send one text; its MessageSid and the reply's words (None for no reply)."""
        message_sid = message_sid or sid()
        params = {"MessageSid": message_sid, "From": phone, "To": ORG_NUMBER, "Body": body}
        response = self.post_signed("/sms/inbound", params)
        assert response.status_code == 200, (response.status_code, response.text)
        found = ElementTree.fromstring(response.content).find("Message")
        return message_sid, None if found is None else found.text

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                pytest.fail(f"waited in vain for {what}; rides serve log:\n{tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        self._log_file.close()


def _seed(url: str) -> str:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        org = Organisation(slug="outage", name="Outage Rides", sms_number=ORG_NUMBER)
        session.add(org)
        key = rotate_key(session, org)
        session.commit()
    engine.dispose()
    return key


def _metric(text: str, prefix: str) -> float:
    """The sum of the samples whose line starts with ``prefix`` (a name and its labels)."""
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("store", ["journal", "redis"])
def test_texts_sent_while_postgresql_is_down_are_processed_once_when_it_is_back(
    store: str, cluster: PrivatePostgres, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    key = _seed(cluster.url)
    env = {
        "DATABASE_URL": cluster.url,
        "HELD_JOURNAL_PATH": str(tmp_path / "held" / "webhooks.jsonl"),
        "HELD_REPLAY_INTERVAL_SECONDS": "0.3",
        "SMS_BACKEND": "console",
    }
    if store == "redis":
        env["REDIS_URL"] = request.getfixturevalue("private_redis").url
    serve = Serve(env, tmp_path / "serve.log")
    api = {"X-API-Key": key}
    try:
        # Before: a normal conversation reply, straight from the database.
        _, before = serve.text(PHONES[0], "hello")
        assert before is not None and before != held_reply()
        assert serve.get("/api/v1/riders", headers=api).status_code == 200

        cluster.stop()
        kept: list[str] = []
        for round_ in range(3):
            for phone in PHONES:
                message_sid, reply = serve.text(phone, f"ride to the clinic {round_}")
                assert reply == held_reply(), reply
                kept.append(message_sid)
        # Twilio retrying one of them (same MessageSid) during the outage.
        assert serve.text(PHONES[1], "ride to the clinic 1", kept[4])[1] == held_reply()
        callback = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
        assert serve.post_signed("/sms/status", callback).status_code == 204

        assert serve.get("/api/v1/riders", headers=api).status_code == 503
        ready = serve.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["database"]
        assert ready.json()["held_webhooks"] == len(kept) + 2
        serve.wait_for(lambda: serve.get("/healthz").json()["database"] != "ok", "healthz")
        assert serve.get("/healthz").status_code == 200
        if store == "journal":
            assert (tmp_path / "held" / "webhooks.jsonl").exists()

        cluster.start()
        serve.wait_for(
            lambda: (
                serve.get("/readyz").status_code == 200
                and serve.get("/readyz").json()["held_webhooks"] == 0
            ),
            "the kept webhooks to be replayed",
        )

        engine: Engine = make_engine(cluster.url)
        try:
            with Session(engine) as session:
                stored = session.exec(
                    select(InboundMessage).where(col(InboundMessage.provider_message_id).in_(kept))
                ).all()
                replies = session.exec(select(Message).where(Message.template == "sms_reply")).all()
                events = session.exec(
                    select(DeliveryEvent).where(DeliveryEvent.provider_id == callback["MessageSid"])
                ).all()
        finally:
            engine.dispose()
        # Every kept text stored exactly once and handled, its reply queued exactly once.
        assert sorted(m.provider_message_id for m in stored) == sorted(kept)
        assert {m.processing_state for m in stored} == {InboundState.PROCESSED}
        assert Counter(m.to_number for m in replies) == Counter(
            phone for _ in range(3) for phone in PHONES
        )
        assert all(m.body and m.body != held_reply() for m in replies)
        assert len(events) == 1

        # The same process, not restarted, answers normally again.
        assert serve.process.poll() is None
        _, after = serve.text(PHONES[2], "help")
        assert after is not None and after != held_reply()
        assert serve.get("/api/v1/riders", headers=api).status_code == 200
        scraped = serve.get("/metrics").text
        assert _metric(scraped, 'rides_inbound_texts_total{outcome="held"') == len(kept) + 1
        if store == "journal":  # the in-process queue sends the replies inside this process
            assert _metric(scraped, "rides_outbound_texts_total") > 0
        assert (
            _metric(scraped, 'rides_inbound_texts_total{outcome="handled_later"') == len(kept) + 1
        )
    finally:
        serve.stop()
