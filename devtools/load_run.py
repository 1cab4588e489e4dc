"""Sustained signed SMS plus JSON API load against a running web app, and what was lost.

The load comes from a separate process (``python -m devtools.load_run``, an asyncio httpx
client), so it does not share the server's interpreter. Every request is built before the clock
starts: texts signed with twilio's ``RequestValidator`` for the public URL, riders texting a short
conversation (hello, a booking, YES, STATUS: a quarter of the texts book a ride, one text of
each rider before the next). API calls are a mix of reads (ride requests, riders, places) and a
write (a new rider, one in five calls).

Two shapes: an open loop (``rate`` texts and ``api_rate`` calls a second for ``seconds``;
latency counts from the moment a request was due, so a stall is not hidden by sending less) and
a closed loop (``concurrency`` connections sending texts as fast as they are answered).

"Lost" is checked in the database afterwards: a text is lost when no ``inbound_message`` row
holds its MessageSid, an API write when no rider holds its phone number. Used by
``bench/load.py`` (60 s, with a table) and ``tests/services/test_load.py`` (a few seconds).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from devtools.deployment import INBOUND_PATH, rider_phone, signed_text
from shared.models import InboundMessage, Rider

SCRIPT = ("hello", "T&T tomorrow 10am one way", "YES", "status")
API_READS = ("/api/v1/ride-requests?limit=20", "/api/v1/riders?limit=20", "/api/v1/places")
NEW_RIDER_PREFIX = "+1289"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LoadPlan:
    """The requests of one run, built and signed before it starts."""

    texts: list[dict[str, Any]]  # {"sid", "body", "headers"}
    calls: list[dict[str, Any]]  # {"method", "path", "json", "phone"}

    def sids(self) -> list[str]:
        return [t["sid"] for t in self.texts]

    def new_riders(self) -> list[str]:
        return [c["phone"] for c in self.calls if c["phone"]]


def build_plan(
    public_base: str,
    token: str,
    *,
    texts: int,
    first_rider: int,
    riders: int,
    calls: int = 0,
    run: str = "",
) -> LoadPlan:
    """``texts`` signed texts from riders ``first_rider`` .. ``first_rider + riders - 1`` and
    ``calls`` API calls (every fifth a new rider, numbered by ``run`` so runs do not clash)."""
    built: list[dict[str, Any]] = []
    for index in range(texts):
        step, rider = divmod(index, riders)
        sid = "SM" + uuid.uuid4().hex
        body, headers = signed_text(
            public_base, token, sid, rider_phone(first_rider + rider), SCRIPT[step % len(SCRIPT)]
        )
        built.append({"sid": sid, "body": body.decode(), "headers": headers})
    api: list[dict[str, Any]] = []
    tag = sum(map(ord, run)) % 100
    for index in range(calls):
        if index % 5 == 4:
            phone = f"{NEW_RIDER_PREFIX}{200 + tag:03d}{index % 10_000:04d}"
            new = {"name": f"Load Rider {index}", "phone": phone}
            api.append({"method": "POST", "path": "/api/v1/riders", "json": new, "phone": phone})
        else:
            path = API_READS[index % len(API_READS)]
            api.append({"method": "GET", "path": path, "json": None, "phone": None})
    return LoadPlan(built, api)


@dataclass
class Seen:
    """What one kind of request got: latencies (s), HTTP statuses, transport errors."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"latencies": self.latencies, "statuses": dict(self.statuses), "errors": self.errors}


async def _generate(spec: dict[str, Any]) -> dict[str, Any]:
    """Send the spec's requests (in the load process) and report what came back."""
    base: str = spec["url"]
    key: str = spec["api_key"]
    texts, calls = spec["texts"], spec["calls"]
    connections = spec.get("concurrency") or 256
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    seen = {"texts": Seen(), "api": Seen()}
    async with httpx.AsyncClient(limits=limits, timeout=spec.get("timeout", 60)) as client:

        async def text(item: dict[str, Any]) -> int:
            response = await client.post(
                base + INBOUND_PATH, content=item["body"].encode(), headers=item["headers"]
            )
            return response.status_code

        async def call(item: dict[str, Any]) -> int:
            response = await client.request(
                item["method"], base + item["path"], json=item["json"], headers={"X-API-Key": key}
            )
            return response.status_code

        async def timed(kind: str, send: Any, item: dict[str, Any], since: float) -> None:
            try:
                status = await send(item)
            except httpx.HTTPError:
                seen[kind].errors += 1
                return
            seen[kind].latencies.append(time.perf_counter() - since)
            seen[kind].statuses[status] += 1

        await asyncio.sleep(max(0.0, spec["start_at"] - time.time()))
        began = time.time()
        if spec.get("concurrency"):
            queue = iter(texts)

            async def worker() -> None:
                for item in queue:
                    await timed("texts", text, item, time.perf_counter())

            await asyncio.gather(*(worker() for _ in range(connections)))
        else:
            zero = time.perf_counter()

            async def due(kind: str, send: Any, item: dict[str, Any], at: float) -> None:
                await asyncio.sleep(max(0.0, zero + at - time.perf_counter()))
                await timed(kind, send, item, zero + at)

            await asyncio.gather(
                *(due("texts", text, t, i / spec["rate"]) for i, t in enumerate(texts)),
                *(due("api", call, c, i / spec["api_rate"]) for i, c in enumerate(calls)),
            )
        ended = time.time()
    return {"began": began, "ended": ended, **{k: v.as_dict() for k, v in seen.items()}}


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    name: str
    sent: int
    seconds: float
    p50_ms: float
    p99_ms: float
    server_errors: int  # 5xx
    other: dict[int, int]  # statuses that are neither the expected one nor 5xx
    transport_errors: int
    lost: int | None = None

    @property
    def per_second(self) -> float:
        """Answered requests a second."""
        answered = self.sent - self.transport_errors
        return answered / self.seconds if self.seconds else 0.0


def _row(name: str, seen: dict[str, Any], seconds: float, expected: set[int]) -> Row:
    latencies = sorted(seen["latencies"])
    statuses = {int(s): n for s, n in seen["statuses"].items()}
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return Row(
        name=name,
        sent=len(latencies) + seen["errors"],
        seconds=seconds,
        p50_ms=statistics.median(latencies) * 1000 if latencies else 0.0,
        p99_ms=p99 * 1000,
        server_errors=sum(n for s, n in statuses.items() if s >= 500),
        other={s: n for s, n in statuses.items() if s not in expected and s < 500},
        transport_errors=seen["errors"],
    )


def drive(
    url: str,
    api_key: str,
    plan: LoadPlan,
    *,
    rate: float | None = None,
    api_rate: float | None = None,
    concurrency: int | None = None,
    timeout: float = 60.0,
) -> tuple[Row, Row | None]:
    """Send ``plan`` to ``url`` from a load process; the texts' row and the API's (if any)."""
    spec = {
        "url": url,
        "api_key": api_key,
        "texts": plan.texts,
        "calls": plan.calls if concurrency is None else [],
        "rate": rate or 1.0,
        "api_rate": api_rate or 1.0,
        "concurrency": concurrency,
        "timeout": timeout,
        "start_at": time.time() + 1.5,
    }
    process = subprocess.run(
        [sys.executable, "-m", "devtools.load_run"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(process.stdout)
    seconds = report["ended"] - report["began"]
    texts = _row("texts", report["texts"], seconds, {200})
    api = _row("api", report["api"], seconds, {200, 201}) if spec["calls"] else None
    return texts, api


def lost_texts(engine: Engine, plan: LoadPlan) -> int:
    """Texts of ``plan`` with no stored inbound row."""
    sids = plan.sids()
    with Session(engine) as session:
        stored = set(
            session.exec(
                select(InboundMessage.provider_message_id).where(
                    col(InboundMessage.provider_message_id).in_(sids)
                )
            ).all()
        )
    return len(set(sids) - stored)


def lost_riders(engine: Engine, plan: LoadPlan) -> int:
    """Riders ``plan`` created through the API that are not stored."""
    phones = plan.new_riders()
    if not phones:
        return 0
    with Session(engine) as session:
        stored = set(session.exec(select(Rider.phone).where(col(Rider.phone).in_(phones))).all())
    return len(set(phones) - stored)


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| run | sent | req/s | p50 ms | p99 ms | 5xx | other non-2xx | no answer | lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for r in rows:
        other = ", ".join(f"{s}: {n}" for s, n in sorted(r.other.items())) or "0"
        lost = "" if r.lost is None else str(r.lost)
        lines.append(
            f"| {r.name} | {r.sent} | {r.per_second:,.1f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.server_errors} | {other} | {r.transport_errors} | {lost} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(_generate(json.loads(sys.stdin.read())))) + "\n")
