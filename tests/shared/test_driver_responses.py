"""The day board's driver alerts, and the signed manifest links, without HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from notifier.driver_reports import DriverAction, Outcome, respond
from shared.driver_responses import AlertKind, driver_alerts
from shared.manifest_links import (
    BadManifestToken,
    ExpiredManifestToken,
    manifest_token,
    read_manifest_token,
)
from shared.models import Driver
from shared.settings import DEVELOPMENT_SECRET_KEY, AppSettings, get_settings, signing_key
from tests.booking.sms.conftest import new_world
from tests.driver_day import DAY, DriverDay, at, seed_driver_day


@pytest.fixture
def day(engine: Engine) -> DriverDay:
    """The driver test day on each database."""
    world = new_world(engine)
    return seed_driver_day(engine, world.organisation_id, next(iter(world.place_ids.values())))


def test_unanswered_routes_alert_twelve_hours_before_the_first_pickup(
    engine: Engine, day: DriverDay
) -> None:
    """Chris's first pick-up is 14:30, Wing's 15:00: from 02:30 and 03:00 they are alerts."""
    with Session(engine) as session:
        assert driver_alerts(session, day.organisation_id, DAY, at(2, 29)) == []
        alerts = driver_alerts(session, day.organisation_id, DAY, at(2, 45))
        assert [(a.kind, a.driver_id, a.at) for a in alerts] == [
            (AlertKind.NO_ANSWER, day.chris, at(14, 30))
        ]
        later = driver_alerts(session, day.organisation_id, DAY, at(3))
        assert {a.driver_id for a in later} == {day.chris, day.wing}
        window = driver_alerts(
            session, day.organisation_id, DAY, at(12), answer_window=timedelta(hours=1)
        )
        assert window == []


def test_answers_clear_the_no_answer_alert_and_late_reports_add_one(
    engine: Engine, day: DriverDay
) -> None:
    """Accepting clears it; a late report is listed with its minutes; other days have none."""
    with Session(engine) as session:
        chris = session.get(Driver, day.chris)
        assert chris is not None
        report = respond(session, chris, DriverAction.ACCEPT, now=at(3))
        assert report.outcome == Outcome.ACCEPTED
        report = respond(session, chris, DriverAction.LATE, now=at(14), minutes=10)
        assert (report.outcome, report.count) == (Outcome.LATE_TOLD, 3)
        session.commit()
        alerts = driver_alerts(session, day.organisation_id, DAY, at(14))
        assert [(a.kind, a.driver_id, a.minutes) for a in alerts] == [
            (AlertKind.LATE, day.chris, 10),
            (AlertKind.NO_ANSWER, day.wing, None),
        ]
        assert driver_alerts(session, day.organisation_id, date(2026, 11, 25), at(14)) == []


def test_manifest_tokens_name_one_driver_and_day_and_expire() -> None:
    """Round trip; another key or an edit is refused; two days after the route it expired."""
    token = manifest_token(7, DAY)
    assert read_manifest_token(token, DAY).driver_id == 7
    assert read_manifest_token(token, DAY + timedelta(days=1)).day == DAY
    with pytest.raises(ExpiredManifestToken):
        read_manifest_token(token, DAY + timedelta(days=2))
    with pytest.raises(BadManifestToken):
        read_manifest_token(token, DAY, secret="another key")
    with pytest.raises(BadManifestToken):
        read_manifest_token(token.replace(".", "x.", 1), DAY)


def test_signing_key_has_a_development_default_only_outside_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No SECRET_KEY: a fixed key in development; set, it is used; production requires it."""
    assert signing_key(get_settings().app) == DEVELOPMENT_SECRET_KEY
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    assert signing_key(AppSettings()) == "s3cret"
    assert signing_key(AppSettings(environment="production")) == "s3cret"
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ValueError, match="SECRET_KEY"):
        AppSettings(environment="production")
