"""Ride requests through the API: booking, return legs, changes, cancelling, re-plans."""

from __future__ import annotations

from datetime import date, timedelta

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shared import outbox
from shared.models import ReplanTicket, RequestStatusEvent, RideRequest
from shared.ride_requests import REFERENCE_ALPHABET
from tests.booking.api import bodies
from tests.booking.api.conftest import Tenant


@pytest.fixture
def booked(ours: Tenant) -> dict[str, int]:
    """A rider, a clinic and a grocery store in our organisation."""
    return {
        "rider": ours.create("/riders", bodies.rider())["id"],
        "clinic": ours.create("/places", bodies.place())["id"],
        "store": ours.create("/places", bodies.place(name="T&T", kind="grocery"))["id"],
    }


def _events(engine: Engine, request_id: int) -> list[tuple[str | None, str, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(RequestStatusEvent)
            .where(RequestStatusEvent.request_id == request_id)
            .order_by(RequestStatusEvent.id)  # type: ignore[arg-type]
        ).all()
        return [(row.from_status, row.to_status.value, row.reason) for row in rows]


def _ticket_count(engine: Engine, organisation_id: int) -> int:
    with Session(engine) as session:
        tickets = session.exec(
            select(ReplanTicket).where(ReplanTicket.organisation_id == organisation_id)
        ).all()
        assert all(ticket.service_date == date.fromisoformat(bodies.DAY) for ticket in tickets)
        return len(tickets)


def test_the_server_sets_source_status_code_and_the_kinds_priority(
    ours: Tenant, booked: dict[str, int]
) -> None:
    created = ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    assert created["source"] == "api" and created["status"] == "requested"
    assert created["priority"] == 1  # groceries come after appointments
    code = created["reference_code"]
    assert len(code) == 6 and set(code) <= set(REFERENCE_ALPHABET)


def test_a_priority_sent_by_the_client_is_kept(ours: Tenant, booked: dict[str, int]) -> None:
    body = bodies.grocery(booked["rider"], booked["store"], priority=7)
    assert ours.create("/ride-requests", body)["priority"] == 7


def test_an_appointment_with_a_return_pickup_books_its_return_leg(
    ours: Tenant, booked: dict[str, int]
) -> None:
    outbound = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    assert outbound["priority"] == 3
    legs = ours.get("/ride-requests", outbound_request_id=outbound["id"]).json()["items"]
    assert len(legs) == 1
    leg = legs[0]
    assert (leg["from_place_id"], leg["to_place_id"]) == (booked["clinic"], None)
    assert leg["earliest_departure"] == "2026-12-03T16:30:00Z"
    assert leg["arrive_by"] is None and leg["kind"] == "appointment"
    assert leg["reference_code"] != outbound["reference_code"]


def test_an_appointment_without_a_return_pickup_is_one_row(
    ours: Tenant, booked: dict[str, int]
) -> None:
    body = bodies.appointment(booked["rider"], booked["clinic"], return_pickup_at=None)
    ours.create("/ride-requests", body)
    assert ours.get("/ride-requests").json()["total"] == 1


def test_booking_records_history_and_queues_one_replan_of_the_day(
    ours: Tenant, booked: dict[str, int], engine: Engine
) -> None:
    created = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    assert _events(engine, created["id"]) == [(None, "requested", "booked through the API")]
    assert _ticket_count(engine, ours.organisation_id) == 1


def test_changing_the_return_pickup_moves_the_return_leg(
    ours: Tenant, booked: dict[str, int], engine: Engine
) -> None:
    outbound = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    response = ours.patch(
        f"/ride-requests/{outbound['id']}",
        {"return_pickup_at": "2026-12-03T13:00:00-05:00", "passengers": 2},
    )
    assert response.status_code == 200, response.text
    assert response.json()["passengers"] == 2
    leg = ours.get("/ride-requests", outbound_request_id=outbound["id"]).json()["items"][0]
    assert leg["earliest_departure"] == "2026-12-03T18:00:00Z" and leg["passengers"] == 2
    assert _ticket_count(engine, ours.organisation_id) == 1


def test_removing_the_return_pickup_cancels_the_return_leg(
    ours: Tenant, booked: dict[str, int]
) -> None:
    outbound = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    ours.patch(f"/ride-requests/{outbound['id']}", {"return_pickup_at": None})
    leg = ours.get("/ride-requests", outbound_request_id=outbound["id"]).json()["items"][0]
    assert leg["status"] == "cancelled" and leg["status_reason"] == "return trip removed"


def test_a_return_leg_is_changed_through_its_outbound(ours: Tenant, booked: dict[str, int]) -> None:
    outbound = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    leg = ours.get("/ride-requests", outbound_request_id=outbound["id"]).json()["items"][0]
    response = ours.patch(f"/ride-requests/{leg['id']}", {"passengers": 3})
    assert response.status_code == 409
    assert f"outbound request {outbound['id']}" in response.json()["error"]["message"]


def test_a_patch_that_leaves_an_appointment_without_a_time_is_refused(
    ours: Tenant, booked: dict[str, int]
) -> None:
    outbound = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    response = ours.patch(f"/ride-requests/{outbound['id']}", {"arrive_by": None})
    assert response.status_code == 422
    assert "appointment needs arrive_by" in response.text


def test_a_return_pickup_before_the_appointment_is_refused(
    ours: Tenant, booked: dict[str, int]
) -> None:
    body = bodies.appointment(
        booked["rider"], booked["clinic"], return_pickup_at="2026-12-03T09:00:00-05:00"
    )
    response = ours.post("/ride-requests", body)
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["field"] == "body.return_pickup_at"


def test_cancelling_sets_the_status_records_why_and_cancels_the_return_leg(
    ours: Tenant, booked: dict[str, int], engine: Engine
) -> None:
    outbound = ours.create("/ride-requests", bodies.appointment(booked["rider"], booked["clinic"]))
    response = ours.post(f"/ride-requests/{outbound['id']}/cancel", {"reason": "feeling unwell"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["status_reason"] == "feeling unwell"
    assert _events(engine, outbound["id"])[-1] == ("requested", "cancelled", "feeling unwell")
    leg = ours.get("/ride-requests", outbound_request_id=outbound["id"]).json()["items"][0]
    assert leg["status"] == "cancelled"
    assert _ticket_count(engine, ours.organisation_id) == 1


def test_cancelling_twice_is_a_conflict(ours: Tenant, booked: dict[str, int]) -> None:
    created = ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    ours.post(f"/ride-requests/{created['id']}/cancel", {"reason": "plans changed"})
    again = ours.post(f"/ride-requests/{created['id']}/cancel", {"reason": "plans changed"})
    assert again.status_code == 409
    assert ours.patch(f"/ride-requests/{created['id']}", {"notes": "x"}).status_code == 409


def test_a_cancel_needs_a_reason(ours: Tenant, booked: dict[str, int], engine: Engine) -> None:
    created = ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    response = ours.post(f"/ride-requests/{created['id']}/cancel", {"reason": ""})
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["field"] == "body.reason"
    with Session(engine) as session:
        row = session.get(RideRequest, created["id"])
        assert row is not None and row.status.value == "requested"


def test_requests_are_filtered_by_day_status_rider_and_kind(
    ours: Tenant, booked: dict[str, int]
) -> None:
    other = ours.create("/riders", bodies.rider(phone="4165550177"))["id"]
    ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    ours.create(
        "/ride-requests",
        bodies.grocery(
            other,
            booked["store"],
            service_date="2026-12-04",
            earliest_departure="2026-12-04T09:00:00-05:00",
        ),
    )
    ours.create("/ride-requests", bodies.appointment(other, booked["clinic"]))
    assert ours.get("/ride-requests", service_date=bodies.DAY).json()["total"] == 3
    assert ours.get("/ride-requests", rider_id=other).json()["total"] == 3
    assert ours.get("/ride-requests", kind="grocery").json()["total"] == 2
    assert ours.get("/ride-requests", kind="grocery", rider_id=other).json()["total"] == 1
    assert ours.get("/ride-requests", status="cancelled").json()["total"] == 0


def test_a_deactivated_rider_cannot_book(ours: Tenant, booked: dict[str, int]) -> None:
    ours.post(f"/riders/{booked['rider']}/deactivate", None)
    response = ours.post("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    assert response.status_code == 422
    assert "deactivated" in response.json()["error"]["message"]


def test_the_replan_job_is_enqueued_after_commit_with_the_tickets_token(
    ours: Tenant, booked: dict[str, int], engine: Engine, scheduler_queue: StubBroker
) -> None:
    ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    queued = scheduler_queue.queues["scheduler.DQ"]
    assert queued.qsize() == 1
    message = dramatiq.Message.decode(queued.get())
    with Session(engine) as session:
        ticket = session.exec(select(ReplanTicket)).one()
    assert message.actor_name == "plan_day"
    assert list(message.args) == [ours.organisation_id, bodies.DAY, ticket.token]


def test_a_refused_change_queues_no_replan(
    ours: Tenant, booked: dict[str, int], engine: Engine, scheduler_queue: StubBroker
) -> None:
    response = ours.post("/ride-requests", bodies.grocery(booked["rider"], 99))
    assert response.status_code == 422
    assert _ticket_count(engine, ours.organisation_id) == 0
    assert scheduler_queue.queues["scheduler.DQ"].qsize() == 0


def test_a_ticket_added_concurrently_is_updated_instead_and_the_booking_kept(
    ours: Tenant, booked: dict[str, int], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates losing the race for the day's first ticket: the first attempt fails on the
    # unique key after another transaction added the ticket; the retry must update that one.
    attempts: list[int] = []
    renew = outbox._renew_ticket

    def racing(
        session: Session, organisation_id: int, day: date, debounce: timedelta
    ) -> ReplanTicket:
        attempts.append(1)
        if len(attempts) == 1:
            # SQLite serialises writers, so only PostgreSQL can hold the winner's row meanwhile.
            if engine.dialect.name == "postgresql":
                with Session(engine) as other:
                    renew(other, organisation_id, day, debounce)
                    other.commit()
            raise IntegrityError("INSERT INTO replan_ticket", {}, Exception("uq_replan_org_day"))
        return renew(session, organisation_id, day, debounce)

    monkeypatch.setattr(outbox, "_renew_ticket", racing)
    created = ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    assert len(attempts) == 2
    assert ours.get(f"/ride-requests/{created['id']}").status_code == 200
    assert _ticket_count(engine, ours.organisation_id) == 1
