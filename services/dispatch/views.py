"""View models of the dispatcher pages: plain dataclasses built from rows, testable without HTTP.

Builders read the database and format every text in the current language (``i18n.using``) and
the organisation's time zone, so templates only lay them out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from services.dispatch.i18n import N_, current_language, gettext, show_date, show_time
from services.dispatch.plan_diff import (
    CompareRow,
    PlacedStop,
    Placement,
    StopKey,
    change_of,
    minute_of,
    placements_of,
    plan_stops,
    side_by_side,
    stop_key,
)
from shared.driver_responses import AlertKind, driver_alerts
from shared.i18n import time_zone as zone
from shared.models import (
    AssignmentLock,
    Driver,
    DriverAvailability,
    DriverException,
    Language,
    LegKind,
    LockKind,
    Message,
    MessageStatus,
    Place,
    Plan,
    PlanState,
    RequestStatus,
    Rider,
    RideRequest,
    Route,
    Stop,
    StopKind,
    UnservedRequest,
)
from shared.plan_days import latest_plan

STATUS_LABELS: dict[RequestStatus, str] = {
    RequestStatus.REQUESTED: N_("Requested"),
    RequestStatus.SCHEDULED: N_("Scheduled"),
    RequestStatus.CONFIRMED: N_("Confirmed"),
    RequestStatus.IN_PROGRESS: N_("In progress"),
    RequestStatus.COMPLETED: N_("Completed"),
    RequestStatus.CANCELLED: N_("Cancelled"),
    RequestStatus.NO_SHOW: N_("No-show"),
    RequestStatus.UNMET: N_("Not served"),
}
KIND_LABELS = {
    "grocery": N_("Groceries"),
    "appointment": N_("Appointment"),
    "errand": N_("Errand"),
}
# The solver's and the adapter's reasons, as a dispatcher would say them.
REASON_WORDS = {
    "locked unserved by a dispatcher": N_("A dispatcher held this ride out of the plan."),
    "no vehicle has the required skills": N_(
        "No available driver can take this rider (wheelchair space, walker, animal or language)."
    ),
    "load exceeds every vehicle's capacity": N_("Too many passengers for any available car."),
    "windows or ride time cannot be met even on a direct trip": N_(
        "The times cannot be met even by driving straight there."
    ),
    "the vehicle it is pinned to cannot serve it": N_(
        "It is locked to a driver who cannot take it."
    ),
    "its outbound leg is not served": N_("The trip there is not served, so the return is not."),
    "the outbound, the wait and this return do not fit in their windows": N_(
        "The trip there, the wait and the trip back do not fit in the times asked."
    ),
    "no room in any route within the time limit": N_(
        "No driver has room at that time; add a driver or move another ride."
    ),
    "the rider has no home location yet; add their address": N_(
        "The rider has no home address yet; add it."
    ),
    "a return leg needs a pick-up time": N_("The return trip needs a pick-up time."),
    "the request has neither an arrival time nor a departure time": N_(
        "The request has no time; add an arrival or departure time."
    ),
}
MESSAGE_LABELS = {
    MessageStatus.PENDING: N_("queued"),
    MessageStatus.SENDING: N_("sending"),
    MessageStatus.SENT: N_("sent"),
    MessageStatus.DELIVERED: N_("delivered"),
    MessageStatus.UNDELIVERED: N_("not delivered"),
    MessageStatus.FAILED: N_("failed"),
    MessageStatus.CANCELLED: N_("cancelled"),
}
ROLE_LABELS = (N_("admin"), N_("dispatcher"), N_("viewer"))  # shown by the page header
# The notifier's template names (stored with each text), as a dispatcher would say them.
TEXT_LABELS = {
    "booking_confirmed": N_("Ride confirmed (to rider)"),
    "ride_reminder": N_("Reminder (to rider)"),
    "driver_on_the_way": N_("Driver on the way (to rider)"),
    "booking_changed": N_("Ride changed (to rider)"),
    "booking_cancelled": N_("Ride cancelled (to rider)"),
    "request_unmet": N_("No driver found (to rider)"),
    "driver_day_route": N_("Day's route (to driver)"),
    "driver_route_changed": N_("Route changed (to driver)"),
}
# Carrier and Twilio error codes a dispatcher meets, in words; others show the stored message.
ERROR_WORDS = {
    21211: N_("not a valid phone number"),
    21610: N_("the person replied STOP; they get no texts until they send START"),
    21614: N_("not a mobile number"),
    30003: N_("the phone is off or out of reach"),
    30005: N_("the number does not exist"),
    30006: N_("a landline or a number that cannot get texts"),
    30007: N_("the carrier blocked the text as spam"),
    30008: N_("the carrier could not deliver it"),
}
RESPONSE_LABELS = {
    "pending": N_("no answer yet"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
}


def place_name(place: Place) -> str:
    """A place's name in the reader's language (its Chinese name when it has one)."""
    if current_language() == Language.ZH_HANT and place.name_zh:
        return place.name_zh
    return place.name


def reason_words(reason: str) -> str:
    """The solver's reason in plain words, in the current language."""
    words = REASON_WORDS.get(reason)
    return gettext(words) if words else reason


def local_midnight(day: date, time_zone: str) -> datetime:
    """The start of ``day`` in the organisation's time zone."""
    return datetime.combine(day, time(0), zone(time_zone))


def today(time_zone: str) -> date:
    """Today in the organisation's time zone."""
    return datetime.now(zone(time_zone)).date()


# --- the day board --------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    id: int
    code: str
    rider: str
    kind: str
    where: str
    when: str
    status: RequestStatus
    needs: str
    locked_to: str


@dataclass(frozen=True)
class StatusGroup:
    status: RequestStatus
    label: str
    rows: list[RequestRow]


@dataclass(frozen=True)
class UnservedRow:
    request_id: int
    code: str
    rider: str
    leg: str
    reason: str


@dataclass(frozen=True)
class DriverRow:
    id: int
    name: str
    hours: str
    available: bool
    response: str
    stops: int


@dataclass(frozen=True)
class TextRow:
    id: int
    to: str
    template: str
    status: MessageStatus
    status_label: str
    error: str
    at: str


@dataclass(frozen=True)
class PlanBadge:
    id: int
    version: int
    state: PlanState
    label: str


@dataclass(frozen=True)
class AlertRow:
    """A driver the dispatcher should act on: a decline, no answer yet, or a late report."""

    kind: AlertKind
    driver_id: int
    text: str


def _alert_rows(
    session: Session, organisation_id: int, day: date, time_zone: str
) -> list[AlertRow]:
    rows = []
    for alert in driver_alerts(session, organisation_id, day, datetime.now(UTC)):
        names = {"driver": alert.driver_name}
        if alert.kind is AlertKind.DECLINED and alert.reason:
            text = gettext(N_("%(driver)s declined the route: %(reason)s")) % {
                **names,
                "reason": alert.reason,
            }
        elif alert.kind is AlertKind.DECLINED:
            text = gettext(N_("%(driver)s declined the route")) % names
        elif alert.kind is AlertKind.NO_ANSWER:
            text = gettext(N_("%(driver)s has not answered the route yet")) % names
        else:
            text = gettext(N_("%(driver)s is running %(minutes)s minutes late (%(time)s)")) % {
                **names,
                "minutes": alert.minutes,
                "time": show_time(alert.at, time_zone),
            }
        rows.append(AlertRow(alert.kind, alert.driver_id, text))
    return rows


@dataclass
class DayBoard:
    day: date
    day_label: str
    previous_day: date
    next_day: date
    groups: list[StatusGroup]
    unserved: list[UnservedRow]
    drivers: list[DriverRow]
    texts: list[TextRow]
    published: PlanBadge | None
    draft: PlanBadge | None
    request_count: int
    alerts: list[AlertRow] = field(default_factory=list)
    # A published plan whose texts are not written yet: the board keeps looking for them.
    awaiting_texts: bool = False

    @property
    def texts_in_flight(self) -> bool:
        """True while a text of the day is still on its way (the board then refreshes them)."""
        waiting = (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.SENT)
        return self.awaiting_texts or any(t.status in waiting for t in self.texts)


def _badge(plan: Plan | None) -> PlanBadge | None:
    if plan is None or plan.id is None:
        return None
    label = (
        gettext("Published plan, version %(v)s")
        if plan.state == PlanState.PUBLISHED
        else (gettext("Draft plan, version %(v)s"))
    )
    return PlanBadge(plan.id, plan.version, plan.state, label % {"v": plan.version})


def shown_plan(session: Session, organisation_id: int, day: date) -> Plan | None:
    """The plan the board shows: a draft newer than the published plan, else the published."""
    draft = latest_plan(session, organisation_id, day, PlanState.DRAFT)
    published = latest_plan(session, organisation_id, day, PlanState.PUBLISHED)
    if draft is not None and (published is None or draft.version > published.version):
        return draft
    return published


def _mask(phone: str) -> str:
    return f"…{phone[-4:]}" if len(phone) >= 4 else "…"


def needs_of(request: RideRequest) -> str:
    """What a ride needs (wheelchair, walker, animal, several seats), in words."""
    needs = []
    if request.wheelchair:
        needs.append(gettext("wheelchair"))
    if request.walker:
        needs.append(gettext("walker"))
    if request.service_animal:
        needs.append(gettext("service animal"))
    if request.passengers > 1:
        needs.append(gettext("%(n)s passengers") % {"n": request.passengers})
    return ", ".join(needs)


def _request_rows(
    session: Session, organisation_id: int, day: date, time_zone: str
) -> list[RequestRow]:
    requests = session.exec(
        select(RideRequest)
        .where(RideRequest.organisation_id == organisation_id, RideRequest.service_date == day)
        .order_by(col(RideRequest.id))
    ).all()
    riders = {
        r.id: r
        for r in session.exec(select(Rider).where(Rider.organisation_id == organisation_id)).all()
    }
    places = {
        p.id: p
        for p in session.exec(select(Place).where(Place.organisation_id == organisation_id)).all()
    }
    drivers = {
        d.id: d.name
        for d in session.exec(select(Driver).where(Driver.organisation_id == organisation_id))
    }
    locks = {
        lock.request_id: lock
        for lock in session.exec(
            select(AssignmentLock).where(AssignmentLock.organisation_id == organisation_id)
        )
    }
    rows = []
    for request in requests:
        assert request.id is not None
        rider = riders.get(request.rider_id)
        target = places.get(request.to_place_id) if request.to_place_id else None
        origin = places.get(request.from_place_id) if request.from_place_id else None
        end = target or origin
        where = place_name(end) if end is not None else gettext("home")
        if request.outbound_request_id is not None:
            where = gettext("home from %(place)s") % {
                "place": place_name(origin) if origin else "?"
            }
        moment = request.arrive_by or request.earliest_departure or request.return_pickup_at
        when = show_time(moment, time_zone)
        if request.arrive_by is not None:
            when = gettext("arrive by %(t)s") % {"t": when}
        lock = locks.get(request.id)
        locked_to = ""
        if lock is not None:
            locked_to = (
                drivers.get(lock.driver_id, "?")
                if lock.kind == LockKind.PIN and lock.driver_id is not None
                else gettext("held out")
            )
        rows.append(
            RequestRow(
                id=request.id,
                code=request.reference_code,
                rider=rider.name if rider else "?",
                kind=gettext(KIND_LABELS.get(request.kind.value, request.kind.value)),
                where=where,
                when=when,
                status=request.status,
                needs=needs_of(request),
                locked_to=locked_to,
            )
        )
    return rows


def _driver_rows(
    session: Session, organisation_id: int, day: date, plan: Plan | None
) -> list[DriverRow]:
    drivers = session.exec(
        select(Driver)
        .where(Driver.organisation_id == organisation_id, col(Driver.active).is_(True))
        .order_by(col(Driver.name))
    ).all()
    ids = [d.id for d in drivers]
    weekly: dict[int, list[DriverAvailability]] = defaultdict(list)
    for window in session.exec(
        select(DriverAvailability).where(
            col(DriverAvailability.driver_id).in_(ids), DriverAvailability.weekday == day.weekday()
        )
    ):
        weekly[window.driver_id].append(window)
    exceptions = {
        e.driver_id: e
        for e in session.exec(
            select(DriverException).where(
                col(DriverException.driver_id).in_(ids), DriverException.day == day
            )
        )
    }
    routes: dict[int, Route] = {}
    stops: dict[int, int] = defaultdict(int)
    if plan is not None:
        for route in session.exec(select(Route).where(Route.plan_id == plan.id)):
            routes[route.driver_id] = route
        for route_id in session.exec(
            select(Stop.route_id)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == plan.id)
        ):
            stops[route_id] += 1
    rows = []
    for driver in drivers:
        assert driver.id is not None
        exception = exceptions.get(driver.id)
        if exception is not None and not exception.available:
            hours, available = (
                gettext("day off") + (f" ({exception.reason})" if exception.reason else ""),
                False,
            )
        elif exception is not None and exception.start_time and exception.end_time:
            hours = f"{exception.start_time:%H:%M}\u2013{exception.end_time:%H:%M}"
            available = True
        elif weekly.get(driver.id):
            hours = ", ".join(
                f"{w.start_time:%H:%M}\u2013{w.end_time:%H:%M}"
                for w in sorted(weekly[driver.id], key=lambda w: w.start_time)
            )
            available = True
        else:
            hours, available = gettext("not driving this day"), False
        driven = routes.get(driver.id)
        response = ""
        if driven is not None and plan is not None and plan.state == PlanState.PUBLISHED:
            response = gettext(RESPONSE_LABELS.get(driven.driver_response, driven.driver_response))
        rows.append(
            DriverRow(
                id=driver.id,
                name=driver.name,
                hours=hours,
                available=available,
                response=response,
                stops=stops.get(driven.id or 0, 0) if driven is not None else 0,
            )
        )
    return rows


def _error_words(message: Message) -> str:
    if message.status not in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        return ""
    words = ERROR_WORDS.get(message.error_code or 0)
    return gettext(words) if words else message.last_error


def _text_rows(session: Session, organisation_id: int, day: date, time_zone: str) -> list[TextRow]:
    """Texts about the day's requests and routes, and any text still waiting or failed."""
    request_ids = select(RideRequest.id).where(
        RideRequest.organisation_id == organisation_id, RideRequest.service_date == day
    )
    route_ids = (
        select(Route.id)
        .join(Plan, col(Plan.id) == Route.plan_id)
        .where(Plan.organisation_id == organisation_id, Plan.service_date == day)
    )
    messages = session.exec(
        select(Message)
        .where(
            Message.organisation_id == organisation_id,
            col(Message.request_id).in_(request_ids) | col(Message.route_id).in_(route_ids),
        )
        .order_by(col(Message.id).desc())
        .limit(200)
    ).all()
    return [
        TextRow(
            id=m.id or 0,
            to=_mask(m.to_number),
            template=gettext(TEXT_LABELS[m.template]) if m.template in TEXT_LABELS else m.template,
            status=m.status,
            status_label=gettext(MESSAGE_LABELS[m.status]),
            error=_error_words(m),
            at=show_time(m.updated_at, time_zone),
        )
        for m in messages
    ]


def _unserved_rows(
    session: Session, plan: Plan | None, names: dict[int, RequestRow]
) -> list[UnservedRow]:
    if plan is None:
        return []
    rows = []
    for unserved in session.exec(
        select(UnservedRequest)
        .where(UnservedRequest.plan_id == plan.id)
        .order_by(col(UnservedRequest.request_id))
    ):
        request = names.get(unserved.request_id)
        rows.append(
            UnservedRow(
                request_id=unserved.request_id,
                code=request.code if request else "?",
                rider=request.rider if request else "?",
                leg=gettext("there") if unserved.leg == LegKind.OUTBOUND else gettext("back"),
                reason=reason_words(unserved.reason),
            )
        )
    return rows


def build_day_board(session: Session, organisation_id: int, day: date, time_zone: str) -> DayBoard:
    """Everything the day board shows for one organisation's day."""
    rows = _request_rows(session, organisation_id, day, time_zone)
    grouped: dict[RequestStatus, list[RequestRow]] = defaultdict(list)
    for row in rows:
        grouped[row.status].append(row)
    groups = [
        StatusGroup(status, gettext(label), grouped[status])
        for status, label in STATUS_LABELS.items()
        if grouped.get(status)
    ]
    plan = shown_plan(session, organisation_id, day)
    published = latest_plan(session, organisation_id, day, PlanState.PUBLISHED)
    draft = plan if plan is not None and plan.state == PlanState.DRAFT else None
    return DayBoard(
        day=day,
        day_label=show_date(day),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        groups=groups,
        unserved=_unserved_rows(session, plan, {r.id: r for r in rows}),
        drivers=_driver_rows(session, organisation_id, day, published or plan),
        texts=_text_rows(session, organisation_id, day, time_zone),
        published=_badge(published),
        draft=_badge(draft),
        request_count=len(rows),
        alerts=_alert_rows(session, organisation_id, day, time_zone),
        awaiting_texts=published is not None and published.notified_at is None,
    )


# --- the plan view --------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One stop on the timeline: where it sits (percent of the day shown) and what it is."""

    request_id: int
    left: float
    time: str
    kind: StopKind
    kind_label: str
    label: str
    rider: str
    address: str
    locked: bool
    change: str = ""
    lane: int = 0


@dataclass(frozen=True)
class TimelineRow:
    route_id: int
    driver_id: int
    driver: str
    vehicle: str
    blocks: list[Block]
    legs: int
    peak_load: int
    seats: int
    driving_minutes: int
    kilometres: float
    frozen: bool
    response: str
    lanes: int = 1


# A block's width as a share of the timeline track (at least 800 px wide: the timeline scrolls
# sideways below that), estimated from its label: blocks that would touch go on separate lanes.
TRACK_PX = 800
CHAR_PX = 8
BLOCK_PADDING_PX = 24


def block_width(block: Block) -> float:
    """The share of the track a block's label takes (its symbol, code and marks)."""
    marks = (1 if block.change else 0) + (1 if block.locked else 0)
    return 100 * ((len(block.label) + 1 + marks) * CHAR_PX + BLOCK_PADDING_PX) / TRACK_PX


def assign_lanes(blocks: list[Block]) -> tuple[list[Block], int]:
    """Put each block on the first lane where it does not overlap the one before it."""
    ends: list[float] = []
    placed = []
    for block in sorted(blocks, key=lambda b: b.left):
        lane = next((i for i, end in enumerate(ends) if end <= block.left), len(ends))
        if lane == len(ends):
            ends.append(0.0)
        ends[lane] = block.left + block_width(block)
        placed.append(replace(block, lane=lane))
    return placed, max(len(ends), 1)


@dataclass(frozen=True)
class Tick:
    left: float
    label: str


@dataclass(frozen=True)
class Totals:
    legs_served: int
    legs_unmet: int
    drivers_used: int
    kilometres: float
    driving_minutes: int


@dataclass
class PlanView:
    day: date
    day_label: str
    previous_day: date
    next_day: date
    plan: PlanBadge | None
    published: PlanBadge | None
    draft: PlanBadge | None
    rows: list[TimelineRow]
    ticks: list[Tick]
    totals: Totals
    unserved: list[UnservedRow]
    map_json: str
    changed_stops: int | None = None
    removed: list[str] = field(default_factory=list)
    # Each changed pick-up in words, so the differences are not told by colour alone.
    changes: list[str] = field(default_factory=list)
    # The draft beside the published plan, driver by driver (only routes that changed).
    comparison: list[CompareRow] = field(default_factory=list)


def build_plan_view(
    session: Session, organisation_id: int, day: date, time_zone: str, plan: Plan | None
) -> PlanView:
    """The timeline, map and totals of ``plan`` (the day's shown plan when None)."""
    plan = plan or shown_plan(session, organisation_id, day)
    published = latest_plan(session, organisation_id, day, PlanState.PUBLISHED)
    requests = _request_rows(session, organisation_id, day, time_zone)
    by_id = {r.id: r for r in requests}
    rows: list[TimelineRow] = []
    features: list[dict[str, object]] = []
    served = 0
    changed: int | None = None
    old: dict[StopKey, Placement] = {}
    published_stops: list[PlacedStop] = []
    draft_stops: list[PlacedStop] = []
    compare = (
        plan is not None
        and published is not None
        and plan.id != published.id
        and plan.state == PlanState.DRAFT
    )
    if compare and published is not None:
        published_stops = plan_stops(session, published)
        old = placements_of(published_stops)
        changed = 0
    seen_keys: set[StopKey] = set()
    changes: list[str] = []
    names = {
        d.id: d.name
        for d in session.exec(select(Driver).where(Driver.organisation_id == organisation_id))
    }
    start_minute, end_minute = 8 * 60, 17 * 60
    if plan is not None:
        routes = session.exec(select(Route).where(Route.plan_id == plan.id)).all()
        drivers = {
            d.id: d
            for d in session.exec(
                select(Driver).where(col(Driver.id).in_([r.driver_id for r in routes]))
            )
        }
        stops_by_route: dict[int, list[Stop]] = defaultdict(list)
        for stop in session.exec(
            select(Stop)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == plan.id)
            .order_by(col(Stop.route_id), col(Stop.seq))
        ):
            stops_by_route[stop.route_id].append(stop)
        locks = {
            lock.request_id: lock
            for lock in session.exec(
                select(AssignmentLock).where(AssignmentLock.organisation_id == organisation_id)
            )
        }
        tz = zone(time_zone)
        all_minutes = [
            s.planned_at.astimezone(tz).hour * 60 + s.planned_at.astimezone(tz).minute
            for stops in stops_by_route.values()
            for s in stops
        ]
        if all_minutes:
            # From the hour of the first stop to the hour after the last: no empty morning.
            start_minute = (min(all_minutes) // 60) * 60
            end_minute = max((max(all_minutes) // 60 + 1) * 60, start_minute + 4 * 60)
        span = max(end_minute - start_minute, 60)
        for route in sorted(routes, key=lambda r: drivers[r.driver_id].name):
            driver = drivers[route.driver_id]
            stops = stops_by_route.get(route.id or 0, [])
            draft_stops += [(route.driver_id, stop) for stop in stops]
            load = peak = 0
            blocks = []
            for stop in stops:
                local = stop.planned_at.astimezone(tz)
                minute = local.hour * 60 + local.minute
                load += 1 if stop.kind == StopKind.PICKUP else -1
                peak = max(peak, load)
                request = by_id.get(stop.request_id)
                key = stop_key(stop)
                seen_keys.add(key)
                change = ""
                if compare:
                    before = old.get(key)
                    change = change_of(before, (route.driver_id, minute_of(stop.planned_at)))
                    if change and changed is not None:
                        changed += 1
                    if change and stop.kind == StopKind.PICKUP:
                        code = request.code if request else "?"
                        if change == "added":
                            text = gettext("%(code)s: added to %(driver)s")
                        elif change == "moved" and before is not None:
                            text = gettext("%(code)s: moved from %(old)s to %(driver)s")
                        else:
                            text = gettext("%(code)s: pick-up %(old_time)s, now %(time)s")
                        old_time = (
                            show_time(datetime.fromtimestamp(before[1] * 60, UTC), time_zone)
                            if before is not None
                            else ""
                        )
                        changes.append(
                            text
                            % {
                                "code": code,
                                "driver": driver.name,
                                "old": names.get(before[0], "?") if before else "",
                                "old_time": old_time,
                                "time": show_time(stop.planned_at, time_zone),
                            }
                        )
                lock = locks.get(stop.request_id)
                blocks.append(
                    Block(
                        request_id=stop.request_id,
                        left=round(100 * (minute - start_minute) / span, 2),
                        time=show_time(stop.planned_at, time_zone),
                        kind=stop.kind,
                        kind_label=gettext("pick up")
                        if stop.kind == StopKind.PICKUP
                        else gettext("drop off"),
                        label=(request.code if request else "?")
                        + (" ↩" if stop.leg == LegKind.RETURN else ""),
                        rider=request.rider if request else "?",
                        address=stop.address,
                        locked=lock is not None and lock.driver_id == route.driver_id,
                        change=change,
                    )
                )
            legs = sum(1 for s in stops if s.kind == StopKind.PICKUP)
            served += legs
            blocks_in_order = blocks
            blocks, lanes = assign_lanes(blocks)
            rows.append(
                TimelineRow(
                    route_id=route.id or 0,
                    driver_id=driver.id or 0,
                    driver=driver.name,
                    vehicle=driver.vehicle_description,
                    blocks=blocks,
                    legs=legs,
                    peak_load=peak,
                    seats=driver.seats,
                    driving_minutes=round(route.driving_seconds / 60),
                    kilometres=round(route.distance_m / 1000, 1),
                    frozen=route.frozen,
                    lanes=lanes,
                    response=gettext(
                        RESPONSE_LABELS.get(route.driver_response, route.driver_response)
                    )
                    if plan.state == PlanState.PUBLISHED
                    else "",
                )
            )
            features.append(
                {
                    "driver": driver.name,
                    "points": [[s.latitude, s.longitude] for s in stops],
                    "stops": [
                        {"at": [s.latitude, s.longitude], "text": f"{b.time} {b.label}"}
                        for s, b in zip(stops, blocks_in_order, strict=True)
                    ],
                }
            )
    else:
        span = end_minute - start_minute
    removed = []
    if compare and changed is not None:
        for key in old:
            if key not in seen_keys:
                changed += 1
                if key[2] == StopKind.PICKUP.value:
                    request = by_id.get(key[0])
                    removed.append(request.code if request else str(key[0]))
    unserved = _unserved_rows(session, plan, by_id)
    ticks = [
        Tick(
            left=round(100 * (m - start_minute) / span, 2),
            label=show_time(local_midnight(day, time_zone) + timedelta(minutes=m), time_zone),
        )
        for m in range(start_minute, end_minute + 1, 60)
    ]
    draft = latest_plan(session, organisation_id, day, PlanState.DRAFT)
    if draft is not None and published is not None and draft.version < published.version:
        draft = None
    return PlanView(
        day=day,
        day_label=show_date(day),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        plan=_badge(plan),
        published=_badge(published),
        draft=_badge(draft),
        rows=rows,
        ticks=ticks,
        totals=Totals(
            legs_served=served,
            legs_unmet=len(unserved),
            drivers_used=len(rows),
            kilometres=round(sum(r.kilometres for r in rows), 1),
            driving_minutes=sum(r.driving_minutes for r in rows),
        ),
        unserved=unserved,
        map_json=json.dumps(features, ensure_ascii=False),
        changed_stops=changed,
        removed=removed,
        changes=changes,
        comparison=side_by_side(
            published_stops, draft_stops, {r.id: r.code for r in requests}, names, time_zone
        )
        if compare
        else [],
    )


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (stored times are aware)."""
    return moment.astimezone(UTC)
