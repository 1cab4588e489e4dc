"""A draft beside the published plan: each driver's stops in both, with what changed marked.

A stop is one leg's pick-up or drop-off, keyed by (request, leg, kind). It changed when it is in
one plan and not the other, when it moved to another driver, or when its planned time moved by
``CHANGE_MINUTES`` or more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from services.dispatch.i18n import show_time
from shared.models import LegKind, Plan, Route, Stop, StopKind

StopKey = tuple[int, str, str]  # (request id, leg, stop kind)
Placement = tuple[int, int]  # (driver id, planned minute since the epoch)

CHANGE_MINUTES = 10  # a stop moved by less than this is shown as unchanged


def minute_of(moment: datetime) -> int:
    """Whole minutes since the epoch: the unit placements are compared in."""
    return int(moment.timestamp() // 60)


def stop_key(stop: Stop) -> StopKey:
    return (stop.request_id, stop.leg.value, stop.kind.value)


PlacedStop = tuple[int, Stop]  # (driver id, the stop)


def plan_stops(session: Session, plan: Plan) -> list[PlacedStop]:
    """Every stop of ``plan`` with its driver, in planned order."""
    return list(
        session.exec(
            select(Route.driver_id, Stop)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == plan.id)
            .order_by(col(Stop.planned_at), col(Stop.route_id), col(Stop.seq))
        )
    )


def placements_of(stops: list[PlacedStop]) -> dict[StopKey, Placement]:
    """Where and when each of ``stops`` is."""
    return {stop_key(stop): (driver_id, minute_of(stop.planned_at)) for driver_id, stop in stops}


def placements(session: Session, plan: Plan) -> dict[StopKey, Placement]:
    """Where and when every stop of ``plan`` is."""
    return placements_of(plan_stops(session, plan))


def change_of(before: Placement | None, after: Placement | None) -> str:
    """How a stop differs between two plans: "added", "removed", "moved", "retimed" or ""."""
    if before is None:
        return "" if after is None else "added"
    if after is None:
        return "removed"
    if before[0] != after[0]:
        return "moved"
    if abs(before[1] - after[1]) >= CHANGE_MINUTES:
        return "retimed"
    return ""


@dataclass(frozen=True)
class SideStop:
    """One stop in one column: its time, what it is, and how it changed."""

    time: str
    pickup: bool
    label: str
    change: str


@dataclass(frozen=True)
class CompareRow:
    """One driver: their stops in the published plan and in the draft."""

    driver: str
    published: list[SideStop]
    draft: list[SideStop]

    @property
    def changed(self) -> int:
        """Stops that differ, counted once each (a moved stop shows in two rows)."""
        return sum(1 for s in self.draft if s.change) + sum(
            1 for s in self.published if s.change == "removed"
        )


def side_by_side(
    published: list[PlacedStop],
    draft: list[PlacedStop],
    codes: dict[int, str],
    names: Mapping[int | None, str],
    time_zone: str,
) -> list[CompareRow]:
    """Every driver with a changed stop in either plan, by name, the published stops beside the
    draft's (each list as ``plan_stops`` gives it). ``codes`` names requests, ``names`` drivers.
    Unchanged routes are left out: the dispatcher is looking for what publishing would change."""
    old, new = placements_of(published), placements_of(draft)
    columns: dict[int, tuple[list[SideStop], list[SideStop]]] = defaultdict(lambda: ([], []))
    for side, stops, mine, other in ((0, published, old, new), (1, draft, new, old)):
        for driver_id, stop in stops:
            key = stop_key(stop)
            before, after = (
                (mine[key], other.get(key)) if side == 0 else (other.get(key), mine[key])
            )
            change = change_of(before, after)
            if side == 0 and change == "moved":
                change = "moved-away"
            columns[driver_id][side].append(
                SideStop(
                    time=show_time(stop.planned_at, time_zone),
                    pickup=stop.kind == StopKind.PICKUP,
                    label=codes.get(stop.request_id, str(stop.request_id))
                    + (" ↩" if stop.leg == LegKind.RETURN else ""),
                    change=change,
                )
            )
    rows = [
        CompareRow(driver=names.get(driver_id, "?"), published=before, draft=after)
        for driver_id, (before, after) in columns.items()
        if any(s.change for s in before + after)
    ]
    return sorted(rows, key=lambda r: r.driver)
