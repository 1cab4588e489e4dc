"""A driver's answer carried out: the change it makes and the texts riders get because of it.

One entry point, ``respond``, serves the SMS commands and the manifest page's buttons alike, so
both have the same effects. The changes themselves are in ``shared.driver_responses``; this
module adds the rider texts (each in the rider's language, through the outbox, never to a
number that opted out) and says what happened in a ``Report`` the caller turns into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from notifier.plan_texts import TextWriter
from notifier.templates import DriverLate, DriverOnTheWay
from shared.driver_responses import (
    RouteResponse,
    accept_route,
    complete_legs,
    decline_route,
    next_pickup,
    next_published_route,
    published_route,
    report_late,
    take_day_off,
)
from shared.i18n import time_zone
from shared.models import Driver, Organisation, Rider, RideRequest, Route, Stop


class DriverAction(StrEnum):
    """What a driver can do by text or on the manifest page."""

    ACCEPT = "accept"
    DECLINE = "decline"
    LATE = "late"
    LEFT = "left"
    DONE = "done"
    OFF = "off"


class Outcome(StrEnum):
    """What came of a driver's answer."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    ALREADY_DECLINED = "already_declined"
    LATE_TOLD = "late_told"
    ON_THE_WAY_TOLD = "on_the_way_told"
    NO_PICKUP_LEFT = "no_pickup_left"
    DONE = "done"
    DAY_OFF = "day_off"
    DAY_OFF_DECLINED = "day_off_declined"
    NO_ROUTE = "no_route"
    NO_ROUTE_TODAY = "no_route_today"


@dataclass(frozen=True)
class Report:
    """The outcome, the day it concerns, how many riders or legs, and a rider's first name."""

    outcome: Outcome
    day: date | None = None
    count: int = 0
    rider_first_name: str = ""


def _first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


def _rider(session: Session, stop: Stop) -> Rider | None:
    request = session.get(RideRequest, stop.request_id)
    return None if request is None else session.get(Rider, request.rider_id)


def _tell_late(
    session: Session, writer: TextWriter, driver: Driver, stop: Stop, minutes: int
) -> None:
    rider = _rider(session, stop)
    if rider is None:
        return
    planned = stop.planned_at - timedelta(minutes=minutes)
    context = DriverLate(_first_name(driver.name), planned, stop.planned_at)
    writer.write(
        rider.phone,
        rider.preferred_language,
        context,
        urgent=True,
        request_id=stop.request_id,
        route_id=stop.route_id,
    )


def respond(
    session: Session,
    driver: Driver,
    action: DriverAction,
    *,
    now: datetime,
    day: date | None = None,
    minutes: int | None = None,
    reason: str = "",
) -> Report:
    """Carry out a driver's answer in ``session`` (the caller commits) and report on it.

    ``day``: the route's date for ACCEPT and DECLINE (default: the driver's next published
    route), the day off for OFF (required), and the route's date for LATE, LEFT and DONE
    (default: today in the organisation's time zone). ``minutes`` is required for LATE.
    """
    org = session.get(Organisation, driver.organisation_id)
    assert org is not None and driver.id is not None
    today = now.astimezone(time_zone(org.time_zone)).date()
    writer = TextWriter(session, org)
    if action == DriverAction.OFF:
        if day is None:
            raise ValueError("a day off needs its date")
        route = take_day_off(session, driver, day, now, reason)
        return Report(Outcome.DAY_OFF if route is None else Outcome.DAY_OFF_DECLINED, day)
    if action in (DriverAction.ACCEPT, DriverAction.DECLINE):
        found: tuple[Route, date] | None
        if day is not None:
            route_on_day = published_route(session, driver.id, day)
            found = None if route_on_day is None else (route_on_day, day)
        else:
            found = next_published_route(session, driver.id, today)
        if found is None:
            return Report(Outcome.NO_ROUTE, day)
        route, route_date = found
        if route.driver_response == RouteResponse.DECLINED:
            return Report(Outcome.ALREADY_DECLINED, route_date)
        if action == DriverAction.ACCEPT:
            accept_route(session, driver, route, now)
            return Report(Outcome.ACCEPTED, route_date)
        decline_route(session, driver, route, now, reason)
        return Report(Outcome.DECLINED, route_date)
    route_date = day or today
    today_route = published_route(session, driver.id, route_date)
    if today_route is None or today_route.driver_response == RouteResponse.DECLINED:
        return Report(Outcome.NO_ROUTE_TODAY, route_date)
    if action == DriverAction.LATE:
        if minutes is None or minutes < 1:
            raise ValueError("a late report needs its minutes")
        waiting = report_late(session, driver, today_route, minutes, now)
        for waiting_stop in waiting:
            _tell_late(session, writer, driver, waiting_stop, minutes)
        return Report(Outcome.LATE_TOLD, route_date, count=len(waiting))
    if action == DriverAction.LEFT:
        stop = next_pickup(session, driver, today_route, now)
        rider = None if stop is None else _rider(session, stop)
        if stop is None or rider is None:
            return Report(Outcome.NO_PICKUP_LEFT, route_date)
        context = DriverOnTheWay(
            _first_name(driver.name), driver.vehicle_description or "car", max(stop.planned_at, now)
        )
        writer.write(
            rider.phone,
            rider.preferred_language,
            context,
            urgent=True,
            request_id=stop.request_id,
            route_id=stop.route_id,
        )
        return Report(Outcome.ON_THE_WAY_TOLD, route_date, rider_first_name=_first_name(rider.name))
    count = complete_legs(session, driver, today_route, now)
    return Report(Outcome.DONE, route_date, count=count)
