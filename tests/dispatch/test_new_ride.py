"""A ride booked by hand: the API's validation, a dispatcher's source, audited, re-planned."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from shared.models import AuditEvent, Place, Rider, RideRequest
from tests.dispatch.conftest import DAY, Scenario, post

URL = f"/dispatch/{DAY.isoformat()}/rides/new"


def _ids(scenario: Scenario) -> tuple[int, int]:
    with Session(scenario.engine) as session:
        rider = session.exec(
            select(Rider).where(Rider.organisation_id == scenario.organisation_id)
        ).first()
        place = session.exec(
            select(Place).where(Place.organisation_id == scenario.organisation_id)
        ).first()
        assert rider is not None and place is not None
        return rider.id or 0, place.id or 0


def test_a_ride_booked_by_hand_is_stored_like_an_api_booking(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    assert dispatcher.get(URL).status_code == 200
    rider_id, place_id = _ids(scenario)
    response: Any = post(
        dispatcher,
        URL,
        {
            "rider_id": str(rider_id),
            "kind": "appointment",
            "to_place_id": str(place_id),
            "time": "10:30",
            "return_time": "12:00",
            "passengers": "1",
            "wheelchair": "1",
        },
    )
    assert response.status_code == 303, response.text
    with Session(scenario.engine) as session:
        ride = session.exec(select(RideRequest).order_by(col(RideRequest.id).desc())).first()
        assert ride is not None and ride.outbound_request_id is not None  # the return leg
        outbound = session.get(RideRequest, ride.outbound_request_id)
        assert outbound is not None
        assert outbound.source.value == "dispatcher" and outbound.wheelchair
        assert outbound.arrive_by is not None and outbound.arrive_by.hour == 15  # 10:30 Toronto
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "add_ride")).one()
    assert event.after is not None and event.after["reference_code"] == outbound.reference_code
    assert response.headers["location"] == f"/dispatch/requests/{outbound.id}"


def test_bad_input_is_refused_with_the_apis_messages_and_nothing_stored(
    scenario: Scenario, dispatcher: TestClient
) -> None:
    rider_id, place_id = _ids(scenario)
    with Session(scenario.engine) as session:
        before = len(session.exec(select(RideRequest)).all())
    for data, expected in (
        (
            {"rider_id": str(rider_id), "kind": "appointment", "to_place_id": str(place_id)},
            "arrive_by",
        ),
        (
            {
                "rider_id": str(rider_id),
                "kind": "grocery",
                "to_place_id": str(place_id),
                "time": "25:99",
            },
            "HH:MM",
        ),
        (
            {
                "rider_id": str(scenario.other.rider_id),
                "kind": "grocery",
                "to_place_id": str(place_id),
                "time": "10:00",
            },
            "rider",
        ),
        (
            {
                "rider_id": str(rider_id),
                "kind": "grocery",
                "to_place_id": str(place_id),
                "time": "10:00",
                "passengers": "40",
            },
            "passengers",
        ),
    ):
        response: Any = post(dispatcher, URL, data)
        assert response.status_code == 400, data
        assert expected in response.text, (data, response.text[:2000])
    with Session(scenario.engine) as session:
        assert len(session.exec(select(RideRequest)).all()) == before


def test_a_viewer_cannot_book(scenario: Scenario, viewer: TestClient) -> None:
    assert viewer.get(URL).status_code == 403
    rider_id, place_id = _ids(scenario)
    response: Any = post(
        viewer,
        URL,
        {
            "rider_id": str(rider_id),
            "kind": "grocery",
            "to_place_id": str(place_id),
            "time": "10:00",
        },
    )
    assert response.status_code == 403
