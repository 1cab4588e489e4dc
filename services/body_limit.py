"""A limit on request bodies, in front of every route: larger ones get 413 before any handler.

Starlette reads a whole body into memory when a handler asks for it (``request.body()``,
``request.form()``), so without a limit one client could make a process hold gigabytes before the
API key, the Twilio signature or any other check runs. The limit is checked twice: against the
``Content-Length`` a client declares, before anything is read, and by counting the bytes that
arrive, for chunked bodies that declare none (or declare less than they send).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.settings import get_settings


class _TooLarge(Exception):
    """Raised inside ``receive`` once the body passes the limit; the handler is abandoned."""


class BodySizeLimit:
    """Pure ASGI middleware answering 413 to a request body over ``max_bytes``.

    ``max_bytes`` defaults to ``MAX_REQUEST_BODY_BYTES``, read per request.
    """

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes or get_settings().app.max_request_body_bytes
        declared = [v for k, v in scope["headers"] if k == b"content-length"]
        if declared:
            text = declared[0].decode("latin-1").strip()
            if len(declared) > 1 or not (text.isascii() and text.isdigit()):
                await _answer(send, 400, "bad_request", "the Content-Length header is not valid")
                return
            if int(text) > limit:
                await _too_large(send, limit)
                return
        received = 0
        tripped = False
        started = False

        async def counted() -> Message:
            nonlocal received, tripped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            # A handler that catches every error while reading its body (the SMS webhook does)
            # would answer 400; the client should hear that the body was too large.
            if tripped:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            # Whatever the abandoned handler made of ``_TooLarge`` (some wrap it in a group).
            if not tripped:
                raise
        if tripped and not started:
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    await _answer(send, 413, "payload_too_large", f"the request body is larger than {limit} bytes")


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    # The API's error shape (``services.booking.api.errors``), written here without Starlette's
    # response classes so that nothing below this middleware runs.
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
