# ruff: noqa: RUF001  # Chinese texts use full-width punctuation on purpose.
"""Scripted driver conversations over the signed SMS webhook, on SQLite and PostgreSQL.

Each case stores the test day (``tests/driver_day.py``: Chris's published route carries Mei,
Ahmad and Sam; Wing's carries Lan), texts from Chris's phone at the step's time, and checks the
TwiML replies and then the rows: the route's response, days off, re-plan tickets, rider texts in
the outbox (in each rider's language), planned times, request statuses, alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shared.driver_responses import AlertKind, driver_alerts
from shared.i18n import Language
from shared.models import (
    ConsentEvent,
    ConsentState,
    DriverException,
    Message,
    ReplanTicket,
    RequestStatus,
    RideRequest,
    Route,
    Stop,
)
from shared.request_status import change_status
from shared.segments import segment_count
from tests.booking.sms.conftest import Clock, Phone, World, client_for, new_world
from tests.driver_day import CHRIS_PHONE, DAY, RIDER_PHONES, DriverDay, at, seed_driver_day

EVENING_BEFORE = at(1)  # 8 pm on Monday in Toronto


@dataclass(frozen=True)
class Step:
    """One text from Chris at ``when``; the reply must contain every fragment."""

    when: datetime
    text: str
    reply: tuple[str, ...]


Check = Callable[[Engine, DriverDay], None]


@dataclass(frozen=True)
class Case:
    """A scripted conversation and what the database must hold after it."""

    name: str
    steps: tuple[Step, ...]
    check: Check
    chris_language: Language = Language.EN
    chris_is_rider: bool = False
    before: Check | None = None
    repeat_last: bool = field(default=False)


# --- what the rows say ---------------------------------------------------------------------


def response(engine: Engine, route_id: int) -> str:
    """The route's driver response."""
    with Session(engine) as session:
        route = session.get(Route, route_id)
        assert route is not None
        return route.driver_response


def texts(engine: Engine, day: DriverDay, template: str) -> list[Message]:
    """The organisation's outbox texts of one template, oldest first."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.organisation_id == day.organisation_id, Message.template == template)
                .order_by(col(Message.id))
            ).all()
        )


def all_texts(engine: Engine, day: DriverDay) -> int:
    """How many outbox texts the organisation has."""
    with Session(engine) as session:
        return len(
            session.exec(
                select(Message).where(Message.organisation_id == day.organisation_id)
            ).all()
        )


def days_off(engine: Engine, driver_id: int) -> list[DriverException]:
    """The driver's dated exceptions."""
    with Session(engine) as session:
        return list(
            session.exec(select(DriverException).where(DriverException.driver_id == driver_id))
        )


def replan_tickets(engine: Engine, day: DriverDay) -> list[ReplanTicket]:
    """The organisation's pending re-plans."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(ReplanTicket).where(ReplanTicket.organisation_id == day.organisation_id)
            )
        )


def status(engine: Engine, request_id: int) -> RequestStatus:
    """A request's status."""
    with Session(engine) as session:
        request = session.get(RideRequest, request_id)
        assert request is not None
        return request.status


def planned(engine: Engine, route_id: int) -> list[datetime]:
    """The route's planned stop times in order."""
    with Session(engine) as session:
        stops = session.exec(select(Stop).where(Stop.route_id == route_id).order_by(col(Stop.seq)))
        return [stop.planned_at for stop in stops]


def set_status(engine: Engine, request_id: int, to: RequestStatus) -> None:
    """Change a request's status as a dispatcher would."""
    with Session(engine) as session:
        request = session.get(RideRequest, request_id)
        assert request is not None
        session.add(change_status(request, to, "test", "dispatcher"))
        session.add(request)
        session.commit()


# --- checks --------------------------------------------------------------------------------


def accepted(engine: Engine, day: DriverDay) -> None:
    """Chris's route is accepted, Wing's untouched; no texts, no re-plan."""
    assert response(engine, day.chris_route) == "accepted"
    assert response(engine, day.wing_route) == "pending"
    assert replan_tickets(engine, day) == []
    assert all_texts(engine, day) == 0


def declined(reason: str) -> Check:
    """Chris declined: route declined, a day off, a draft re-plan queued, an alert with reason."""

    def check(engine: Engine, day: DriverDay) -> None:
        assert response(engine, day.chris_route) == "declined"
        off = days_off(engine, day.chris)
        assert [(row.day, row.available) for row in off] == [(DAY, False)]
        assert [ticket.service_date for ticket in replan_tickets(engine, day)] == [DAY]
        with Session(engine) as session:
            alerts = driver_alerts(session, day.organisation_id, DAY, EVENING_BEFORE)
        mine = [a for a in alerts if a.driver_id == day.chris]
        assert [a.kind for a in mine] == [AlertKind.DECLINED]
        assert mine[0].reason == reason

    return check


def late_told(riders: tuple[str, ...], minutes: int, reports: int = 1) -> Check:
    """Exactly ``riders`` were told (once per report), each in their language; times shifted."""

    def check(engine: Engine, day: DriverDay) -> None:
        sent = texts(engine, day, "driver_late")
        expected = sorted(RIDER_PHONES[key] for key in riders for _ in range(reports))
        assert sorted(message.to_number for message in sent) == expected
        for message in sent:
            chinese = message.to_number == RIDER_PHONES["mei"]
            assert message.language == (Language.ZH_HANT if chinese else Language.EN)
            assert (
                f"遲約{minutes}分鐘" if chinese else f"about {minutes} min late"
            ) in message.body
            assert message.urgent
            assert segment_count(message.body) <= 2
        with Session(engine) as session:
            alerts = driver_alerts(session, day.organisation_id, DAY, EVENING_BEFORE)
        assert [a.minutes for a in alerts if a.kind == AlertKind.LATE] == [minutes] * reports

    return check


def nothing_changed(engine: Engine, day: DriverDay) -> None:
    """No response, no day off, no re-plan, no text."""
    assert response(engine, day.chris_route) == "pending"
    assert days_off(engine, day.chris) == []
    assert replan_tickets(engine, day) == []
    assert all_texts(engine, day) == 0


def on_the_way(*riders: str) -> Check:
    """Each rider named got one "on the way" text, in order, in their language."""

    def check(engine: Engine, day: DriverDay) -> None:
        sent = texts(engine, day, "driver_on_the_way")
        assert [message.to_number for message in sent] == [RIDER_PHONES[key] for key in riders]
        for message in sent:
            if message.to_number == RIDER_PHONES["mei"]:
                assert "司機Chris正前來接你" in message.body
            else:
                assert message.body.startswith("Your driver Chris is on the way")

    return check


def statuses(**expected: RequestStatus) -> Check:
    """Requests' statuses after the conversation."""

    def check(engine: Engine, day: DriverDay) -> None:
        for key, wanted in expected.items():
            assert status(engine, day.requests[key]) == wanted, key

    return check


def day_off_only(engine: Engine, day: DriverDay) -> None:
    """A day off on Friday 27 November; the published route of the 24th is untouched."""
    assert [(row.day.isoformat(), row.available) for row in days_off(engine, day.chris)] == [
        ("2026-11-27", False)
    ]
    assert response(engine, day.chris_route) == "pending"
    assert replan_tickets(engine, day) == []


def opted_out(engine: Engine, day: DriverDay) -> None:
    """STOP from a driver lands in the consent ledger, as for riders."""
    with Session(engine) as session:
        events = session.exec(
            select(ConsentEvent).where(ConsentEvent.organisation_id == day.organisation_id)
        ).all()
    assert [(e.phone, e.state) for e in events] == [(CHRIS_PHONE, ConsentState.OPTED_OUT)]
    assert response(engine, day.chris_route) == "pending"


def booked_as_rider(engine: Engine, day: DriverDay) -> None:
    """The driver's route is accepted, and the rest went to the booking conversation."""
    assert response(engine, day.chris_route) == "accepted"


def both(*checks: Check) -> Check:
    """All of ``checks``."""

    def check(engine: Engine, day: DriverDay) -> None:
        for one in checks:
            one(engine, day)

    return check


def shifted(minutes: int, from_seq: int) -> Check:
    """Chris's stops from ``from_seq`` on moved by ``minutes``; earlier ones did not."""

    def check(engine: Engine, day: DriverDay) -> None:
        times = planned(engine, day.chris_route)
        originals = [at(14, 30), at(15), at(15, 15), at(15, 40), at(16), at(16, 30)]
        moved = timedelta(minutes=minutes)
        assert times == [t + moved if i >= from_seq else t for i, t in enumerate(originals)]

    return check


MORNING = at(14)  # 9 am in Toronto, before the first pick-up
S = Step
CASES = [
    Case(
        "accept-yes-en",
        (S(EVENING_BEFORE, "YES", ("Thank you", "Tue Nov 24", "accepted")),),
        accepted,
    ),
    Case("accept-ok-punctuated", (S(EVENING_BEFORE, "  ok!! ", ("accepted",)),), accepted),
    Case(
        "accept-hou-zh",
        (S(EVENING_BEFORE, "好", ("多謝", "11月24日（二）", "確認")),),
        accepted,
        Language.ZH_HANT,
    ),
    Case(
        "accept-dak-emoji-cantonese",
        (S(EVENING_BEFORE, "得 👍", ("確認",)),),
        accepted,
        Language.ZH_HANT,
    ),
    Case("accept-hoyi-zh", (S(EVENING_BEFORE, "可以。", ("確認",)),), accepted, Language.ZH_HANT),
    Case("accept-named-date-en", (S(EVENING_BEFORE, "Yes Nov 24", ("accepted",)),), accepted),
    Case(
        "decline-with-reason-en",
        (
            S(
                EVENING_BEFORE,
                "No, my car broke down",
                ("Thank you", "another driver", "Tue Nov 24"),
            ),
        ),
        declined("my car broke down"),
    ),
    Case(
        "decline-m4-dak-cantonese",
        (S(EVENING_BEFORE, "唔得", ("多謝通知", "另找司機")),),
        declined(""),
        Language.ZH_HANT,
    ),
    Case(
        "decline-m4-heoi-dak-reason",
        (S(EVENING_BEFORE, "唔去得，屋企有事", ("另找司機",)),),
        declined("屋企有事"),
        Language.ZH_HANT,
    ),
    Case(
        "decline-bat-hang",
        (S(EVENING_BEFORE, "不行", ("另找司機",)),),
        declined(""),
        Language.ZH_HANT,
    ),
    Case(
        "late-en-tells-riders-ahead-only",
        # 9:50 am: Mei was picked up at 9:30; Ahmad and Sam are still waiting.
        (S(at(14, 50), "LATE 15", ("told 2 rider(s)",)),),
        both(late_told(("ahmad", "sam"), 15), shifted(15, 1)),
    ),
    Case(
        "late-zh-before-first-pickup",
        (S(MORNING, "遲15分鐘", ("已通知3位乘客",)),),
        both(late_told(("mei", "ahmad", "sam"), 15), shifted(15, 0)),
        Language.ZH_HANT,
    ),
    Case(
        "late-after-done-skips-dropped-off-riders",
        (
            S(at(15, 5), "DONE", ("1 ride(s) marked completed",)),
            S(at(15, 5), "running late 10 minutes", ("told 2 rider(s)",)),
        ),
        both(late_told(("ahmad", "sam"), 10), statuses(mei=RequestStatus.COMPLETED)),
    ),
    Case(
        "late-skips-cancelled-rider",
        (S(MORNING, "late 20", ("told 2 rider(s)",)),),
        late_told(("mei", "sam"), 20),
        before=lambda engine, day: set_status(
            engine, day.requests["ahmad"], RequestStatus.CANCELLED
        ),
    ),
    Case(
        "late-twice-is-two-reports-a-retry-is-not",
        (S(MORNING, "late 5", ("told 3",)), S(MORNING, "LATE 5", ("told 3",))),
        late_told(("mei", "ahmad", "sam"), 5, reports=2),
        repeat_last=True,
    ),
    Case(
        "on-my-way-en-tells-next-rider-then-the-one-after",
        (
            S(MORNING, "On my way!", ("We told Mei you are on the way",)),
            S(at(15, 2), "left", ("We told Ahmad",)),
        ),
        on_the_way("mei", "ahmad"),
    ),
    Case(
        "on-my-way-zh-chut-faat",
        (S(MORNING, "出發", ("已通知Mei你正在路上",)),),
        on_the_way("mei"),
        Language.ZH_HANT,
    ),
    Case(
        "done-en-completes-legs-so-far-not-cancelled",
        (S(at(15, 20), "Done.", ("1 ride(s) marked completed",)),),
        statuses(
            mei=RequestStatus.COMPLETED,
            ahmad=RequestStatus.CANCELLED,
            sam=RequestStatus.SCHEDULED,
        ),
        before=lambda engine, day: set_status(
            engine, day.requests["ahmad"], RequestStatus.CANCELLED
        ),
    ),
    Case(
        "done-zh-at-end-of-day",
        (S(at(16, 40), "完成", ("已把3程標示為完成",)),),
        statuses(
            mei=RequestStatus.COMPLETED, ahmad=RequestStatus.COMPLETED, sam=RequestStatus.COMPLETED
        ),
        Language.ZH_HANT,
    ),
    Case("day-off-en", (S(EVENING_BEFORE, "OFF Nov 27", ("Noted", "Fri Nov 27")),), day_off_only),
    Case(
        "day-off-zh",
        (S(EVENING_BEFORE, "休息 11月27日", ("已記錄", "11月27日")),),
        day_off_only,
        Language.ZH_HANT,
    ),
    Case(
        "day-off-on-route-day-declines",
        (S(EVENING_BEFORE, "休息 11月24日", ("另找司機",)),),
        declined("day off"),
        Language.ZH_HANT,
    ),
    Case("day-off-without-date-asks", (S(EVENING_BEFORE, "off", ("Which day",)),), nothing_changed),
    Case(
        "unknown-en",
        (S(EVENING_BEFORE, "hello? who is this", ("did not understand", "HELP")),),
        nothing_changed,
    ),
    Case(
        "unknown-zh",
        (S(EVENING_BEFORE, "你好呀", ("看不明白", "幫助")),),
        nothing_changed,
        Language.ZH_HANT,
    ),
    Case(
        "help-zh",
        (S(EVENING_BEFORE, "幫助", ("司機指令", "遲15分鐘")),),
        nothing_changed,
        Language.ZH_HANT,
    ),
    Case(
        "late-without-route-today",
        (S(EVENING_BEFORE, "LATE 10", ("no route today",)),),
        nothing_changed,
    ),
    Case("stop-opts-out-like-a-rider", (S(EVENING_BEFORE, "STOP", ()),), opted_out),
    Case(
        "driver-and-rider-commands-win-rest-goes-to-booking",
        (
            S(EVENING_BEFORE, "yes", ("accepted",)),
            S(EVENING_BEFORE, "STATUS", ()),
        ),
        booked_as_rider,
        chris_is_rider=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_driver_conversation(shared_engine: Engine, case: Case) -> None:
    """The case's replies, then its rows."""
    world: World = new_world(shared_engine)
    day = seed_driver_day(
        shared_engine,
        world.organisation_id,
        next(iter(world.place_ids.values())),
        chris_language=case.chris_language,
        chris_is_rider=case.chris_is_rider,
    )
    if case.before is not None:
        case.before(shared_engine, day)
    clock = Clock(case.steps[0].when)
    with client_for(shared_engine, clock) as client:
        phone = Phone(client, CHRIS_PHONE, to=world.number)
        for step in case.steps:
            clock.now = step.when
            reply = phone.send(step.text)
            assert reply is not None, step.text
            for fragment in step.reply:
                assert fragment in reply, (step.text, reply)
            assert segment_count(reply) <= 2
        if case.repeat_last:
            # Twilio retrying the last webhook: same reply, no second report.
            again = phone.send(case.steps[-1].text, sid=phone.sent[-1])
            assert again is not None
    case.check(shared_engine, day)
