"""The texts a published plan sends, and the day-before reminders.

Each function writes Message rows in one transaction with the marker that says the texts were
written (``Plan.notified_at``, a ``ReminderRun`` row), so running a job twice writes them once.
Riders hear only about their own ride; drivers see riders' first names only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from notifier.quiet_hours import next_send_time
from notifier.templates import (
    BookingCancelled,
    BookingChanged,
    BookingConfirmed,
    Context,
    DriverDayRoute,
    DriverRouteChanged,
    RequestUnmet,
    RideReminder,
    StopLine,
    render,
)
from shared.consent import is_opted_out
from shared.i18n import time_zone
from shared.manifest_links import manifest_url
from shared.models import (
    Driver,
    Language,
    LegKind,
    Organisation,
    Place,
    Plan,
    PlanState,
    ReminderRun,
    RequestStatus,
    Rider,
    RideRequest,
    Route,
    Stop,
    StopKind,
    UnservedRequest,
    utcnow,
)
from shared.outbox import queue_text
from shared.publishing import published_plan
from shared.request_status import SMS_ACTOR
from shared.settings import get_settings

log = logging.getLogger(__name__)

PICKUP_WINDOW = timedelta(minutes=15)  # riders are told to be ready for this long
UNCHANGED = timedelta(minutes=5)  # a pick-up moved less than this is not worth a text


@dataclass(frozen=True)
class _Leg:
    request: RideRequest
    leg: LegKind
    driver: Driver
    pickup_at: datetime
    destination: str


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _legs(session: Session, plan_id: int | None) -> dict[tuple[int, LegKind], _Leg]:
    """Every served leg of a plan, keyed by request and leg."""
    if plan_id is None:
        return {}
    legs: dict[tuple[int, LegKind], _Leg] = {}
    for route in session.exec(select(Route).where(Route.plan_id == plan_id)).all():
        driver = session.get(Driver, route.driver_id)
        assert driver is not None
        stops = session.exec(
            select(Stop).where(Stop.route_id == route.id).order_by(col(Stop.seq))
        ).all()
        pickups = {(s.request_id, s.leg): s for s in stops if s.kind == StopKind.PICKUP}
        for s in stops:
            pickup = pickups.get((s.request_id, s.leg))
            request = session.get(RideRequest, s.request_id)
            if s.kind != StopKind.DROPOFF or pickup is None or request is None:
                continue
            name = s.address.split(",")[0] if s.address else "home"
            legs[(s.request_id, s.leg)] = _Leg(request, s.leg, driver, pickup.planned_at, name)
    return legs


def _route_texts(session: Session, route: Route) -> tuple[StopLine, ...]:
    stops = session.exec(select(Stop).where(Stop.route_id == route.id).order_by(col(Stop.seq)))
    texts = []
    for stop in stops:
        request = session.get(RideRequest, stop.request_id)
        rider = session.get(Rider, request.rider_id) if request else None
        needs = tuple(
            need
            for need, wanted in (
                ("wheelchair", request and request.wheelchair),
                ("walker", request and request.walker),
                ("service animal", request and request.service_animal),
            )
            if wanted
        )
        texts.append(
            StopLine(
                at=stop.planned_at,
                action="pickup" if stop.kind == StopKind.PICKUP else "dropoff",
                rider_first_name=_first_name(rider.name) if rider else "rider",
                address=stop.address or "see manifest",
                needs=needs,
            )
        )
    return tuple(texts)


class TextWriter:
    """Writes texts for one organisation, honouring opt-outs and quiet hours."""

    def __init__(self, session: Session, org: Organisation) -> None:
        self.session = session
        self.org = org
        self.tz = time_zone(org.time_zone)
        sms = get_settings().sms
        self.sender = org.sms_number or sms.twilio_from_number or "+10000000000"
        self.quiet_hours = sms.sms_quiet_hours
        self.count = 0

    def write(
        self,
        to: str,
        language: Language,
        context: Context,
        *,
        urgent: bool = False,
        request_id: int | None = None,
        route_id: int | None = None,
    ) -> None:
        assert self.org.id is not None
        if is_opted_out(self.session, self.org.id, to):
            return
        queue_text(
            self.session,
            organisation_id=self.org.id,
            to_number=to,
            from_number=self.sender,
            body=render(context, language, tz=self.tz),
            language=language,
            template=context.NAME.value,
            urgent=urgent,
            send_after=next_send_time(utcnow(), self.tz, urgent or not self.quiet_hours),
            request_id=request_id,
            route_id=route_id,
        )
        self.count += 1


def _write_ride(
    session: Session,
    writer: TextWriter,
    leg: _Leg,
    kind: type[BookingConfirmed | BookingChanged | RideReminder],
) -> None:
    """Text a rider about one leg: pick-up window, driver's first name and car."""
    rider = session.get(Rider, leg.request.rider_id)
    assert rider is not None
    context = kind(
        pickup_from=leg.pickup_at,
        pickup_to=leg.pickup_at + PICKUP_WINDOW,
        destination=leg.destination,
        driver_first_name=_first_name(leg.driver.name),
        car=leg.driver.vehicle_description or "car",
    )
    writer.write(rider.phone, rider.preferred_language, context, request_id=leg.request.id)


def _driver_language(driver: Driver) -> Language:
    return Language(driver.languages[0]) if driver.languages else Language.EN


def write_plan_texts(session: Session, plan_id: int, manifest_base: str) -> int:
    """Write the texts announcing a published plan; 0 when already written or not published."""
    # Locked and read afresh: two jobs for one plan (the one enqueued after publishing and the
    # relay's) may run at once in two workers; the second waits and finds the texts written.
    plan = session.get(Plan, plan_id, with_for_update=True, populate_existing=True)
    if plan is None or plan.state != PlanState.PUBLISHED or plan.notified_at is not None:
        return 0
    org = session.get(Organisation, plan.organisation_id)
    assert org is not None
    writer = TextWriter(session, org)
    before = _legs(session, plan.based_on_plan_id)
    after = _legs(session, plan.id)
    old_routes = {
        r.driver_id: r
        for r in session.exec(select(Route).where(Route.plan_id == plan.based_on_plan_id))
    }
    for route in session.exec(select(Route).where(Route.plan_id == plan.id)).all():
        driver = session.get(Driver, route.driver_id)
        assert driver is not None and driver.id is not None
        manifest = manifest_url(manifest_base, driver.id, plan.service_date)
        stops = _route_texts(session, route)
        old = old_routes.pop(route.driver_id, None)
        if old is None:
            context: Context = DriverDayRoute(plan.service_date, stops, manifest)
        elif _route_texts(session, old) != stops:
            context = DriverRouteChanged(plan.service_date, stops, manifest)
        else:
            continue
        writer.write(driver.phone, _driver_language(driver), context, route_id=route.id)
    for driver_id in old_routes:  # drivers with no route any more
        driver = session.get(Driver, driver_id)
        if driver is not None:
            manifest = manifest_url(manifest_base, driver_id, plan.service_date)
            writer.write(
                driver.phone,
                _driver_language(driver),
                DriverRouteChanged(plan.service_date, (), manifest),
            )
    for key, leg in after.items():
        previous = before.get(key)
        if (
            previous is not None
            and previous.driver.id == leg.driver.id
            and abs(previous.pickup_at - leg.pickup_at) < UNCHANGED
        ):
            continue
        kind = BookingConfirmed if previous is None else BookingChanged
        _write_ride(session, writer, leg, kind)
    _write_cancellations(session, writer, before, after)
    _write_apologies(session, plan, writer, after)
    plan.notified_at = utcnow()
    session.add(plan)
    session.flush()
    log.info("plan %d: %d texts written", plan_id, writer.count)
    return writer.count


def _write_cancellations(
    session: Session,
    writer: TextWriter,
    before: dict[tuple[int, LegKind], _Leg],
    after: dict[tuple[int, LegKind], _Leg],
) -> None:
    """Tell riders that a published ride was cancelled by a dispatcher or through the API.

    A rider who cancelled by text had the answer in the reply, so hears nothing more; a round
    trip gets one text, about its first leg.
    """
    gone = [
        leg
        for key, leg in before.items()
        if key not in after
        and leg.request.status == RequestStatus.CANCELLED
        and leg.request.status_changed_by != SMS_ACTOR
    ]
    outbound = {leg.request.id for leg in gone if leg.leg == LegKind.OUTBOUND}
    for leg in gone:
        if leg.leg == LegKind.RETURN or leg.request.outbound_request_id in outbound:
            continue
        rider = session.get(Rider, leg.request.rider_id)
        assert rider is not None
        context = BookingCancelled(pickup_at=leg.pickup_at, destination=leg.destination)
        writer.write(rider.phone, rider.preferred_language, context, request_id=leg.request.id)


def _write_apologies(
    session: Session,
    plan: Plan,
    writer: TextWriter,
    after: dict[tuple[int, LegKind], _Leg],
) -> None:
    """Apologise to riders newly left unserved (not those already told, nor served ones)."""
    unserved = session.exec(
        select(UnservedRequest).where(
            UnservedRequest.plan_id == plan.id, UnservedRequest.leg == LegKind.OUTBOUND
        )
    ).all()
    told = set()
    if plan.based_on_plan_id is not None:
        told = set(
            session.exec(
                select(UnservedRequest.request_id).where(
                    UnservedRequest.plan_id == plan.based_on_plan_id
                )
            ).all()
        )
    for row in unserved:
        if row.request_id in told or (row.request_id, LegKind.OUTBOUND) in after:
            continue
        request = session.get(RideRequest, row.request_id)
        if request is None:
            continue
        rider = session.get(Rider, request.rider_id)
        place = session.get(Place, request.to_place_id) if request.to_place_id else None
        when = request.arrive_by or request.earliest_departure
        if rider is None or when is None:
            continue
        context = RequestUnmet(pickup_at=when, destination=place.name if place else "home")
        writer.write(rider.phone, rider.preferred_language, context, request_id=request.id)


def write_reminders(session: Session, organisation_id: int, day: date) -> int:
    """Write the day-before reminders for a day's published plan, once per day."""
    plan = published_plan(session, organisation_id, day)
    if plan is None:
        return 0
    run = ReminderRun(organisation_id=organisation_id, service_date=day)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return 0  # another job got there first: reminders are written once
    org = session.get(Organisation, organisation_id)
    assert org is not None
    writer = TextWriter(session, org)
    for leg in _legs(session, plan.id).values():
        if leg.leg == LegKind.RETURN and leg.request.outbound_request_id is None:
            continue  # the outbound leg's reminder covers the round trip
        _write_ride(session, writer, leg, RideReminder)
    run.done_at = utcnow()
    session.add(run)
    session.flush()
    return writer.count
