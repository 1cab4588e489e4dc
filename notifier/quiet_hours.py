"""Quiet hours: non-urgent texts wait until morning in the organisation's time zone.

Riders include shift workers and families with small children; a reminder at 23:00 is a
kindness to nobody. Urgent texts (driver on the way, same-day changes) go at once; the caller
decides what is urgent.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.i18n import time_zone

QUIET_START = time(21, 0)
QUIET_END = time(9, 0)


def is_quiet(
    now_utc: datetime,
    tz: str | ZoneInfo,
    *,
    start: time = QUIET_START,
    end: time = QUIET_END,
) -> bool:
    """Say whether ``now_utc`` falls in quiet hours (``start`` inclusive, ``end`` exclusive)."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be an aware datetime (UTC); got a naive one")
    local = now_utc.astimezone(time_zone(tz)).time().replace(tzinfo=None)
    if start > end:  # the window wraps midnight, the usual case
        return local >= start or local < end
    return start <= local < end


def next_send_time(
    now_utc: datetime,
    tz: str | ZoneInfo,
    urgent: bool,
    *,
    start: time = QUIET_START,
    end: time = QUIET_END,
) -> datetime:
    """Return the earliest time (aware, UTC) a text may go out, given quiet hours.

    Urgent texts and texts outside quiet hours go now; others wait for ``end`` local time on
    the right local day. The wall-clock end time is resolved in the zone on that day, so a
    DST change overnight still yields 09:00 local, not 08:00 or 10:00.
    """
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be an aware datetime (UTC); got a naive one")
    now = now_utc.astimezone(UTC)
    if urgent or not is_quiet(now, tz, start=start, end=end):
        return now
    zone = time_zone(tz)
    local = now.astimezone(zone)
    day = local.date()
    if local.time().replace(tzinfo=None) >= end:  # evening: release tomorrow morning
        day += timedelta(days=1)
    release = datetime.combine(day, end, tzinfo=zone)
    # A wall time inside a spring-forward gap does not exist; zoneinfo maps it forward.
    return release.astimezone(UTC)
