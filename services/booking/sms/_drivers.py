"""Texts from volunteer drivers: their commands answered in the webhook's own transaction.

A text from the number of an active driver is read as a driver command first
(``services.booking.drivers``). Opt-out and opt-in keywords are left to the booking
conversation, so drivers and riders share one consent ledger and one wording. A text that is
no driver command goes to booking when the sender is also a rider; otherwise the driver gets
one short, helpful reply.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from notifier.driver_reports import DriverAction, respond
from services.booking.conversation._text import has_cjk
from services.booking.drivers.commands import DriverCommand, DriverCommandKind, parse_driver_text
from services.booking.drivers.replies import driver_reply
from shared.i18n import Language, text_language, time_zone
from shared.models import Driver

log = logging.getLogger(__name__)

_ACTIONS = {
    DriverCommandKind.ACCEPT: DriverAction.ACCEPT,
    DriverCommandKind.DECLINE: DriverAction.DECLINE,
    DriverCommandKind.LATE: DriverAction.LATE,
    DriverCommandKind.LEFT: DriverAction.LEFT,
    DriverCommandKind.DONE: DriverAction.DONE,
    DriverCommandKind.OFF: DriverAction.OFF,
}
_NEEDS = {DriverCommandKind.LATE: "need_minutes", DriverCommandKind.OFF: "need_date"}


def find_driver(session: Session, organisation_id: int, phone: str) -> Driver | None:
    """The organisation's active driver with this number, locked until the commit.

    The lock makes two texts from one driver (say YES and LATE 10 sent together) take turns.
    """
    return session.exec(
        select(Driver)
        .where(
            Driver.organisation_id == organisation_id,
            Driver.phone == phone,
            Driver.active == True,  # noqa: E712 - SQL comparison, not Python truthiness
        )
        .with_for_update()
    ).first()


def _language(driver: Driver, body: str) -> Language:
    if has_cjk(body):
        return Language.ZH_HANT
    return text_language(driver.languages[0] if driver.languages else None)


def driver_turn(
    session: Session,
    driver: Driver,
    body: str,
    now: datetime,
    *,
    time_zone_name: str,
    also_rider: bool,
) -> str | None:
    """The reply to a driver's text, or None when the text belongs to the booking conversation."""
    today = now.astimezone(time_zone(time_zone_name)).date()
    command: DriverCommand = parse_driver_text(body, today)
    kind = command.kind
    if kind in (DriverCommandKind.OPT_OUT, DriverCommandKind.OPT_IN):
        return None
    if kind == DriverCommandKind.UNKNOWN and also_rider:
        return None
    language = _language(driver, body)
    log.info("driver %s sent %s", driver.id, kind.value)
    if kind == DriverCommandKind.HELP:
        return driver_reply("help", language)
    if kind == DriverCommandKind.UNKNOWN:
        return driver_reply("unknown", language)
    if kind == DriverCommandKind.INCOMPLETE:
        return driver_reply(_NEEDS.get(command.meant or kind, "unknown"), language)
    report = respond(
        session,
        driver,
        _ACTIONS[kind],
        now=now,
        day=command.day,
        minutes=command.minutes,
        reason=command.reason,
    )
    return driver_reply(
        report.outcome.value,
        language,
        day=report.day,
        count=report.count,
        name=report.rider_first_name,
    )
