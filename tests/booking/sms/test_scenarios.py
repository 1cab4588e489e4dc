"""Every scripted conversation of ``tests/booking/scenarios.py``, replayed through HTTP.

Each scenario starts from a clean database: the organisation with the scenario places, the
scenario's rider (if any) with their upcoming rides, and the opt-out flag as the scenario says.
Each step is a signed webhook at the scenario's time; the TwiML reply must hold the step's
fragments (or be empty for silence) and the database must show exactly the expected actions:
ride requests booked or cancelled, riders registered for review, consent changes, languages,
dispatcher flags.

Each scenario gets an organisation of its own (see ``shared_engine``): a clean slate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.booking.conversation._model import NEEDS
from shared.models import (
    AuditEvent,
    ConsentEvent,
    ConsentState,
    Conversation,
    RequestKind,
    RequestSource,
    RequestStatus,
    RequestStatusEvent,
    ReviewState,
    Rider,
    RideRequest,
)
from shared.segments import segment_count
from tests.booking.scenarios import SCENARIOS, ExpectAction, Scenario, scenario_phone
from tests.booking.sms.conftest import (
    Clock,
    Phone,
    World,
    client_for,
    local_time,
    new_world,
    opt_out_stranger,
    seed_rider,
)


@dataclass(frozen=True)
class Snapshot:
    """What the database holds for the organisation, as far as actions can change it."""

    bookings: tuple[int, ...]
    cancelled: frozenset[str]
    riders: int
    consents: int
    flags: int


def _snapshot(engine: Engine, org_id: int) -> Snapshot:
    with Session(engine) as session:
        bookings = session.exec(
            select(RideRequest.id)
            .where(
                RideRequest.organisation_id == org_id,
                RideRequest.source == RequestSource.SMS,
                col(RideRequest.outbound_request_id).is_(None),
            )
            .order_by(col(RideRequest.id))
        ).all()
        cancelled = session.exec(
            select(RideRequest.reference_code).where(
                RideRequest.organisation_id == org_id,
                RideRequest.status == RequestStatus.CANCELLED,
                col(RideRequest.outbound_request_id).is_(None),
            )
        ).all()
        riders = len(session.exec(select(Rider.id).where(Rider.organisation_id == org_id)).all())
        consents = len(
            session.exec(
                select(ConsentEvent.id).where(ConsentEvent.organisation_id == org_id)
            ).all()
        )
        flags = len(
            session.exec(
                select(AuditEvent.id).where(
                    AuditEvent.organisation_id == org_id,
                    AuditEvent.action == "flag_for_dispatcher",
                )
            ).all()
        )
    return Snapshot(
        tuple(i for i in bookings if i is not None), frozenset(cancelled), riders, consents, flags
    )


def _check_booking(
    world: World, request_id: int, expected: ExpectAction, reply: str, zone: str
) -> str:
    """Compare the stored request with the action's expected fields; return its code."""
    fields = dict(expected.fields)
    with Session(world.engine) as session:
        row = session.get(RideRequest, request_id)
        assert row is not None
        leg = session.exec(
            select(RideRequest).where(RideRequest.outbound_request_id == request_id)
        ).first()
        events = session.exec(
            select(RequestStatusEvent).where(RequestStatusEvent.request_id == request_id)
        ).all()
    assert (row.status, row.source, row.status_changed_by) == (
        RequestStatus.REQUESTED,
        RequestSource.SMS,
        "sms",
    )
    assert [(e.to_status, e.changed_by) for e in events] == [(RequestStatus.REQUESTED, "sms")]
    assert row.reference_code in reply, "the reply must give the stored reference code"
    assert row.arrive_by is not None
    checks = {
        "kind": row.kind.value,
        "place_id": next(k for k, v in world.place_ids.items() if v == row.to_place_id),
        "ride_date": row.service_date.isoformat(),
        "ride_time": str(local_time(row.arrive_by, zone)),
        "at_utc": row.arrive_by.isoformat(),
        "passengers": row.passengers,
        "needs": [need for need in NEEDS if getattr(row, need)],
    }
    for name, value in checks.items():
        if name in fields:
            assert value == fields[name], f"{name}: stored {value!r}, expected {fields[name]!r}"
    appointment = row.kind == RequestKind.APPOINTMENT
    if fields.get("return_trip") is False:
        assert (leg, row.back_by, row.store_minutes, row.return_pickup_at) == (None,) * 4
    if "return_home_by" in fields:
        assert str(local_time(row.back_by, zone)) == fields["return_home_by"]
    if "return_pickup_time" in fields:
        if appointment:
            assert leg is not None and leg.status == RequestStatus.REQUESTED
            assert leg.source == RequestSource.SMS and leg.rider_id == row.rider_id
            assert (leg.from_place_id, leg.to_place_id) == (row.to_place_id, None)
            assert str(local_time(leg.earliest_departure, zone)) == fields["return_pickup_time"]
        else:
            assert row.store_minutes is not None
            back = row.arrive_by + timedelta(minutes=row.store_minutes)
            assert str(local_time(back, zone)) == fields["return_pickup_time"]
    if "return_wait_minutes" in fields:
        wait = fields["return_wait_minutes"]
        if appointment:
            assert leg is not None and leg.earliest_departure is not None
            assert leg.earliest_departure - row.arrive_by == timedelta(minutes=int(str(wait)))
        else:
            assert row.store_minutes == wait
    return row.reference_code


def _check_step_rows(
    world: World,
    phone: str,
    step_actions: tuple[ExpectAction, ...],
    before: Snapshot,
    after: Snapshot,
    reply: str,
    zone: str,
) -> str | None:
    """Assert the step changed exactly what its actions say; return a new booking's code."""
    kinds = Counter(action.type for action in step_actions)
    new_bookings = [i for i in after.bookings if i not in before.bookings]
    assert len(new_bookings) == kinds["CreateRideRequest"], "ride requests created"
    assert after.riders - before.riders == kinds["RegisterRider"], "riders registered"
    assert after.consents - before.consents == kinds["OptOut"] + kinds["OptIn"], "consents"
    assert after.flags - before.flags == kinds["FlagForDispatcher"], "dispatcher flags"
    newly_cancelled = after.cancelled - before.cancelled
    assert len(newly_cancelled) == kinds["CancelRide"], "rides cancelled"
    code = None
    bookings = iter(new_bookings)
    with Session(world.engine) as session:
        for action in step_actions:
            fields = action.fields
            if action.type == "CreateRideRequest":
                code = _check_booking(world, next(bookings), action, reply, zone)
            elif action.type == "CancelRide":
                if "reference_code" in fields:
                    assert newly_cancelled == {fields["reference_code"]}
                [cancelled] = newly_cancelled
                request = session.exec(
                    select(RideRequest).where(
                        RideRequest.organisation_id == world.organisation_id,
                        RideRequest.reference_code == cancelled,
                    )
                ).one()
                last = session.exec(
                    select(RequestStatusEvent)
                    .where(RequestStatusEvent.request_id == request.id)
                    .order_by(col(RequestStatusEvent.id).desc())
                ).first()
                assert last is not None
                assert (last.to_status, last.changed_by) == (RequestStatus.CANCELLED, "sms")
            elif action.type == "RegisterRider":
                rider = session.exec(
                    select(Rider).where(
                        Rider.organisation_id == world.organisation_id, Rider.phone == phone
                    )
                ).one()
                assert rider.review_state == ReviewState.PENDING
                assert rider.name == fields.get("name", rider.name)
                assert rider.home_address == fields.get("home_address", rider.home_address)
                assert rider.preferred_language.value == fields.get(
                    "language", rider.preferred_language.value
                )
                audit = session.exec(
                    select(AuditEvent).where(
                        AuditEvent.organisation_id == world.organisation_id,
                        AuditEvent.action == "register_rider",
                    )
                ).one()
                assert audit.entity_id == rider.id
            elif action.type in ("OptOut", "OptIn"):
                event = session.exec(
                    select(ConsentEvent)
                    .where(ConsentEvent.organisation_id == world.organisation_id)
                    .order_by(col(ConsentEvent.id).desc())
                ).first()
                assert event is not None and event.source == "sms"
                state = ConsentState.OPTED_OUT if action.type == "OptOut" else ConsentState.OPTED_IN
                assert (event.phone, event.state) == (phone, state)
                assert event.keyword == fields.get("keyword", event.keyword)
            elif action.type == "SetLanguage":
                conversation = session.exec(
                    select(Conversation).where(
                        Conversation.organisation_id == world.organisation_id,
                        Conversation.phone == phone,
                    )
                ).one()
                assert conversation.language.value == fields["language"]
                speaker = session.exec(
                    select(Rider).where(
                        Rider.organisation_id == world.organisation_id, Rider.phone == phone
                    )
                ).first()
                if speaker is not None:
                    assert speaker.preferred_language.value == fields["language"]
    return code


def _start(scenario: Scenario, engine: Engine) -> tuple[World, Phone, Clock]:
    world = new_world(engine, scenario.time_zone)
    phone = scenario_phone(scenario)
    if scenario.rider is not None:
        seed_rider(world, scenario.rider, opted_out=scenario.opted_out)
    elif scenario.opted_out:
        opt_out_stranger(world, phone)
    clock = Clock(scenario.start)
    return world, Phone(client_for(engine, clock), phone, to=world.number), clock


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{i:02d}" for i in range(len(SCENARIOS))])
def test_a_scripted_conversation_gives_the_same_replies_and_rows_through_the_webhook(
    scenario: Scenario, shared_engine: Engine
) -> None:
    world, phone, clock = _start(scenario, shared_engine)
    with phone.client:
        _play(world, phone, clock, scenario)


def _play(world: World, phone: Phone, clock: Clock, scenario: Scenario) -> None:
    engine = world.engine
    last_code = "NONE"
    for index, step in enumerate(scenario.steps):
        where = f"{scenario.name!r}, step {index} ({step.text[:40]!r})"
        if index:
            clock.advance(step.minutes_later)
        before = _snapshot(engine, world.organisation_id)
        reply = phone.send(step.text.replace("{last_code}", last_code), num_media=step.num_media)
        after = _snapshot(engine, world.organisation_id)
        if step.silent:
            assert reply is None, f"{where}: expected silence, got {reply!r}"
        else:
            assert reply is not None, f"{where}: expected a reply"
            for fragment in step.reply:
                assert fragment.lower() in reply.lower(), f"{where}: {fragment!r} not in {reply!r}"
            assert segment_count(reply) <= 2, f"{where}: reply too long: {reply!r}"
        code = _check_step_rows(
            world, phone.number, step.actions, before, after, reply or "", scenario.time_zone
        )
        last_code = code or last_code


def test_the_replay_covers_every_scripted_conversation_in_both_languages() -> None:
    assert len(SCENARIOS) >= 30
    texts = " ".join(step.text for scenario in SCENARIOS for step in scenario.steps)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts)
    assert any(ch.isascii() and ch.isalpha() for ch in texts)
