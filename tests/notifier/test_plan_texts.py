"""Publishing a plan texts each driver and rider once, and reminders go out once a day."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from devtools.deployment import draft_plan, seed_city
from notifier.plan_texts import write_plan_texts, write_reminders
from scheduler.planning import PlanResult, plan_and_store
from shared.consent import record_consent
from shared.db import make_engine
from shared.errors import Conflict
from shared.models import (
    AuditEvent,
    ConsentState,
    Driver,
    Message,
    Plan,
    PlanState,
    RequestStatus,
    Rider,
    RideRequest,
)
from shared.publishing import publish_plan
from shared.request_status import SMS_ACTOR, change_status
from shared.sample import SampleSize
from tests.conftest import _truncate_all, seeded_organisation

DAY = date(2026, 12, 3)
BASE = "https://rides.example.org"


@pytest.fixture
def planned(engine: Engine) -> PlanResult:
    org_id = seeded_organisation(engine, DAY, SampleSize(drivers=6, riders=12, requests=8))
    return plan_and_store(org_id, DAY, time_limit=1, engine=engine)


def _publish(engine: Engine, plan_id: int) -> None:
    with Session(engine) as session:
        publish_plan(session, plan_id, "dispatcher@example.org")
        session.commit()


def _announce(engine: Engine, plan_id: int) -> int:
    """Publish a draft plan and write its texts; return how many were written."""
    _publish(engine, plan_id)
    with Session(engine) as session:
        written = write_plan_texts(session, plan_id, BASE)
        session.commit()
    return written


def _plan_again(engine: Engine, planned: PlanResult) -> PlanResult:
    """A new draft of the same day (with the published plan to stay close to)."""
    org_id = planned.day.organisation.id
    assert org_id is not None
    return plan_and_store(org_id, DAY, time_limit=1, engine=engine)


def _texts(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        return list(session.exec(select(Message)).all())


def test_publishing_texts_every_driver_and_served_rider_once(
    engine: Engine, planned: PlanResult
) -> None:
    _publish(engine, planned.plan_id)
    with Session(engine) as session:
        assert write_plan_texts(session, planned.plan_id, BASE) > 0
        session.commit()
        assert write_plan_texts(session, planned.plan_id, BASE) == 0
        drivers = {d.phone for d in session.exec(select(Driver)).all()}
        riders = {r.phone for r in session.exec(select(Rider)).all()}
    texts = _texts(engine)
    driver_texts = [t for t in texts if t.to_number in drivers]
    assert len(driver_texts) == len(planned.solution.routes)
    assert all(t.template == "driver_day_route" for t in driver_texts)
    served_legs = sum(len(r.visits) // 2 for r in planned.solution.routes)
    confirmations = [t for t in texts if t.template == "booking_confirmed"]
    assert len(confirmations) == served_legs
    assert {t.to_number for t in confirmations} <= riders
    assert all(t.segments <= 2 for t in confirmations)


def test_publishing_sets_request_statuses_and_supersedes_the_old_plan(
    engine: Engine, planned: PlanResult
) -> None:
    _publish(engine, planned.plan_id)
    served = {
        planned.day.legs[v.request].request_id for r in planned.solution.routes for v in r.visits
    }
    with Session(engine) as session:
        for request in session.exec(select(RideRequest)).all():
            expected = RequestStatus.SCHEDULED if request.id in served else RequestStatus.UNMET
            assert request.status == expected
    _publish(engine, _plan_again(engine, planned).plan_id)
    with Session(engine) as session:
        states = {p.version: p.state for p in session.exec(select(Plan)).all()}
    assert states == {1: PlanState.SUPERSEDED, 2: PlanState.PUBLISHED}


def test_a_published_plan_cannot_be_published_again(engine: Engine, planned: PlanResult) -> None:
    _publish(engine, planned.plan_id)
    with Session(engine) as session, pytest.raises(Conflict, match="only a draft"):
        publish_plan(session, planned.plan_id, "someone")


def test_an_unchanged_republication_texts_nobody(engine: Engine, planned: PlanResult) -> None:
    _announce(engine, planned.plan_id)
    before = len(_texts(engine))
    # Same seed, same problem (now with the previous plan to stay close to): same routes.
    again = _plan_again(engine, planned)
    written = _announce(engine, again.plan_id)
    changed = {
        v.request
        for r in again.solution.routes
        for v in r.visits
        if planned.solution.route_of(r.vehicle) is None
        or v not in planned.solution.route_of(r.vehicle).visits  # type: ignore[union-attr]
    }
    assert written <= 2 * len(changed) + len(again.solution.routes)
    assert len(_texts(engine)) == before + written


def test_an_opted_out_rider_is_not_texted(engine: Engine, planned: PlanResult) -> None:
    rider_ids = {
        planned.day.legs[v.request].request_id for r in planned.solution.routes for v in r.visits
    }
    with Session(engine) as session:
        request = session.get(RideRequest, next(iter(rider_ids)))
        assert request is not None
        rider = session.get(Rider, request.rider_id)
        assert rider is not None and rider.organisation_id is not None
        record_consent(
            session,
            rider.organisation_id,
            rider.phone,
            ConsentState.OPTED_OUT,
            keyword="STOP",
            source="sms",
        )
        session.commit()
        phone = rider.phone
    _publish(engine, planned.plan_id)
    with Session(engine) as session:
        write_plan_texts(session, planned.plan_id, BASE)
        session.commit()
    assert phone not in {t.to_number for t in _texts(engine)}


def test_reminders_are_written_once_per_day(engine: Engine, planned: PlanResult) -> None:
    org_id = planned.day.organisation.id
    assert org_id is not None
    with Session(engine) as session:
        assert write_reminders(session, org_id, DAY) == 0  # nothing published yet
    _publish(engine, planned.plan_id)
    with Session(engine) as session:
        first = write_reminders(session, org_id, DAY)
        session.commit()
    with Session(engine) as session:
        second = write_reminders(session, org_id, DAY)
        session.commit()
    assert first > 0 and second == 0
    reminders = [t for t in _texts(engine) if t.template == "ride_reminder"]
    assert len(reminders) == first


def test_a_ride_cancelled_by_a_dispatcher_is_texted_to_its_rider_at_the_next_publication(
    engine: Engine, planned: PlanResult
) -> None:
    """The rider who cancelled by SMS had the answer in the reply, so hears nothing more."""
    _announce(engine, planned.plan_id)
    served: dict[int, int] = {}  # rider id -> one of their served outbound requests
    for route in planned.solution.routes:
        for visit in route.visits:
            leg = planned.day.legs[visit.request]
            with Session(engine) as session:
                request = session.get(RideRequest, leg.request_id)
                assert request is not None
                if request.outbound_request_id is None:
                    served.setdefault(request.rider_id, leg.request_id)
    assert len(served) >= 2, "the scenario needs two riders with served rides"
    by_dispatcher, by_sms = list(served.values())[:2]
    with Session(engine) as session:
        for request_id, actor in ((by_dispatcher, "dispatcher@example.org"), (by_sms, SMS_ACTOR)):
            request = session.get(RideRequest, request_id)
            assert request is not None
            session.add(change_status(request, RequestStatus.CANCELLED, "no longer needed", actor))
            session.add(request)
        session.commit()
    before = len(_texts(engine))
    _announce(engine, _plan_again(engine, planned).plan_id)
    with Session(engine) as session:
        rider = session.get(Rider, next(r for r, q in served.items() if q == by_dispatcher))
        assert rider is not None
    cancellations = [t for t in _texts(engine)[before:] if t.template == "booking_cancelled"]
    assert [(t.to_number, t.request_id) for t in cancellations] == [(rider.phone, by_dispatcher)]
    assert cancellations[0].segments <= 2


# --- two processes at once (issue 15): the plan row is locked, so each runs exactly once -----


@pytest.fixture
def pg_city(postgres_database: str) -> Iterator[tuple[Engine, int]]:
    """PostgreSQL (row locks) with a hand-made draft plan of 2 drivers and 4 riders."""
    engine = make_engine(postgres_database)
    city = seed_city(engine, riders=4, drivers=2)
    yield engine, draft_plan(engine, city, DAY, rides_per_driver=2)
    _truncate_all(engine)
    engine.dispose()


def _while_holding(engine: Engine, first: Callable[[Session], object],
                   second: Callable[[Session], object]) -> object:  # fmt: skip
    """Run ``second`` in another thread while ``first``'s transaction is open; commit ``first``
    once ``second`` has had time to reach the database; return what ``second`` gave (or raised)."""
    outcome: list[object] = []

    def run() -> None:
        with Session(engine) as other:
            try:
                outcome.append(second(other))
                other.commit()
            except Exception as exc:
                outcome.append(exc)

    with Session(engine) as session:
        first(session)
        session.flush()
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=1.0)  # it waits on the lock, so it cannot have finished
        assert thread.is_alive(), "the second call did not wait for the first's lock"
        session.commit()
    thread.join(timeout=30)
    return outcome[0]


def test_a_plan_published_twice_at_once_is_published_once(pg_city: tuple[Engine, int]) -> None:
    engine, plan_id = pg_city
    second = _while_holding(
        engine,
        lambda s: publish_plan(s, plan_id, "web-1"),
        lambda s: publish_plan(s, plan_id, "web-2"),
    )
    assert isinstance(second, Conflict)
    with Session(engine) as session:
        audits = session.exec(select(AuditEvent).where(AuditEvent.action == "publish_plan"))
        assert [a.actor for a in audits] == ["web-1"]


def test_two_notify_jobs_at_once_write_the_plans_texts_once(pg_city: tuple[Engine, int]) -> None:
    engine, plan_id = pg_city
    _publish(engine, plan_id)
    second = _while_holding(
        engine,
        lambda s: write_plan_texts(s, plan_id, BASE),
        lambda s: write_plan_texts(s, plan_id, BASE),
    )
    assert second == 0
    assert len(_texts(engine)) == 2 + 4  # each driver and each rider once
