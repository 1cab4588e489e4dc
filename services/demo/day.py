# ruff: noqa: RUF001  # Cantonese texts use full-width punctuation on purpose.
"""The demo's scripted day, run against a live web app: book by SMS, plan, publish, decline,
re-plan, publish again.

Every text goes to the app over HTTP as Twilio would send it, signed with the app's auth
token. Planning and publishing call the same functions as ``rides plan`` and ``rides publish``;
the texts they cause are sent by the app's own in-process worker and read back from the outbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.planning import plan_and_store
from services.demo.phone import INBOUND_PATH, inbound_form, signature, twiml_reply
from services.demo.script import CODE, Conversation, morning
from shared.db import get_engine, session_scope
from shared.models import (
    Driver,
    Language,
    Message,
    MessageStatus,
    Organisation,
    Place,
    Plan,
    ReplanTicket,
    RequestSource,
    RequestStatus,
    Rider,
    RideRequest,
    Route,
    Stop,
    StopKind,
    UnservedRequest,
)
from shared.outbox import finish_replan
from shared.plan_days import publish_latest_draft

DEMO_ACTOR = "rides demo"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    """What the scripted day did, for the last line of ``rides demo``."""

    booked: int
    legs_planned: int
    legs_total: int
    drivers: int
    texts_sent: int
    texts_failed: int

    @property
    def unserved(self) -> int:
        """Legs of the day left out of the plan."""
        return self.legs_total - self.legs_planned

    def line(self) -> str:
        """The summary line, exactly as documented."""
        return (
            f"demo: {self.booked} requests booked by SMS, {self.legs_planned} of "
            f"{self.legs_total} legs planned, {self.unserved} unserved, {self.drivers} drivers, "
            f"{self.texts_sent} texts sent, {self.texts_failed} failed"
        )


class Texter:
    """Sends signed texts to the app's webhook and returns its replies."""

    def __init__(self, base_url: str, auth_token: str, to_number: str) -> None:
        self.url = base_url.rstrip("/") + INBOUND_PATH
        self.auth_token = auth_token
        self.to_number = to_number
        self.client = httpx.Client(timeout=30.0)

    def send(self, from_number: str, body: str) -> str | None:
        """Text ``body`` from ``from_number``; the reply, or None when the app stays silent."""
        form = inbound_form(from_number, self.to_number, body)
        headers = {"X-Twilio-Signature": signature(self.auth_token, self.url, form)}
        response = self.client.post(self.url, data=form, headers=headers)
        response.raise_for_status()
        return twiml_reply(response.text)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def _one_line(text: str | None, limit: int = 0) -> str:
    line = " ".join((text or "(no reply)").split())
    if limit and len(line) > limit:
        return f"{line[:limit]}... ({len(line) - limit} more characters)"
    return line


def _latest_code(session: Session, rider_phone: str, org_id: int) -> str:
    rider = session.exec(
        select(Rider).where(Rider.organisation_id == org_id, Rider.phone == rider_phone)
    ).one()
    request = session.exec(
        select(RideRequest)
        .where(RideRequest.rider_id == rider.id)
        .order_by(col(RideRequest.id).desc())
    ).first()
    return request.reference_code if request is not None else "------"


class DemoDay:
    """The scripted day of one organisation, against the app at ``base_url``."""

    def __init__(
        self, org_id: int, day: date, base_url: str, auth_token: str, say: Progress
    ) -> None:
        self.org_id = org_id
        self.day = day
        self.say = say
        self.engine = get_engine()
        with Session(self.engine) as session:
            org = session.get(Organisation, org_id)
            assert org is not None and org.sms_number is not None
            self.org_number = org.sms_number
        self.texter = Texter(base_url, auth_token, self.org_number)
        self.shown: set[int] = set()

    # --- the morning's texts ---------------------------------------------------------------

    def book_by_sms(self) -> None:
        """Every scripted conversation, turn by turn, with the app's replies."""
        with Session(self.engine) as session:
            riders = session.exec(select(Rider).where(Rider.organisation_id == self.org_id)).all()
            places = session.exec(select(Place).where(Place.organisation_id == self.org_id)).all()
            script = morning(list(riders), list(places))
        self.say(f"texting the organisation's number from {len(script)} phones")
        for conversation in script:
            self._converse(conversation)

    def _converse(self, conversation: Conversation) -> None:
        for turn in conversation.turns:
            body = turn
            if CODE in body:
                with Session(self.engine) as session:
                    body = body.replace(
                        CODE, _latest_code(session, conversation.phone, self.org_id)
                    )
            reply = self.texter.send(conversation.phone, body)
            self.say(f"  {conversation.who} > {body}")
            self.say(f"  {'':{len(conversation.who)}} < {_one_line(reply)}")

    def booked(self) -> int:
        """Requests of the day that riders booked by SMS and still stand."""
        with Session(self.engine) as session:
            return int(
                session.exec(
                    select(func.count())
                    .select_from(RideRequest)
                    .where(
                        RideRequest.organisation_id == self.org_id,
                        RideRequest.service_date == self.day,
                        RideRequest.source == RequestSource.SMS,
                        col(RideRequest.outbound_request_id).is_(None),  # not the ride home
                        RideRequest.status != RequestStatus.CANCELLED,
                    )
                ).one()
            )

    # --- planning and publishing -----------------------------------------------------------

    def plan(self, time_limit: float) -> int:
        """Plan the day as ``rides plan`` does; the re-plan the day's changes queued is done."""
        with Session(self.engine) as session:
            ticket = session.exec(
                select(ReplanTicket).where(
                    ReplanTicket.organisation_id == self.org_id,
                    ReplanTicket.service_date == self.day,
                )
            ).first()
            token = ticket.token if ticket is not None else None
        result = plan_and_store(
            self.org_id,
            self.day,
            time_limit=time_limit,
            created_by=DEMO_ACTOR,
            engine=self.engine,
            progress=lambda line: self.say(f"  {line}"),
        )
        if token is not None:
            # This run is the re-plan the day's changes asked for; the queued one may skip.
            with session_scope(self.engine) as session:
                finish_replan(session, self.org_id, self.day, token)
        return result.plan_id

    def publish(self) -> int:
        """Publish the newest draft as ``rides publish`` does; its texts are queued."""
        with session_scope(self.engine) as session:
            plan = publish_latest_draft(session, self.org_id, self.day, DEMO_ACTOR)
            assert plan.id is not None
            self.say(f"published plan version {plan.version}")
            return plan.id

    def show_texts(self, plan_id: int | None = None, timeout: float = 30.0) -> None:
        """Print texts as the worker sends them, until none is waiting (or ``timeout``); with a
        ``plan_id``, first wait for the worker to write that plan's texts."""
        deadline = time.monotonic() + timeout
        while plan_id is not None and time.monotonic() < deadline:
            with Session(self.engine) as session:
                plan = session.get(Plan, plan_id)
                if plan is not None and plan.notified_at is not None:
                    break
            time.sleep(0.1)
        while True:
            waiting = self._print_sent()
            if waiting == 0 or time.monotonic() > deadline:
                if waiting:
                    self.say(f"  {waiting} texts still waiting")
                return
            time.sleep(0.2)

    def _print_sent(self) -> int:
        with Session(self.engine) as session:
            messages = session.exec(
                select(Message)
                .where(Message.organisation_id == self.org_id)
                .order_by(col(Message.id))
            ).all()
            names = self._names(session)
            waiting = 0
            for m in messages:
                if m.status in (MessageStatus.PENDING, MessageStatus.SENDING):
                    waiting += 1
                    continue
                if m.id in self.shown:
                    continue
                self.shown.add(m.id or 0)
                who = names.get(m.to_number, m.to_number)
                state = "sent" if m.status != MessageStatus.FAILED else f"FAILED ({m.last_error})"
                self.say(f"  text to {who} [{m.template}, {state}]: {_one_line(m.body, 160)}")
            return waiting

    def _names(self, session: Session) -> dict[str, str]:
        names = {
            d.phone: f"driver {d.name}"
            for d in session.exec(select(Driver).where(Driver.organisation_id == self.org_id))
        }
        for r in session.exec(select(Rider).where(Rider.organisation_id == self.org_id)):
            names[r.phone] = f"rider {r.name}"
        return names

    # --- a driver declines -----------------------------------------------------------------

    def busiest_driver(self, plan_id: int) -> Driver:
        """The published plan's driver with the most pick-ups."""
        with Session(self.engine) as session:
            routes = session.exec(select(Route).where(Route.plan_id == plan_id)).all()

            def pickups(route: Route) -> int:
                return len(
                    session.exec(
                        select(Stop).where(Stop.route_id == route.id, Stop.kind == StopKind.PICKUP)
                    ).all()
                )

            route = max(routes, key=pickups)
            driver = session.get(Driver, route.driver_id)
            assert driver is not None
            return driver

    def decline(self, driver: Driver) -> None:
        """The driver answers the route text with a NO, in their language."""
        chinese = bool(driver.languages) and driver.languages[0] == Language.ZH_HANT
        body = "唔得，架車壞咗" if chinese else "NO, sorry, my car broke down"
        reply = self.texter.send(driver.phone, body)
        self.say(f"  driver {driver.name} > {body}")
        self.say(f"  {'':{len(driver.name) + 7}} < {_one_line(reply)}")

    # --- the summary -----------------------------------------------------------------------

    def summary(self, plan_id: int, booked: int) -> DemoSummary:
        """Counts of the final plan and of every text of the organisation."""
        with Session(self.engine) as session:
            plan = session.get(Plan, plan_id)
            assert plan is not None
            served = session.exec(
                select(Stop)
                .join(Route, col(Route.id) == Stop.route_id)
                .where(Route.plan_id == plan_id, Stop.kind == StopKind.PICKUP)
            ).all()
            unserved = session.exec(
                select(UnservedRequest).where(UnservedRequest.plan_id == plan_id)
            ).all()
            drivers = {
                r.driver_id
                for r in session.exec(select(Route).where(Route.plan_id == plan_id))
                if any(s for s in served if s.route_id == r.id)
            }
            statuses = session.exec(
                select(Message.status).where(Message.organisation_id == self.org_id)
            ).all()
        sent = sum(s in (MessageStatus.SENT, MessageStatus.DELIVERED) for s in statuses)
        failed = sum(s in (MessageStatus.FAILED, MessageStatus.UNDELIVERED) for s in statuses)
        return DemoSummary(
            booked=booked,
            legs_planned=len(served),
            legs_total=len(served) + len(unserved),
            drivers=len(drivers),
            texts_sent=sent,
            texts_failed=failed,
        )

    def run(self, time_limit: float) -> DemoSummary:
        """The whole scripted day."""
        self.say("1/5 riders book by SMS through the webhook")
        self.book_by_sms()
        booked = self.booked()
        self.say(f"{booked} requests booked by SMS for {self.day.isoformat()}")
        self.say("2/5 planning the day")
        self.plan(time_limit)
        self.say("3/5 publishing: drivers get their routes, riders their confirmations")
        first = self.publish()
        self.show_texts(first)
        driver = self.busiest_driver(first)
        self.say(f"4/5 driver {driver.name} declines by SMS")
        self.decline(driver)
        self.show_texts()
        self.say("5/5 re-planning without them and publishing the change")
        self.plan(time_limit)
        final = self.publish()
        self.show_texts(final)
        self.texter.close()
        return self.summary(final, booked)
