"""The view models, built without HTTP from a planned sample day."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlmodel import Session, col, select

from notifier.driver_reports import DriverAction, respond
from scheduler.planning import plan_and_store
from services.dispatch import i18n
from services.dispatch.views import (
    Block,
    assign_lanes,
    block_width,
    build_day_board,
    build_plan_view,
)
from shared.models import (
    Driver,
    Language,
    Message,
    MessageStatus,
    RequestStatus,
    RideRequest,
    Route,
    Stop,
    StopKind,
    UnservedRequest,
)
from shared.publishing import publish_plan
from tests.dispatch.conftest import DAY, Scenario

TZ = "America/Toronto"


def test_the_day_board_groups_requests_by_status_and_lists_drivers(scenario: Scenario) -> None:
    with Session(scenario.engine) as session:
        board = build_day_board(session, scenario.organisation_id, DAY, TZ)
        unserved = session.exec(
            select(UnservedRequest).where(UnservedRequest.plan_id == scenario.plan_id)
        ).all()
    assert board.request_count == sum(len(g.rows) for g in board.groups)
    assert [g.label for g in board.groups] == ["Requested"]
    assert len(board.drivers) == 4
    assert board.draft is not None and board.draft.version == 1
    assert board.published is None
    assert len(board.unserved) == len(unserved)
    assert all(row.reason and "_" not in row.reason for row in board.unserved)


def test_the_plan_view_totals_match_the_stored_routes(scenario: Scenario) -> None:
    with Session(scenario.engine) as session:
        view = build_plan_view(session, scenario.organisation_id, DAY, TZ, None)
        routes = session.exec(select(Route).where(Route.plan_id == scenario.plan_id)).all()
        pickups = session.exec(
            select(Stop)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == scenario.plan_id, Stop.kind == StopKind.PICKUP)
        ).all()
    assert view.totals.drivers_used == len(routes) == len(view.rows)
    assert view.totals.legs_served == len(pickups)
    assert view.totals.driving_minutes == sum(r.driving_minutes for r in view.rows)
    assert view.changed_stops is None  # nothing published to compare with
    for row in view.rows:
        assert row.peak_load <= row.seats
        assert all(0 <= block.left <= 100 for block in row.blocks)


def test_a_new_draft_is_compared_with_the_published_plan(scenario: Scenario) -> None:
    with Session(scenario.engine) as session:
        publish_plan(session, scenario.plan_id, "test")
        session.commit()
    plan_and_store(scenario.organisation_id, DAY, time_limit=0.5, engine=scenario.engine)
    with Session(scenario.engine) as session:
        view = build_plan_view(session, scenario.organisation_id, DAY, TZ, None)
    assert view.plan is not None and view.plan.version == 2
    assert view.published is not None and view.published.version == 1
    changes = [b for row in view.rows for b in row.blocks if b.change]
    # Each removed ride takes its pick-up and drop-off away: two stops.
    assert view.changed_stops == len(changes) + 2 * len(view.removed)
    assert len(view.changes) == sum(1 for b in changes if b.kind == StopKind.PICKUP)


def test_the_draft_is_shown_beside_the_published_plan_with_each_change_marked(
    scenario: Scenario,
) -> None:
    with Session(scenario.engine) as session:
        publish_plan(session, scenario.plan_id, "test")
        served = session.exec(
            select(Stop)
            .join(Route, col(Route.id) == Stop.route_id)
            .where(Route.plan_id == scenario.plan_id, Stop.kind == StopKind.PICKUP)
        ).first()
        assert served is not None
        ride = session.get(RideRequest, served.request_id)
        assert ride is not None
        ride.status = RequestStatus.CANCELLED
        session.add(ride)
        session.commit()
        code = ride.reference_code
    plan_and_store(scenario.organisation_id, DAY, time_limit=0.5, engine=scenario.engine)
    with Session(scenario.engine) as session:
        view = build_plan_view(session, scenario.organisation_id, DAY, TZ, None)
    assert view.comparison, "a cancelled published ride changes at least one route"
    # Each row is a route that changed, and the rows add up to the count on the page.
    assert all(row.changed for row in view.comparison)
    assert sum(row.changed for row in view.comparison) == view.changed_stops
    removed = [s for row in view.comparison for s in row.published if s.change == "removed"]
    assert {s.label.split(" ")[0] for s in removed} >= {code}
    assert all(s.change != "removed" for row in view.comparison for s in row.draft)
    # A stop moved between drivers shows in both: moved away in one row, moved here in another.
    away = sum(1 for row in view.comparison for s in row.published if s.change == "moved-away")
    here = sum(1 for row in view.comparison for s in row.draft if s.change == "moved")
    assert away == here


def test_the_views_speak_chinese_when_asked(scenario: Scenario) -> None:
    with Session(scenario.engine) as session, i18n.using(Language.ZH_HANT):
        board = build_day_board(session, scenario.organisation_id, DAY, TZ)
    assert board.groups[0].label == "已預約"
    assert "12月3日" in board.day_label
    assert board.draft is not None and "草稿" in board.draft.label


def test_blocks_close_in_time_go_on_separate_lanes() -> None:
    def block(left: float) -> Block:
        return Block(0, left, "", StopKind.PICKUP, "", "", "", "", False)

    wide = block_width(block(0))
    placed, lanes = assign_lanes([block(10), block(12), block(10 + wide), block(50)])
    assert lanes == 2
    assert [b.lane for b in placed] == [0, 1, 0, 0]


def test_a_failed_text_shows_its_error_in_words(scenario: Scenario) -> None:
    with Session(scenario.engine) as session:
        ride = session.exec(select(RideRequest)).first()
        assert ride is not None
        session.add(
            Message(
                organisation_id=scenario.organisation_id,
                to_number="+14165550123",
                from_number="+14165550100",
                body="hello",
                status=MessageStatus.FAILED,
                error_code=30006,
                last_error="Landline or unreachable carrier",
                request_id=ride.id,
            )
        )
        session.commit()
        board = build_day_board(session, scenario.organisation_id, DAY, TZ)
        with i18n.using(Language.ZH_HANT):
            chinese = build_day_board(session, scenario.organisation_id, DAY, TZ)
    [text] = board.texts
    assert text.to == "…0123"  # never the whole number
    assert text.error == "a landline or a number that cannot get texts"
    assert chinese.texts[0].error == "固網電話或不能接收短訊的號碼"


def test_a_driver_who_declines_by_text_is_an_alert_on_the_day_board(scenario: Scenario) -> None:
    """Declines (with the reason) and late reports reach the board in words, in both languages."""
    with Session(scenario.engine) as session:
        publish_plan(session, scenario.plan_id, "test")
        session.commit()
        routes = session.exec(select(Route).where(Route.plan_id == scenario.plan_id)).all()
        assert len(routes) >= 1
        driver = session.get(Driver, routes[0].driver_id)
        assert driver is not None
        now = datetime.combine(DAY, time(6), UTC)
        respond(session, driver, DriverAction.DECLINE, now=now, day=DAY, reason="flu")
        session.commit()
        board = build_day_board(session, scenario.organisation_id, DAY, TZ)
        with i18n.using(Language.ZH_HANT):
            chinese = build_day_board(session, scenario.organisation_id, DAY, TZ)
    declined = [a for a in board.alerts if a.driver_id == driver.id]
    assert [a.text for a in declined] == [f"{driver.name} declined the route: flu"]
    assert f"{driver.name} 拒絕了路線：flu" in [a.text for a in chinese.alerts]  # noqa: RUF001
