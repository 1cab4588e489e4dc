# ruff: noqa: RUF001  # Chinese text uses full-width punctuation on purpose.
"""Every outbound text, in English and Traditional Chinese (for Cantonese-speaking readers).

A template is a frozen dataclass of its fields (the "context"); ``render(context, language)``
turns it into the text. ``render_named(name, language, **fields)`` does the same from a name and
loose fields (e.g. stored with an outbox row); ``to_fields`` gives JSON-safe fields for that.

Rules the tests hold these to: rider texts stay within 2 SMS segments even in Chinese (UCS-2:
134 characters), carry only that rider's own ride, and English ones stay GSM-7 for ASCII
values. Driver texts name riders by first name only. Times are aware UTC datetimes shown in the
organisation's time zone, formatted by ``shared.i18n`` as the booking bot formats them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeVar, get_type_hints
from zoneinfo import ZoneInfo

from notifier.errors import TemplateError
from shared.i18n import (
    DEFAULT_TIME_ZONE,
    Language,
    format_date,
    format_date_time,
    format_time,
    format_window,
    text_language,
    time_zone,
)


class TemplateName(StrEnum):
    """Names of the outbound texts, as stored with a message."""

    BOOKING_CONFIRMED = "booking_confirmed"
    RIDE_REMINDER = "ride_reminder"
    DRIVER_ON_THE_WAY = "driver_on_the_way"
    DRIVER_LATE = "driver_late"
    BOOKING_CHANGED = "booking_changed"
    BOOKING_CANCELLED = "booking_cancelled"
    REQUEST_UNMET = "request_unmet"
    DRIVER_DAY_ROUTE = "driver_day_route"
    DRIVER_ROUTE_CHANGED = "driver_route_changed"


class _Context:
    """Validation shared by all contexts: no blank text, no naive datetimes."""

    NAME: ClassVar[TemplateName]

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if isinstance(value, str) and not value.strip():
                raise TemplateError(f"{self.NAME}: field {item.name!r} is empty")
            if isinstance(value, datetime) and value.tzinfo is None:
                raise TemplateError(f"{self.NAME}: field {item.name!r} must be an aware datetime")


@dataclass(frozen=True)
class _RideFields(_Context):
    pickup_from: datetime
    pickup_to: datetime
    destination: str
    driver_first_name: str
    car: str  # colour, model and plate as riders should look for them

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pickup_to < self.pickup_from:
            raise TemplateError(f"{self.NAME}: pickup_to is before pickup_from")


@dataclass(frozen=True)
class BookingConfirmed(_RideFields):
    """Rider: the ride is booked, with pick-up window, driver and car."""

    NAME = TemplateName.BOOKING_CONFIRMED


@dataclass(frozen=True)
class RideReminder(_RideFields):
    """Rider: the day-before reminder."""

    NAME = TemplateName.RIDE_REMINDER


@dataclass(frozen=True)
class BookingChanged(_RideFields):
    """Rider: the ride's time, driver or car changed; these are the new details."""

    NAME = TemplateName.BOOKING_CHANGED


@dataclass(frozen=True)
class DriverOnTheWay(_Context):
    """Rider: the driver has left and should arrive about ``eta``."""

    NAME = TemplateName.DRIVER_ON_THE_WAY
    driver_first_name: str
    car: str
    eta: datetime


@dataclass(frozen=True)
class DriverLate(_Context):
    """Rider: the driver is running late; the pick-up moved from ``planned`` to ``eta``."""

    NAME = TemplateName.DRIVER_LATE
    driver_first_name: str
    planned: datetime
    eta: datetime

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.eta <= self.planned:
            raise TemplateError(f"{self.NAME}: eta must be after the planned time")


@dataclass(frozen=True)
class BookingCancelled(_Context):
    """Rider: the ride is cancelled."""

    NAME = TemplateName.BOOKING_CANCELLED
    pickup_at: datetime
    destination: str


@dataclass(frozen=True)
class RequestUnmet(_Context):
    """Rider: an apology, no driver could be found for the request."""

    NAME = TemplateName.REQUEST_UNMET
    pickup_at: datetime
    destination: str


@dataclass(frozen=True)
class StopLine(_Context):
    """One line of a driver's route text: a stop, its time, rider and address.

    ``needs`` are codes like "wheelchair" or free text. (Not the ``Stop`` table row, nor the
    solver's stop: this is only what the text says about one.)
    """

    NAME = TemplateName.DRIVER_DAY_ROUTE
    at: datetime
    action: Literal["pickup", "dropoff"]
    rider_first_name: str
    address: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriverDayRoute(_Context):
    """Driver: the day's stops in order, and a link to the day's manifest."""

    NAME = TemplateName.DRIVER_DAY_ROUTE
    day: date
    stops: tuple[StopLine, ...]
    manifest_url: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.stops:
            raise TemplateError(f"{self.NAME}: a day's route needs at least one stop")


@dataclass(frozen=True)
class DriverRouteChanged(_Context):
    """Driver: the route changed; the stops now left (possibly none) and the manifest link."""

    NAME = TemplateName.DRIVER_ROUTE_CHANGED
    day: date
    stops: tuple[StopLine, ...]
    manifest_url: str


Context = (
    BookingConfirmed
    | RideReminder
    | BookingChanged
    | DriverOnTheWay
    | DriverLate
    | BookingCancelled
    | RequestUnmet
    | DriverDayRoute
    | DriverRouteChanged
)
CONTEXTS: dict[TemplateName, type[Context]] = {
    cls.NAME: cls
    for cls in (
        BookingConfirmed,
        RideReminder,
        BookingChanged,
        DriverOnTheWay,
        DriverLate,
        BookingCancelled,
        RequestUnmet,
        DriverDayRoute,
        DriverRouteChanged,
    )
}
RIDER_TEMPLATES = frozenset(CONTEXTS) - {
    TemplateName.DRIVER_DAY_ROUTE,
    TemplateName.DRIVER_ROUTE_CHANGED,
}


# -- formatting ---------------------------------------------------------------------------

_NEEDS: dict[str, tuple[str, str]] = {
    "wheelchair": ("wheelchair", "輪椅"),
    "walker": ("walker", "助行架"),
    "child_seat": ("child seat", "兒童座椅"),
    "service_animal": ("service animal", "服務犬"),
    "door_to_door": ("help to the door", "需扶助到門口"),
    "cantonese": ("speaks Cantonese", "說廣東話"),
}


# Typographic characters pasted from word processors that have a GSM-7 twin: one curly
# apostrophe would otherwise make an English text UCS-2 and double its cost.
_PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"})


def _clean(text: str) -> str:
    """One line, single spaces, plain quotes: a stray newline must not forge a new line."""
    return " ".join(text.translate(_PLAIN).split())


def _first_name(name: str) -> str:
    return _clean(name).split(" ")[0]


def _need(code: str, language: Language) -> str:
    labels = _NEEDS.get(_clean(code).lower().replace(" ", "_").replace("-", "_"))
    if labels is None:
        return _clean(code)
    return labels[0] if language == Language.EN else labels[1]


def _stop_line(number: int, stop: StopLine, language: Language, zone: ZoneInfo) -> str:
    at = format_time(stop.at, language, tz=zone)
    name, address = _first_name(stop.rider_first_name), stop.address
    needs = [_need(code, language) for code in stop.needs]
    if language == Language.EN:
        verb = "Pick up" if stop.action == "pickup" else "Drop off"
        extra = f" [{', '.join(needs)}]" if needs else ""
        return f"{number}. {at} {verb} {name}, {_clean(address)}{extra}"
    verb = "接" if stop.action == "pickup" else "送"
    name = name if stop.action == "pickup" else f"{name}到"
    extra = f"［{'、'.join(needs)}］" if needs else ""
    return f"{number}. {at} {verb}{name}：{_clean(address)}{extra}"


def _route(ctx: DriverDayRoute | DriverRouteChanged, language: Language, zone: ZoneInfo) -> str:
    lines = [_stop_line(n, stop, language, zone) for n, stop in enumerate(ctx.stops, 1)]
    changed = isinstance(ctx, DriverRouteChanged)
    count = len(ctx.stops)
    day = format_date(ctx.day, language)
    if language == Language.EN:
        if changed and not count:
            return f"Route change {day}: no stops left for you. Thank you! {ctx.manifest_url}"
        stops = f"{count} stop" if count == 1 else f"{count} stops"
        head = f"Route change {day}, now {stops}:" if changed else f"Route {day}, {stops}:"
        return _fit(head, lines, f"Manifest: {ctx.manifest_url}", "...{n} more in the manifest")
    if changed and not count:
        return f"{day}路線有變：你當天已沒有站點，謝謝！{ctx.manifest_url}"
    head = f"{day}路線有變，現共{count}站：" if changed else f"{day}路線，共{count}站："
    return _fit(head, lines, f"行程表：{ctx.manifest_url}", "……另有{n}站，見行程表")


# Twilio refuses a text longer than this (error 21617), so a long route lists its first stops
# and sends the driver to the manifest for the rest.
MAX_TEXT_CHARACTERS = 1600


def _fit(head: str, lines: list[str], footer: str, more: str) -> str:
    """``head``, as many of ``lines`` as fit in one text, a count of the rest, ``footer``."""
    shown = len(lines)
    while True:
        rest = [more.format(n=len(lines) - shown)] if shown < len(lines) else []
        text = "\n".join([head, *lines[:shown], *rest, footer])
        if len(text) <= MAX_TEXT_CHARACTERS or shown == 0:
            return text
        shown -= 1


# Rider texts. Placeholders: day, window (pick-up window), when (date and time), where, who
# (driver's first name), car, eta, minutes (a delay). Keep them short: Chinese texts must fit
# 134 characters.
_RIDER_TEXTS: dict[TemplateName, tuple[str, str]] = {
    TemplateName.BOOKING_CONFIRMED: (
        "Ride booked: {day}, pick-up {window}, to {where}. "
        "Driver: {who}, {car}. Reply here if plans change.",
        "已為你預約接送：{day}{window}接你，前往{where}。司機：{who}，{car}。"
        "如有更改，請回覆此訊息。",
    ),
    TemplateName.RIDE_REMINDER: (
        "Reminder: your ride is {day}, pick-up {window}, to {where}. "
        "Driver: {who}, {car}. Reply here if you cannot go.",
        "溫馨提示：你於{day}{window}有接送，前往{where}。司機：{who}，{car}。"
        "如未能出行，請回覆此訊息。",
    ),
    TemplateName.BOOKING_CHANGED: (
        "Your ride has changed. Now {day}, pick-up {window}, to {where}. "
        "Driver: {who}, {car}. Reply here with any questions.",
        "你的接送有變：改為{day}{window}接你，前往{where}。司機：{who}，{car}。"
        "如有疑問，請回覆此訊息。",
    ),
    TemplateName.DRIVER_ON_THE_WAY: (
        "Your driver {who} is on the way ({car}) and should arrive about {eta}.",
        "司機{who}正前來接你（{car}），預計{eta}到達。",
    ),
    TemplateName.DRIVER_LATE: (
        "Your driver {who} is running about {minutes} min late and should arrive about {eta}.",
        "司機{who}會遲約{minutes}分鐘，預計{eta}到達接你。",
    ),
    TemplateName.BOOKING_CANCELLED: (
        "Your ride on {when} to {where} is cancelled. Reply here if you still need a ride.",
        "你{when}前往{where}的接送已取消。如仍需接送，請回覆此訊息。",
    ),
    TemplateName.REQUEST_UNMET: (
        "Sorry, we could not find a driver for your ride on {when} to {where}. "
        "Reply here if you would like to book another time.",
        "抱歉，我們未能為你{when}前往{where}的行程安排司機。如想改約其他時間，請回覆此訊息。",
    ),
}


def _rider(ctx: Context, language: Language, zone: ZoneInfo) -> str:
    values: dict[str, str] = {}
    if isinstance(ctx, _RideFields):
        values["day"] = format_date(ctx.pickup_from, language, tz=zone)
        values["window"] = format_window(ctx.pickup_from, ctx.pickup_to, language, tz=zone)
    if isinstance(ctx, BookingCancelled | RequestUnmet):
        values["when"] = format_date_time(ctx.pickup_at, language, tz=zone)
    if isinstance(ctx, DriverOnTheWay | DriverLate):
        values["eta"] = format_time(ctx.eta, language, tz=zone)
    if isinstance(ctx, DriverLate):
        values["minutes"] = str(round((ctx.eta - ctx.planned).total_seconds() / 60))
        values["who"] = _first_name(ctx.driver_first_name)
    if isinstance(ctx, _RideFields | DriverOnTheWay):
        values["who"], values["car"] = _first_name(ctx.driver_first_name), _clean(ctx.car)
    if isinstance(ctx, _RideFields | BookingCancelled | RequestUnmet):
        values["where"] = _clean(ctx.destination)
    english, chinese = _RIDER_TEXTS[ctx.NAME]
    return (english if language == Language.EN else chinese).format(**values)


def render(context: Context, language: str, *, tz: str | ZoneInfo = DEFAULT_TIME_ZONE) -> str:
    """Render ``context`` in ``language`` (unknown languages get English), times in ``tz``.

    An unknown zone name falls back to ``DEFAULT_TIME_ZONE`` (see ``shared.i18n.time_zone``).
    """
    lang = text_language(language)
    zone = time_zone(tz)
    if isinstance(context, DriverDayRoute | DriverRouteChanged):
        return _route(context, lang, zone)
    return _rider(context, lang, zone)


def _coerce(annotation: Any, value: object) -> object:
    """Turn JSON-ish values (ISO strings, lists of dicts) back into what a context holds."""
    if annotation is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if annotation is date and isinstance(value, str):
        return date.fromisoformat(value)
    if annotation == tuple[StopLine, ...] and isinstance(value, list | tuple):
        return tuple(
            item if isinstance(item, StopLine) else make_context(StopLine, dict(item))
            for item in value
        )
    if annotation == tuple[str, ...] and isinstance(value, list):
        return tuple(value)
    return value


C = TypeVar("C")


def make_context(cls: type[C], fields: Mapping[str, object]) -> C:
    """Build a context (or a ``StopLine``) from loose fields, naming any missing or unknown ones."""
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    required = {name for name, f in known.items() if f.default is dataclasses.MISSING}
    missing, unknown = sorted(required - set(fields)), sorted(set(fields) - set(known))
    if missing or unknown:
        raise TemplateError(
            f"{cls.__name__} needs fields {sorted(known)}; "
            f"missing: {missing or 'none'}; unknown: {unknown or 'none'}"
        )
    try:
        return cls(**{name: _coerce(hints[name], value) for name, value in fields.items()})
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"{cls.__name__}: bad field value: {exc}") from exc


def render_named(
    template: TemplateName | str,
    language: str,
    /,
    *,
    tz: str | ZoneInfo = DEFAULT_TIME_ZONE,
    **fields: Any,
) -> str:
    """Render the template called ``template`` from keyword fields (see ``to_fields``)."""
    try:
        cls = CONTEXTS[TemplateName(template)]
    except ValueError:
        names = ", ".join(name.value for name in TemplateName)
        raise TemplateError(f"unknown template {template!r}; known: {names}") from None
    return render(make_context(cls, fields), language, tz=tz)


def to_fields(context: Context) -> dict[str, Any]:
    """JSON-safe fields (ISO datetimes, lists) that ``render_named`` accepts back."""

    def plain(value: object) -> object:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, tuple):
            return [plain(item) for item in value]
        if isinstance(value, StopLine):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    return {f.name: plain(getattr(context, f.name)) for f in dataclasses.fields(context)}
