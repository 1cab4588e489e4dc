"""``/simulator``: a phone on the screen, for demos only (``DEMO_MODE``; 404 otherwise).

A person picks a sample rider or driver, or types a new number, and texts the organisation.
Each text is posted to the real ``/sms/inbound`` webhook (inside this app, through its whole
middleware stack) signed exactly as Twilio signs, so it meets the same checks a real text
does. The thread shows the texts sent, the webhook's replies and every later text to that
number from the outbox (confirmations, route texts, reminders), polled with htmx.

The chosen number is kept in the session, never in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.demo.phone import INBOUND_PATH, inbound_form, signature
from services.dispatch.auth import request_language
from services.dispatch.templates import render
from shared.db import get_engine
from shared.errors import InvalidPhoneNumber
from shared.i18n import format_time
from shared.models import Driver, InboundMessage, Message, MessageStatus, Organisation, Rider
from shared.phones import to_e164
from shared.settings import get_settings

PATH = "/simulator"
SESSION_KEY = "simulator_phone"
BODY_LIMIT = 1600


@dataclass(frozen=True)
class Contact:
    """A sample person the simulator can text as."""

    phone: str
    name: str
    role: str  # "rider" or "driver"


@dataclass(frozen=True)
class Bubble:
    """One text on the phone's screen."""

    at: datetime
    time: str
    body: str
    mine: bool  # sent by the phone's owner (else by the organisation)
    status: str


@dataclass(frozen=True)
class PhoneView:
    """What the simulator page shows."""

    organisation: str
    org_number: str
    phone: str | None
    who: str | None
    riders: list[Contact]
    drivers: list[Contact]
    bubbles: list[Bubble]


def _require_demo() -> None:
    if not get_settings().app.demo_mode:
        raise HTTPException(404, "Not Found")


def _organisation(session: Session) -> Organisation:
    org = session.exec(select(Organisation).order_by(col(Organisation.id))).first()
    if org is None or org.sms_number is None:
        raise HTTPException(404, "no organisation with a texting number yet; run `rides demo`")
    return org


def phone_view(session: Session, phone: str | None, language: str = "en") -> PhoneView:
    """The page's view model for the chosen number (``None``: no number chosen yet), with
    times in the organisation's time zone, written the way ``language`` writes them."""
    org = _organisation(session)
    riders = session.exec(
        select(Rider).where(Rider.organisation_id == org.id).order_by(col(Rider.name))
    ).all()
    drivers = session.exec(
        select(Driver).where(Driver.organisation_id == org.id).order_by(col(Driver.name))
    ).all()
    names = {r.phone: r.name for r in riders} | {d.phone: d.name for d in drivers}
    bubbles: list[Bubble] = []
    if phone is not None:
        for inbound in session.exec(
            select(InboundMessage).where(
                InboundMessage.from_number == phone, InboundMessage.to_number == org.sms_number
            )
        ):
            at = inbound.received_at
            stamp = format_time(at, language, tz=org.time_zone)
            bubbles.append(Bubble(at, stamp, inbound.body, True, ""))
            if inbound.reply_body:
                bubbles.append(Bubble(at, stamp, inbound.reply_body, False, "reply"))
        for message in session.exec(
            select(Message).where(Message.organisation_id == org.id, Message.to_number == phone)
        ):
            at = message.sent_at or message.created_at
            stamp = format_time(at, language, tz=org.time_zone)
            status = "queued" if message.status == MessageStatus.PENDING else message.status.value
            bubbles.append(Bubble(at, stamp, message.body, False, status))
        bubbles.sort(key=lambda b: (b.at, not b.mine))
    return PhoneView(
        organisation=org.name,
        org_number=org.sms_number or "",
        phone=phone,
        who=names.get(phone or "", None),
        riders=[Contact(r.phone, r.name, "rider") for r in riders],
        drivers=[Contact(d.phone, d.name, "driver") for d in drivers],
        bubbles=bubbles,
    )


class Simulator:
    """The simulator's endpoints over one database."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or get_engine()

    def _view(self, request: Request) -> PhoneView:
        phone = request.session.get(SESSION_KEY)
        language = request_language(request).value
        with Session(self.engine) as session:
            return phone_view(session, phone if isinstance(phone, str) else None, language)

    async def page(self, request: Request) -> Response:
        _require_demo()
        view = await anyio.to_thread.run_sync(self._view, request)
        return render(request, "simulator.html", {"view": view})

    async def thread(self, request: Request) -> Response:
        _require_demo()
        view = await anyio.to_thread.run_sync(self._view, request)
        return render(request, "_simulator_thread.html", {"view": view})

    async def choose(self, request: Request) -> Response:
        _require_demo()
        form = await request.form()
        raw = str(form.get("new_number") or "").strip() or str(form.get("contact") or "").strip()
        try:
            phone = to_e164(raw)
        except InvalidPhoneNumber:
            view = await anyio.to_thread.run_sync(self._view, request)
            return render(
                request,
                "simulator.html",
                {"view": view, "bad_number": True},
                status_code=400,
            )
        request.session[SESSION_KEY] = phone
        return RedirectResponse(PATH, status_code=303)

    async def send(self, request: Request) -> Response:
        _require_demo()
        form = await request.form()
        body = str(form.get("body") or "").strip()
        phone = request.session.get(SESSION_KEY)
        if not isinstance(phone, str) or not body or len(body) > BODY_LIMIT:
            view = await anyio.to_thread.run_sync(self._view, request)
            return render(
                request, "simulator.html", {"view": view, "bad_text": True}, status_code=400
            )
        with Session(self.engine) as session:
            org_number = _organisation(session).sms_number or ""
        await post_signed(request, phone, org_number, body)
        if request.headers.get("HX-Request"):
            return await self.thread(request)
        return RedirectResponse(PATH, status_code=303)

    def routes(self) -> list[BaseRoute]:
        """The simulator's routes (each answers 404 unless ``DEMO_MODE`` is on)."""
        return [
            Route(PATH, self.page, methods=["GET"]),
            Route(PATH + "/thread", self.thread, methods=["GET"]),
            Route(PATH + "/phone", self.choose, methods=["POST"]),
            Route(PATH + "/send", self.send, methods=["POST"]),
        ]


async def post_signed(request: Request, from_number: str, to_number: str, body: str) -> None:
    """POST a text to this app's own webhook, signed as Twilio signs it."""
    settings = get_settings()
    form = inbound_form(from_number, to_number, body)
    url = settings.app.public_base_url.rstrip("/") + INBOUND_PATH
    headers = {}
    token = settings.sms.twilio_auth_token
    if token is not None:
        headers["X-Twilio-Signature"] = signature(token.get_secret_value(), url, form)
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.app.public_base_url) as c:
        response = await c.post(INBOUND_PATH, data=form, headers=headers)
    if response.status_code != 200:
        raise HTTPException(502, f"the webhook answered {response.status_code}")


def simulator_routes(engine: Engine | None = None) -> list[BaseRoute]:
    """The simulator's routes for the web app."""
    return Simulator(engine).routes()
