"""The data model's constraints hold in the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from shared.models import (
    AssignmentLock,
    Driver,
    DriverAvailability,
    InboundMessage,
    LockKind,
    Message,
    MessageStatus,
    Organisation,
    Place,
    PlaceKind,
    Plan,
    PlanState,
    RequestKind,
    RequestSource,
    Rider,
    RideRequest,
)


def _org(session: Session, slug: str = "org") -> Organisation:
    org = Organisation(slug=slug, name=slug.title())
    session.add(org)
    session.commit()
    return org


def _rider(session: Session, org: Organisation, phone: str = "+14165550101") -> Rider:
    assert org.id is not None
    rider = Rider(organisation_id=org.id, name="Chan Tai Man", phone=phone)
    session.add(rider)
    session.commit()
    return rider


def _place(session: Session, org: Organisation) -> Place:
    assert org.id is not None
    place = Place(
        organisation_id=org.id, name="T&T", kind=PlaceKind.GROCERY, latitude=43.7, longitude=-79.3
    )
    session.add(place)
    session.commit()
    return place


def _request(org: Organisation, rider: Rider, place: Place, code: str = "ABC234") -> RideRequest:
    assert org.id is not None and rider.id is not None
    return RideRequest(
        organisation_id=org.id,
        rider_id=rider.id,
        kind=RequestKind.APPOINTMENT,
        to_place_id=place.id,
        service_date=date(2026, 12, 3),
        arrive_by=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        source=RequestSource.API,
        reference_code=code,
    )


def test_a_phone_number_is_unique_within_an_organisation(session: Session) -> None:
    org = _org(session)
    _rider(session, org)
    with pytest.raises(IntegrityError):
        _rider(session, org)


def test_a_database_error_does_not_carry_the_rows_personal_data(session: Session) -> None:
    """Error messages go to the logs; the engine hides the SQL parameters (names, phones)."""
    org = _org(session)
    _rider(session, org)
    with pytest.raises(IntegrityError) as refused:
        _rider(session, org)
    message = str(refused.value)
    assert "hidden due to hide_parameters=True" in message
    assert "Chan Tai Man" not in message


def test_the_same_phone_may_ride_with_two_organisations(session: Session) -> None:
    _rider(session, _org(session, "one"))
    rider = _rider(session, _org(session, "two"))
    assert rider.id is not None


def test_the_database_refuses_a_value_outside_an_enum(session: Session) -> None:
    org = _org(session)
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO rider (organisation_id, name, phone, preferred_language, "
                "home_address, wheelchair, walker, service_animal, seats_needed, notes, "
                "consent_state, review_state, active, created_at) VALUES "
                "(:org, 'x', '+14165550102', 'klingon', '', false, false, false, 1, '', "
                "'unknown', 'approved', true, CURRENT_TIMESTAMP)"
            ),
            {"org": org.id},
        )
        session.commit()


def test_the_database_refuses_an_impossible_seat_count(session: Session) -> None:
    org = _org(session)
    assert org.id is not None
    session.add(
        Driver(
            organisation_id=org.id,
            name="Ben",
            phone="+16475550101",
            seats=0,
            home_latitude=43.7,
            home_longitude=-79.4,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_request_must_name_an_existing_rider(session: Session) -> None:
    org = _org(session)
    place = _place(session, org)
    rider = Rider(id=999, organisation_id=org.id or 0, name="ghost", phone="+1")
    session.add(_request(org, rider, place))
    with pytest.raises(IntegrityError):
        session.commit()


def test_an_appointment_needs_an_arrival_time_in_the_database(session: Session) -> None:
    org = _org(session)
    rider = _rider(session, org)
    request = _request(org, rider, _place(session, org))
    request.arrive_by = None
    session.add(request)
    with pytest.raises(IntegrityError):
        session.commit()


def test_reference_codes_are_unique_within_an_organisation(session: Session) -> None:
    org = _org(session)
    rider = _rider(session, org)
    place = _place(session, org)
    session.add(_request(org, rider, place))
    session.commit()
    session.add(_request(org, rider, place))
    with pytest.raises(IntegrityError):
        session.commit()


def test_only_one_plan_per_day_is_published(session: Session) -> None:
    org = _org(session)
    assert org.id is not None
    day = date(2026, 12, 3)
    session.add(
        Plan(organisation_id=org.id, service_date=day, version=1, state=PlanState.PUBLISHED)
    )
    session.add(Plan(organisation_id=org.id, service_date=day, version=2, state=PlanState.DRAFT))
    session.commit()
    session.add(
        Plan(organisation_id=org.id, service_date=day, version=3, state=PlanState.PUBLISHED)
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_pin_lock_needs_a_driver(session: Session) -> None:
    org = _org(session)
    rider = _rider(session, org)
    request = _request(org, rider, _place(session, org))
    session.add(request)
    session.commit()
    assert org.id is not None and request.id is not None
    session.add(AssignmentLock(organisation_id=org.id, request_id=request.id, kind=LockKind.PIN))
    with pytest.raises(IntegrityError):
        session.commit()


def test_availability_must_end_after_it_starts(session: Session) -> None:
    org = _org(session)
    assert org.id is not None
    driver = Driver(
        organisation_id=org.id,
        name="Ben",
        phone="+16475550101",
        home_latitude=43.7,
        home_longitude=-79.4,
    )
    session.add(driver)
    session.commit()
    assert driver.id is not None
    session.add(
        DriverAvailability(driver_id=driver.id, weekday=1, start_time=time(14), end_time=time(9))
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_an_inbound_message_id_is_stored_once(session: Session) -> None:
    for _ in range(2):
        session.add(
            InboundMessage(provider_message_id="SM1", from_number="+14165550101", to_number="+1")
        )
    with pytest.raises(IntegrityError):
        session.commit()


def test_times_come_back_aware_and_in_utc(session: Session) -> None:
    org = _org(session)
    assert org.id is not None
    sent = datetime.fromisoformat("2026-12-03T10:00:00-05:00")
    message = Message(
        organisation_id=org.id,
        to_number="+14165550101",
        from_number="+14165550100",
        body="hi",
        sent_at=sent,
        status=MessageStatus.SENT,
    )
    session.add(message)
    session.commit()
    session.expire_all()
    stored = session.get(Message, message.id)
    assert stored is not None and stored.sent_at is not None
    assert stored.sent_at == sent
    assert stored.sent_at.utcoffset() is not None
    assert stored.status is MessageStatus.SENT


def test_a_naive_time_is_refused_rather_than_guessed(session: Session) -> None:
    org = _org(session)
    assert org.id is not None
    session.add(
        Message(
            organisation_id=org.id,
            to_number="+1",
            from_number="+1",
            body="hi",
            sent_at=datetime(2026, 12, 3, 10, 0),
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()
