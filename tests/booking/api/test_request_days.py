"""A ride request's times fall on its service date in the organisation's zone; no past days."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from shared.models import RequestKind, RequestSource, RideRequest
from shared.ride_requests import OutsideItsDay, check_day
from tests.booking.api import bodies
from tests.booking.api.conftest import Tenant, count
from tests.conftest import BOOKING_NOW


@pytest.fixture
def booked(ours: Tenant) -> dict[str, int]:
    """A rider, a clinic and a grocery store in our organisation (Toronto time)."""
    return {
        "rider": ours.create("/riders", bodies.rider())["id"],
        "clinic": ours.create("/places", bodies.place())["id"],
        "store": ours.create("/places", bodies.place(name="T&T", kind="grocery"))["id"],
    }


def _problem(response: Any) -> tuple[str, str]:
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["errors"]
    return problem["field"], problem["message"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"earliest_departure": "2026-12-04T09:00:00-05:00"}, "body.earliest_departure",
         "is on 2026-12-04 in America/Toronto, not on service_date 2026-12-03"),
        # 03:00Z on the 3rd is 22:00 on the 2nd in Toronto.
        ({"earliest_departure": "2026-12-03T03:00:00Z"}, "body.earliest_departure",
         "is on 2026-12-02"),
        ({"back_by": "2026-12-04T01:00:00-05:00"}, "body.back_by", "is on 2026-12-04"),
        ({"service_date": "2026-11-19", "earliest_departure": "2026-11-19T09:00:00-05:00"},
         "body.service_date", "2026-11-19 is past (today is 2026-11-20 in America/Toronto)"),
    ],
    ids=["next-day", "utc-evening-before", "back-after-midnight", "past-day"],
)  # fmt: skip
def test_a_grocery_run_outside_its_day_is_refused_and_stores_nothing(
    ours: Tenant,
    engine: Engine,
    booked: dict[str, int],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    body = bodies.grocery(booked["rider"], booked["store"], **changes)
    got_field, got_message = _problem(ours.post("/ride-requests", body))
    assert got_field == field
    assert message in got_message
    assert count(engine, RideRequest) == 0


def test_a_return_pickup_on_another_day_is_refused(ours: Tenant, booked: dict[str, int]) -> None:
    body = bodies.appointment(
        booked["rider"], booked["clinic"], return_pickup_at="2026-12-04T11:30:00-05:00"
    )
    assert _problem(ours.post("/ride-requests", body))[0] == "body.return_pickup_at"


def test_a_late_evening_time_given_in_utc_is_on_its_local_day(
    ours: Tenant, booked: dict[str, int]
) -> None:
    """23:30 in Toronto is 04:30Z the next day: still the service date where the rider is."""
    body = bodies.grocery(
        booked["rider"], booked["store"], earliest_departure="2026-12-04T03:30:00Z"
    )
    created = ours.create("/ride-requests", body)
    assert created["service_date"] == bodies.DAY


def test_today_in_the_organisations_zone_can_still_be_booked(
    ours: Tenant, booked: dict[str, int]
) -> None:
    today = BOOKING_NOW.date().isoformat()
    body = bodies.grocery(
        booked["rider"],
        booked["store"],
        service_date=today,
        earliest_departure=f"{today}T15:00:00-05:00",
    )
    assert ours.create("/ride-requests", body)["service_date"] == today


def test_a_change_that_moves_a_time_off_the_day_is_refused(
    ours: Tenant, booked: dict[str, int]
) -> None:
    created = ours.create("/ride-requests", bodies.grocery(booked["rider"], booked["store"]))
    response = ours.patch(
        f"/ride-requests/{created['id']}", {"earliest_departure": "2026-12-05T09:00:00-05:00"}
    )
    assert _problem(response)[0] == "body.earliest_departure"
    stored = ours.get(f"/ride-requests/{created['id']}").json()
    assert stored["earliest_departure"] == created["earliest_departure"]


def test_the_day_is_taken_in_the_organisations_own_zone() -> None:
    """At 06:00Z it is 01:00 on the 3rd in Toronto but 22:00 on the 2nd in Vancouver."""
    request = RideRequest(
        organisation_id=1,
        rider_id=1,
        kind=RequestKind.GROCERY,
        to_place_id=1,
        service_date=datetime(2026, 12, 2).date(),
        earliest_departure=datetime(2026, 12, 3, 1, 0, tzinfo=UTC),  # 17:00 on the 2nd
        source=RequestSource.API,
        reference_code="ABC234",
    )
    now = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    check_day(request, "America/Vancouver", now)
    with pytest.raises(OutsideItsDay) as refused:
        check_day(request, "America/Toronto", now)
    assert refused.value.field == "service_date"
