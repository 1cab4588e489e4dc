"""``POST /sms/inbound``: Twilio's webhook for texts riders send, answered with TwiML.

Order of checks: the Twilio signature (403, nothing stored), the required fields (400, nothing
stored), the organisation owning the ``To`` number (404, nothing stored). The text is then
stored, deduplicated by MessageSid, rate-limited per number, handled by the conversation
engine and its actions carried out, all in one transaction (``_receive``). The reply
goes back in the same HTTP response as TwiML (an empty ``<Response/>`` when the engine stays
silent); no solver run and no outbound API call happens inside the request: re-plans are
queued through the outbox after the commit.

The database work is synchronous, so it runs in worker threads, a few at a time.

When the database is away (down, restarting, out of connections), the signed form is kept
(``shared.held``: Redis, else a local journal) and the rider gets a short bilingual "we got
your message"; the web app replays it once the database is back (``services.held_replay``) and
the real reply goes out as a text. Only when nothing can keep it does the webhook answer 503.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.twiml.messaging_response import MessagingResponse

from services.booking.conversation.replies import join, render
from services.booking.sms._limits import RateLimit
from services.booking.sms._receive import InboundSms, receive
from shared import metrics
from shared.db import DATABASE_AWAY, get_engine
from shared.errors import InvalidPhoneNumber
from shared.held import HeldWebhook, keep
from shared.i18n import Language
from shared.models import utcnow
from shared.phones import mask, to_e164
from shared.settings import get_settings
from shared.webhooks import signature_is_valid

log = logging.getLogger(__name__)

PATH = "/sms/inbound"
TWIML = "application/xml"
_REQUIRED = ("MessageSid", "From", "To")
_SID_LIMIT = 64
_SID = re.compile(rf"[A-Za-z0-9_-]{{1,{_SID_LIMIT}}}")
BODY_LIMIT = 1600


def twiml(reply: str | None) -> str:
    """The TwiML document answering with ``reply``, or an empty ``<Response/>`` for None."""
    response = MessagingResponse()
    if reply is not None:
        response.message(reply)
    return str(response.to_xml())


class BadInbound(ValueError):
    """The webhook's form is missing or has unusable fields; the message says which."""


def parse_inbound(params: dict[str, str]) -> InboundSms:
    """The inbound text from Twilio's form fields, or ``BadInbound`` saying what is wrong."""
    missing = [name for name in _REQUIRED if not params.get(name, "").strip()]
    if missing:
        raise BadInbound(f"missing required field(s): {', '.join(missing)}")
    sid = params["MessageSid"].strip()
    if not _SID.fullmatch(sid):
        raise BadInbound(f"MessageSid must be 1 to {_SID_LIMIT} letters and digits")
    try:
        from_number = to_e164(params["From"])
        to_number = to_e164(params["To"])
    except InvalidPhoneNumber as exc:
        raise BadInbound(f"From and To must be phone numbers: {exc}") from exc
    raw_media = params.get("NumMedia", "0").strip() or "0"
    try:
        num_media = max(0, min(int(raw_media), 10))
    except ValueError:
        raise BadInbound("NumMedia must be a whole number") from None
    # Twilio sends at most 1,600 characters; NUL cannot be stored in a PostgreSQL text column.
    body = params.get("Body", "")[:BODY_LIMIT].replace("\x00", "")
    return InboundSms(sid, from_number, to_number, body, num_media)


def inbound_route(
    engine: Engine | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    rate_limit: RateLimit | None = None,
    rng: Callable[[], random.Random] = random.SystemRandom,
    concurrency: int = 8,
    queue_seconds: float | None = None,
) -> Route:
    """The ``POST /sms/inbound`` route.

    ``engine`` defaults to the configured database, ``clock`` to the current UTC time (tests
    pass the scenario's), ``rate_limit`` to the ``SMS_INBOUND_*`` settings, and ``rng`` makes
    the generator for reference codes (riders read them, so by default the OS's CSPRNG).
    At most ``concurrency`` texts are handled at once per process; more wait their turn on the
    event loop, which costs less than more threads contending for the database and the GIL,
    for at most ``queue_seconds`` (default ``SMS_INBOUND_QUEUE_SECONDS``): a text still waiting
    then is kept for later, like one that arrives while the database is away.
    """
    limit = rate_limit or RateLimit.from_settings()
    # One limiter per event loop, made on first use inside it (a test client may run several).
    limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
        WeakKeyDictionary()
    )

    async def sms_inbound(request: Request) -> Response:
        try:
            form = await request.form()
        except Exception:
            # Starlette reports malformed bodies in several ways; all mean the same to Twilio.
            return _plain("the body must be application/x-www-form-urlencoded", 400)
        params = {key: value for key, value in form.items() if isinstance(value, str)}
        if not signature_is_valid(request, params, get_settings()):
            log.warning("inbound SMS refused: invalid or missing Twilio signature")
            return _plain("invalid signature", 403)
        try:
            sms = parse_inbound(params)
        except BadInbound as exc:
            return _plain(str(exc), 400)
        loop = asyncio.get_running_loop()
        limiter = limiters.get(loop)
        if limiter is None:
            limiter = limiters[loop] = anyio.CapacityLimiter(concurrency)
        now = clock()
        held = HeldWebhook("inbound", params, now)
        work = partial(receive, engine or get_engine(), sms, now=now, limit=limit, rng=rng)
        # Back-pressure: above capacity a text would wait its turn past Twilio's 15 s and be
        # lost with the dropped request. After a bounded wait it is kept instead, as during a
        # database outage, and the web app handles it once there is room.
        acquired = False
        with anyio.move_on_after(queue_seconds or get_settings().sms.sms_inbound_queue_seconds):
            await limiter.acquire()
            acquired = True
        if not acquired:
            log.warning("inbound SMS %s kept: the web process is over capacity", sms.sid)
            return await _hold(held, "held_busy")
        try:
            outcome = await anyio.to_thread.run_sync(work)
        except DATABASE_AWAY:
            return await _hold(held)
        finally:
            limiter.release()
        metrics.inbound_text("replayed" if outcome is not None and outcome.replayed else "handled")
        if outcome is None:
            log.warning("inbound SMS to %s: no organisation uses that number", mask(sms.to_number))
            return _plain(f"no organisation uses the number {sms.to_number}", 404)
        log.info(
            "inbound SMS %s from %s answered%s (%s)",
            sms.sid,
            mask(sms.from_number),
            " again" if outcome.replayed else "",
            "silent" if outcome.reply is None else "reply",
        )
        return Response(twiml(outcome.reply), media_type=TWIML)

    return Route(PATH, sms_inbound, methods=["POST"])


def held_reply() -> str:
    """The short answer to a text kept for later: both languages, as the rider's is unknown."""
    return join(render("held", Language.EN), render("held", Language.ZH_HANT))


async def _hold(held: HeldWebhook, outcome: str = "held") -> Response:
    """Keep a text that cannot be handled now; 503 only when nothing could keep it."""
    where = await anyio.to_thread.run_sync(keep, held)
    if where is None:
        metrics.inbound_text("refused")
        return Response(
            "the service cannot take texts right now; try again",
            status_code=503,
            headers={"Retry-After": "5"},
            media_type="text/plain",
        )
    metrics.inbound_text(outcome)
    return Response(twiml(held_reply()), media_type=TWIML)


def _plain(text: str, status: int) -> Response:
    return Response(text, status_code=status, media_type="text/plain")
