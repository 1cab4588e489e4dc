"""A local stand-in for Twilio's Messages API, for tests, benchmarks and the demo.

It speaks enough of the real API for twilio's own ``Client`` to work against it unchanged:
``POST /2010-04-01/Accounts/{sid}/Messages.json`` with HTTP basic auth, Twilio's JSON shapes for
success and errors, and signed status callbacks (queued -> sent -> delivered, or a failure).

Like Twilio's, its message list lags: ``list_lag_seconds`` keeps a message out of the list (the
``GET .../Messages.json`` that recovery reads) that long after it was created. Faults are injected
per recipient number or for everyone, from the test (``add_fault``) or over
HTTP (``POST /_fake/faults``), so failure handling can be exercised end to end. The ``/_fake``
endpoints have no auth: bind the fake to loopback only.

Run it alone with ``python -m devtools.fake_twilio --port 8099``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import hmac
import logging
import queue
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from shared.segments import segment_count

logger = logging.getLogger(__name__)

FinalStatus = Literal["delivered", "undelivered", "failed"]
API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "f" * 32
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"

_ERROR_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class Fault:
    """How the fake misbehaves for matching messages; ``times=None`` means every time."""

    http_status: int | None = None  # reject the create call with this status
    error_code: int | None = None  # Twilio code in the error body, or in the failure callback
    delay_seconds: float = 0.0  # answer the create call this late
    final_status: FinalStatus = "delivered"
    times: int | None = None
    jitter_seconds: float = 0.0  # the delay varies this much either way (uniformly)

    def __post_init__(self) -> None:
        if self.http_status is not None and not 400 <= self.http_status <= 599:
            raise ValueError(f"http_status must be 4xx or 5xx, got {self.http_status}")
        if self.final_status not in ("delivered", "undelivered", "failed"):
            raise ValueError(
                f"final_status must be delivered/undelivered/failed, got {self.final_status!r}"
            )
        if self.delay_seconds < 0 or (self.times is not None and self.times < 1):
            raise ValueError("delay_seconds must be >= 0 and times >= 1 (or None)")
        if not 0 <= self.jitter_seconds <= self.delay_seconds:
            raise ValueError("jitter_seconds must be between 0 and delay_seconds")

    @classmethod
    def rejected(cls, http_status: int, error_code: int, times: int | None = None) -> Fault:
        """Refuse the create call, e.g. ``rejected(400, 21610)`` for an opted-out number."""
        return cls(http_status=http_status, error_code=error_code, times=times)

    @classmethod
    def slow(cls, seconds: float, times: int | None = None, jitter: float = 0.0) -> Fault:
        """Accept, but only after ``seconds`` (give or take ``jitter``, uniformly)."""
        return cls(delay_seconds=seconds, times=times, jitter_seconds=jitter)

    def delay(self) -> float:
        """This answer's delay in seconds."""
        if not self.jitter_seconds:
            return self.delay_seconds
        return self.delay_seconds + random.uniform(-self.jitter_seconds, self.jitter_seconds)

    @classmethod
    def not_delivered(
        cls, error_code: int = 30005, status: FinalStatus = "undelivered", times: int | None = None
    ) -> Fault:
        """Accept, then report ``undelivered`` (or ``failed``) with ``error_code``."""
        return cls(final_status=status, error_code=error_code, times=times)


@dataclass
class FakeMessage:
    """One message the fake accepted; ``status`` advances as callbacks are sent."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    date_created: datetime
    status: str = "queued"
    error_code: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The message in Twilio's JSON shape."""
        stamp = self.date_created.strftime("%a, %d %b %Y %H:%M:%S +0000")
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": stamp,
            "date_sent": None,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(segment_count(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": self.to,
            "uri": f"{uri}.json",
        }


def _default_code(http_status: int) -> int:
    """The code Twilio sends with a status when a fault does not name one."""
    if http_status == 429:
        return 20429
    return 20500 if http_status >= 500 else 20001


def _error(http_status: int, code: int) -> JSONResponse:
    """Twilio's error body: code, message, more_info, status."""
    body = {
        "code": code,
        "message": _ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": http_status,
    }
    return JSONResponse(body, status_code=http_status)


class FakeTwilio:
    """The fake's state (messages, faults) and its Starlette app; thread-safe."""

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        callback_interval_seconds: float = 0.0,
        list_lag_seconds: float = 0.0,
    ) -> None:
        """``callback_interval_seconds`` spaces the status callbacks of one message;
        ``list_lag_seconds`` is how long a new message stays out of the message list."""
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.callback_interval_seconds = callback_interval_seconds
        self.list_lag_seconds = list_lag_seconds
        self._lock = threading.Lock()
        self._messages: list[FakeMessage] = []
        self._faults: dict[str | None, list[Fault]] = {}  # None key: applies to everyone
        self._closing = threading.Event()
        self._generation = 0  # bumped by reset(): slow answers still in flight then are dropped
        self._jobs: queue.Queue[tuple[FakeMessage, FinalStatus, int | None] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{sid}/Messages.json",
                    self._messages_endpoint,
                    methods=["GET", "POST"],
                ),
                Route("/_fake/messages", self._list, methods=["GET"]),
                Route("/_fake/reset", self._reset, methods=["POST"]),
                Route("/_fake/faults", self._faults_endpoint, methods=["POST", "DELETE"]),
            ]
        )

    # -- in-process API -------------------------------------------------------------------

    def messages(self, to: str | None = None) -> list[FakeMessage]:
        """Copies of the accepted messages, oldest first, optionally for one recipient."""
        with self._lock:
            return [dataclasses.replace(m) for m in self._messages if to in (None, m.to)]

    def add_fault(self, fault: Fault, to: str | None = None) -> None:
        """Apply ``fault`` to messages for ``to`` (or to all when None); per-number wins."""
        with self._lock:
            self._faults.setdefault(to, []).append(fault)

    def clear_faults(self) -> None:
        """Behave normally again."""
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget all messages and faults, and the slow answers still in flight; list at once."""
        with self._lock:
            self._generation += 1
            self._messages.clear()
            self._faults.clear()
            self.list_lag_seconds = 0.0

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Block until every scheduled status callback has been sent; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._jobs.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        """Stop the callback thread (pending callbacks are dropped) and slow answers."""
        self._closing.set()
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._jobs.put(None)
            worker.join(timeout=10)

    def _take_fault(self, to: str) -> Fault | None:
        with self._lock:
            for key in (to, None):
                faults = self._faults.get(key)
                if faults:
                    fault = faults[0]
                    if fault.times is not None:
                        if fault.times <= 1:
                            faults.pop(0)
                        else:
                            faults[0] = dataclasses.replace(fault, times=fault.times - 1)
                    return fault
        return None

    # -- HTTP endpoints ---------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        # Bytes, not str: compare_digest refuses non-ASCII str, which a client could send.
        return (
            hmac.compare_digest(user.encode(), self.account_sid.encode())
            and hmac.compare_digest(password.encode(), self.auth_token.encode())
            and request.path_params["sid"] == self.account_sid
        )

    async def _messages_endpoint(self, request: Request) -> Response:
        if not self._authorised(request):
            return _error(401, 20003)
        if request.method == "GET":
            return self._read_list(request)
        return await self._create(request)

    def _read_list(self, request: Request) -> Response:
        """Twilio's message list: filtered by To, From and DateSent>= (a day), one page."""
        query = request.query_params
        to, from_ = query.get("To"), query.get("From")
        after = query.get("DateSent>")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")).date() if after else None
        listed_before = datetime.now(UTC) - timedelta(seconds=self.list_lag_seconds)
        found = [
            m.to_json()
            for m in self.messages(to)
            if (from_ is None or m.from_ == from_)
            and (since is None or m.date_created.date() >= since)
            and m.date_created <= listed_before
        ]
        uri = request.url.path
        return JSONResponse(
            {
                "messages": found[::-1],  # Twilio lists newest first
                "page": 0,
                "page_size": max(len(found), 50),
                "start": 0,
                "end": max(len(found) - 1, 0),
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
            }
        )

    async def _create(self, request: Request) -> Response:
        form = await request.form()
        to, from_, body = (str(form.get(name) or "") for name in ("To", "From", "Body"))
        callback = str(form["StatusCallback"]) if form.get("StatusCallback") else None
        for value, code in ((to, 21604), (from_, 21603), (body, 21602)):
            if not value:
                return _error(400, code)
        if not (to.startswith("+") and to[1:].isdigit() and 8 <= len(to) <= 16):
            return _error(400, 21211)
        fault = self._take_fault(to) or Fault()
        generation = self._generation
        if fault.delay_seconds:
            # Sleep in slices so that stopping the server is not held up by a slow answer.
            deadline = time.monotonic() + fault.delay()
            while time.monotonic() < deadline and not self._closing.is_set():
                await asyncio.sleep(0.02)
            if self._closing.is_set():
                return _error(503, 20500)
        if fault.http_status is not None:
            return _error(fault.http_status, fault.error_code or _default_code(fault.http_status))
        message = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            body=body,
            status_callback=callback,
            date_created=datetime.now(UTC),
        )
        with self._lock:
            if generation != self._generation:  # reset while this answer was slow
                return _error(503, 20500)
            self._messages.append(message)
        payload = message.to_json()  # answer "queued" before the worker advances it
        failure_code = fault.error_code if fault.final_status != "delivered" else None
        self._schedule(message, fault.final_status, failure_code)
        return JSONResponse(payload, status_code=201)

    async def _list(self, request: Request) -> Response:
        to = request.query_params.get("to")
        return JSONResponse([m.to_json() for m in self.messages(to)])

    async def _reset(self, request: Request) -> Response:
        self.reset()
        return Response(status_code=204)

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_faults()
            return Response(status_code=204)
        try:
            data = await request.json()
            to = data.pop("to", None) if isinstance(data, dict) else None
            fault = Fault(**data)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad fault: {exc}"}, status_code=400)
        self.add_fault(fault, to)
        return Response(status_code=204)

    # -- status callbacks -------------------------------------------------------------------

    def _schedule(self, message: FakeMessage, final: FinalStatus, code: int | None) -> None:
        with self._lock:
            if self._worker is None and not self._closing.is_set():
                self._worker = threading.Thread(
                    target=self._run_callbacks, name="fake-twilio-callbacks", daemon=True
                )
                self._worker.start()
        self._jobs.put((message, final, code))

    def _run_callbacks(self) -> None:
        # One thread, one job at a time: callbacks for a message arrive in order.
        with httpx.Client(timeout=5.0) as client:
            while (job := self._jobs.get()) is not None:
                try:
                    self._deliver(client, *job)
                except Exception:  # a broken receiver must not kill the fake
                    logger.exception("fake Twilio: status callback failed")
                finally:
                    self._jobs.task_done()
            self._jobs.task_done()

    def _deliver(
        self, client: httpx.Client, message: FakeMessage, final: FinalStatus, code: int | None
    ) -> None:
        steps = ["queued", "failed"] if final == "failed" else ["queued", "sent", final]
        for status in steps:
            if self._closing.is_set():
                return
            error_code = code if status in ("undelivered", "failed") else None
            with self._lock:
                message.status, message.error_code = status, error_code
            if message.status_callback:
                self._post_callback(client, message, status, error_code)
            if self.callback_interval_seconds:
                self._closing.wait(self.callback_interval_seconds)

    def _post_callback(
        self, client: httpx.Client, message: FakeMessage, status: str, error_code: int | None
    ) -> None:
        assert message.status_callback is not None
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_,
            "To": message.to,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.auth_token).compute_signature(
            message.status_callback, params
        )
        headers = {
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": f"{message.sid}-{status}",
        }
        response = client.post(message.status_callback, data=params, headers=headers)
        if response.status_code >= 400:
            logger.warning(
                "fake Twilio: callback %s for %s got HTTP %d",
                status,
                message.sid,
                response.status_code,
            )


class BackgroundServer:
    """An ASGI app served by uvicorn on a free loopback port in a daemon thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        """Start serving ``app`` and wait until it accepts connections."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))  # port 0: the OS picks a free port, no race with others
        self._socket.listen(128)
        port = self._socket.getsockname()[1]
        self.base_url = f"http://{host}:{port}"
        config = uvicorn.Config(
            app,
            lifespan="off",
            ws="none",  # no websocket stack to import (and no deprecation warnings from it)
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"uvicorn-{port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server on {self.base_url} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call twice."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class RunningFakeTwilio(BackgroundServer):
    """A fake Twilio served in the background: ``base_url``, ``fake`` and ``stop()``."""

    def __init__(self, fake: FakeTwilio, host: str = "127.0.0.1") -> None:
        """Serve ``fake``; ``stop()`` also stops its callback thread."""
        self.fake = fake
        super().__init__(fake.app, host)

    def stop(self) -> None:
        """Stop slow answers and callbacks first, so the server can shut down at once."""
        self.fake.close()
        super().stop()

    def __enter__(self) -> RunningFakeTwilio:
        return self


def run_fake_twilio_in_thread(
    account_sid: str = DEFAULT_ACCOUNT_SID,
    auth_token: str = DEFAULT_AUTH_TOKEN,
    *,
    callback_interval_seconds: float = 0.0,
    host: str = "127.0.0.1",
) -> RunningFakeTwilio:
    """Start a fake Twilio on a free loopback port; call ``stop()`` (or use ``with``)."""
    fake = FakeTwilio(account_sid, auth_token, callback_interval_seconds)
    return RunningFakeTwilio(fake, host)


def main(argv: list[str] | None = None) -> None:
    """Serve the fake in the foreground (demo, manual testing)."""
    parser = argparse.ArgumentParser(description="Serve a fake Twilio Messages API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--callback-interval", type=float, default=0.5)
    parser.add_argument(
        "--list-lag", type=float, default=0.0, help="Seconds before a new text is listed."
    )
    parser.add_argument("--quiet", action="store_true", help="Log warnings only.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO)
    fake = FakeTwilio(args.account_sid, args.auth_token, args.callback_interval, args.list_lag)
    try:
        uvicorn.run(
            fake.app,
            host=args.host,
            port=args.port,
            lifespan="off",
            ws="none",
            access_log=not args.quiet,
            log_level="warning" if args.quiet else "info",
        )
    finally:
        fake.close()


if __name__ == "__main__":
    main()
