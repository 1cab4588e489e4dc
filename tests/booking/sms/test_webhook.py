"""The inbound webhook's behaviour: retries, concurrency, rate limit, opt-out, re-plans."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import event
from sqlmodel import Session, col, select

from services.booking.sms._limits import TOO_MANY, RateLimit
from shared.i18n import Language
from shared.models import (
    ConsentEvent,
    Conversation,
    InboundMessage,
    InboundState,
    ReplanTicket,
    RequestStatus,
    RideRequest,
)
from shared.ride_requests import REFERENCE_ALPHABET
from shared.segments import segment_count
from tests.booking.scenarios import RIDER_PHONES
from tests.booking.sms.conftest import (
    STRANGER,
    AppFactory,
    Clock,
    Phone,
    World,
    count,
    post,
    reply_of,
    seed_rider,
)

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # Sun 22 Nov 2026, 09:00 in Toronto
MEI = RIDER_PHONES["mei"]


def _requests(world: World) -> list[RideRequest]:
    with Session(world.engine) as session:
        return list(
            session.exec(
                select(RideRequest)
                .where(RideRequest.organisation_id == world.organisation_id)
                .order_by(col(RideRequest.id))
            ).all()
        )


def _ready_to_confirm(make_client: AppFactory, world: World, **options: object) -> Phone:
    seed_rider(world, "mei")
    phone = Phone(make_client(Clock(START), **options), MEI, to=world.number)
    reply = phone.send("Hong Fook tomorrow 10am, pick me up at 1pm")
    assert reply is not None and "Reply YES" in reply
    return phone


def test_a_retried_message_sid_gets_the_same_reply_and_books_nothing_twice(
    make_client: AppFactory, world: World
) -> None:
    phone = _ready_to_confirm(make_client, world)
    params = phone.params("yes")
    first = post(phone.client, params)
    rows = count(world, RideRequest)
    assert rows == 3, "the seeded ride, the appointment and its return leg"
    for _ in range(3):
        again = post(phone.client, params)
        assert again.status_code == 200
        assert again.content == first.content
    assert count(world, RideRequest) == rows
    assert count(world, InboundMessage) == 2
    reply = reply_of(first)
    assert reply is not None and "ride code is" in reply


def test_a_message_sid_replayed_from_another_number_does_not_get_the_first_senders_reply(
    make_client: AppFactory, world: World
) -> None:
    """The stored reply is looked up within the organisation and the sender: a reused
    MessageSid from someone else is acknowledged silently and reads nothing."""
    phone = _ready_to_confirm(make_client, world)
    params = phone.params("yes")
    first = reply_of(post(phone.client, params))
    assert first is not None and "ride code is" in first
    other = Phone(phone.client, STRANGER, to=world.number)
    stolen = other.params("anything", sid=params["MessageSid"])
    assert reply_of(post(phone.client, stolen)) is None
    assert count(world, InboundMessage) == 2
    # The rightful sender's retry still gets its reply.
    assert reply_of(post(phone.client, params)) == first


def test_a_retried_silent_answer_stays_silent(make_client: AppFactory, world: World) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    assert phone.send("STOP") is not None
    params = phone.params("hello")
    assert reply_of(post(phone.client, params)) is None
    assert reply_of(post(phone.client, params)) is None
    assert count(world, InboundMessage) == 2


def test_concurrent_retries_of_one_message_book_once_and_all_get_the_same_reply(
    make_client: AppFactory, world: World
) -> None:
    phone = _ready_to_confirm(make_client, world)
    params = phone.params("yes")
    clients = [make_client(Clock(START)) for _ in range(6)]
    barrier = threading.Barrier(len(clients))

    def deliver(index: int) -> bytes:
        barrier.wait()
        response = post(clients[index], params)
        assert response.status_code == 200, response.text
        return response.content

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = set(pool.map(deliver, range(len(clients))))
    assert len(answers) == 1
    assert count(world, RideRequest) == 3
    sid = params["MessageSid"]
    assert count(world, InboundMessage, InboundMessage.provider_message_id == sid) == 1


def test_texts_from_one_new_number_at_the_same_moment_share_one_conversation(
    make_client: AppFactory, world: World
) -> None:
    clients = [make_client(Clock(START)) for _ in range(4)]
    barrier = threading.Barrier(len(clients))

    def deliver(index: int) -> str | None:
        phone = Phone(clients[index], STRANGER, to=world.number)
        barrier.wait()
        return phone.send("hello")

    with ThreadPoolExecutor(len(clients)) as pool:
        replies = list(pool.map(deliver, range(len(clients))))
    assert all(reply is not None for reply in replies)
    assert count(world, Conversation) == 1
    assert count(world, InboundMessage) == 4


def test_a_booking_queues_a_replan_of_its_day_after_the_commit(
    make_client: AppFactory, world: World, scheduler_queue: StubBroker
) -> None:
    phone = _ready_to_confirm(make_client, world)
    assert count(world, ReplanTicket) == 0
    phone.send("yes")
    with Session(world.engine) as session:
        [ticket] = session.exec(
            select(ReplanTicket).where(ReplanTicket.organisation_id == world.organisation_id)
        ).all()
    assert (ticket.organisation_id, ticket.service_date) == (
        world.organisation_id,
        date(2026, 11, 23),
    )
    [job] = scheduler_queue.queues["scheduler.DQ"].queue
    assert "plan_day" in job.decode()


def test_two_first_bookings_of_a_day_at_the_same_moment_share_one_replan_ticket(
    make_client: AppFactory, world: World
) -> None:
    seed_rider(world, "mei")
    seed_rider(world, "chan")
    phones = [
        Phone(make_client(Clock(START)), RIDER_PHONES[key], to=world.number)
        for key in ("mei", "chan")
    ]
    for phone in phones:
        assert phone.send("T&T tomorrow 10am one way") is not None
    barrier = threading.Barrier(len(phones))

    def confirm(phone: Phone) -> str | None:
        barrier.wait()
        return phone.send("yes")

    with ThreadPoolExecutor(len(phones)) as pool:
        replies = list(pool.map(confirm, phones))
    booked = {row.reference_code for row in _requests(world)} - {"K7M4QX", "P3R8TW"}
    quoted = {code for code in booked for reply in replies if reply is not None and code in reply}
    assert len(booked) == 2 and quoted == booked, replies
    assert count(world, ReplanTicket) == 1


def test_a_booked_appointment_gets_a_linked_return_leg_like_the_api(
    make_client: AppFactory, world: World
) -> None:
    phone = _ready_to_confirm(make_client, world)
    phone.send("yes")
    *_, outbound, leg = _requests(world)
    assert leg.outbound_request_id == outbound.id
    assert outbound.return_pickup_at == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert leg.earliest_departure == outbound.return_pickup_at
    assert (leg.from_place_id, leg.to_place_id) == (outbound.to_place_id, None)
    assert leg.reference_code != outbound.reference_code


def test_cancelling_by_sms_cancels_the_return_leg_and_queues_a_replan(
    make_client: AppFactory, world: World, scheduler_queue: StubBroker
) -> None:
    phone = _ready_to_confirm(make_client, world)
    phone.send("yes")
    *_, outbound, _leg = _requests(world)
    scheduler_queue.flush_all()
    reply = phone.send(f"cancel {outbound.reference_code}")
    assert reply is not None and "is cancelled" in reply
    *_, outbound, leg = _requests(world)
    assert (outbound.status, leg.status) == (RequestStatus.CANCELLED, RequestStatus.CANCELLED)
    assert outbound.status_changed_by == "sms"
    assert len(scheduler_queue.queues["scheduler.DQ"].queue) == 1


def test_a_rider_cannot_cancel_someone_elses_ride(make_client: AppFactory, world: World) -> None:
    seed_rider(world, "mei")
    seed_rider(world, "chan")
    phone = Phone(make_client(), MEI, to=world.number)
    reply = phone.send("CANCEL P3R8TW")
    assert reply is not None and "can't find ride P3R8TW" in reply
    statuses = {row.reference_code: row.status for row in _requests(world)}
    assert statuses == {"K7M4QX": RequestStatus.REQUESTED, "P3R8TW": RequestStatus.REQUESTED}


def test_a_reference_code_already_taken_is_replaced_by_a_fresh_one(
    make_client: AppFactory, world: World
) -> None:
    seeded = random.Random(7)
    taken = "".join(seeded.choice(REFERENCE_ALPHABET) for _ in range(6))
    phone = _ready_to_confirm(make_client, world, rng=lambda: random.Random(7))
    with Session(world.engine) as session:
        ride = session.exec(
            select(RideRequest).where(RideRequest.organisation_id == world.organisation_id)
        ).one()
        ride.reference_code = taken
        session.add(ride)
        session.commit()
    reply = phone.send("yes")
    codes = [row.reference_code for row in _requests(world)]
    assert len(codes) == 3 and len(set(codes)) == 3
    assert reply is not None and codes[1] in reply and taken not in reply


def test_stop_silences_everything_until_start(make_client: AppFactory, world: World) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    reply = phone.send("STOP")
    assert reply is not None and "unsubscribed" in reply
    for text in ("hello", "HELP", "T&T tomorrow 10am", "stop", ""):
        assert phone.send(text) is None
    reply = phone.send("START")
    assert reply is not None and "Welcome back" in reply
    assert phone.send("hello") is not None
    with Session(world.engine) as session:
        events = session.exec(
            select(ConsentEvent)
            .where(ConsentEvent.organisation_id == world.organisation_id)
            .order_by(col(ConsentEvent.id))
        ).all()
    assert [(e.state.value, e.keyword, e.source) for e in events] == [
        ("opted_out", "stop", "sms"),
        ("opted_in", "start", "sms"),
    ]


def _limited(make_client: AppFactory, world: World, number: str, clock: Clock) -> Phone:
    return Phone(make_client(clock, RateLimit(20)), number, to=world.number)


def test_the_21st_text_in_ten_minutes_gets_one_polite_answer_and_the_22nd_silence(
    make_client: AppFactory, world: World
) -> None:
    clock = Clock(START)
    phone = _limited(make_client, world, STRANGER, clock)
    for _ in range(20):
        assert phone.send("help") is not None
        clock.advance(0.4)
    polite = phone.send("help")
    assert polite == RateLimit().text(Language.EN)
    assert polite is not None and segment_count(polite) == 1
    assert phone.send("help") is None
    assert count(world, InboundMessage) == 22, "rate-limited texts are still stored"
    limited = count(world, InboundMessage, InboundMessage.processing_state == InboundState.RECEIVED)
    assert limited == 2
    clock.advance(10)
    reply = phone.send("help")
    assert reply is not None and "416-555-0100" in reply


def test_the_polite_answer_is_in_the_riders_language(make_client: AppFactory, world: World) -> None:
    seed_rider(world, "chan")
    clock = Clock(START)
    phone = _limited(make_client, world, RIDER_PHONES["chan"], clock)
    for _ in range(20):
        phone.send("狀態")
    polite = phone.send("狀態")
    assert polite == RateLimit().text(Language.ZH_HANT)
    assert polite is not None and segment_count(polite) == 1
    assert TOO_MANY[Language.ZH_HANT].split("，")[0] in polite  # noqa: RUF001


def test_stop_works_even_for_a_number_over_its_limit(make_client: AppFactory, world: World) -> None:
    clock = Clock(START)
    phone = _limited(make_client, world, STRANGER, clock)
    for _ in range(22):
        phone.send("hi")
    reply = phone.send("STOP")
    assert reply is not None and "unsubscribed" in reply
    assert count(world, ConsentEvent) == 1
    assert phone.send("hi") is None


@pytest.mark.parametrize(
    ("body", "num_media", "expected"),
    [
        ("", 0, "didn't understand"),
        ("", 2, "only read text"),
        ("🚗🚗🚗", 0, "welcome"),
        ("T&T tomorrow 10am " + "blah " * 400, 0, "welcome"),
        ("<Response>&amp;</Response>]]>", 0, "welcome"),
        ("hello\x00 there", 0, "welcome"),
    ],
)
def test_odd_texts_get_a_helpful_reply_never_a_server_error(
    make_client: AppFactory, world: World, body: str, num_media: int, expected: str
) -> None:
    phone = Phone(make_client(), STRANGER, to=world.number)
    if expected != "welcome":
        phone.send("hello")
    reply = phone.send(body, num_media=num_media)
    assert reply is not None and expected in reply.lower()
    with Session(world.engine) as session:
        stored = session.exec(
            select(InboundMessage)
            .where(InboundMessage.organisation_id == world.organisation_id)
            .order_by(col(InboundMessage.id).desc())
        ).first()
    assert stored is not None and stored.reply_body == reply
    assert stored.body == body[:1600].replace("\x00", "")


def test_a_reply_with_markup_characters_is_escaped_twiml(
    make_client: AppFactory, world: World
) -> None:
    seed_rider(world, "mei")
    phone = Phone(make_client(), MEI, to=world.number)
    response = post(phone.client, phone.params("status"))
    assert b"T&amp;T Supermarket" in response.content
    assert reply_of(response) is not None


def test_yes_does_not_slip_past_the_limit_but_start_does_for_an_opted_out_number(
    make_client: AppFactory, world: World
) -> None:
    clock = Clock(START)
    phone = _limited(make_client, world, STRANGER, clock)
    for _ in range(22):
        phone.send("hi")
    assert phone.send("YES") is None, "YES is only an opt-in keyword for an opted-out number"
    assert phone.send("STOP") is not None
    for _ in range(3):
        assert phone.send("hi") is None
    reply = phone.send("START")
    assert reply is not None and "Welcome back" in reply
    assert count(world, ConsentEvent) == 2


def test_a_text_from_a_known_rider_costs_seven_statements(
    make_client: AppFactory, world: World
) -> None:
    """Issue 15: the sender (rider, rate-limit count, driver or not) is one query and the rider's
    rides another; with the inbound insert, the conversation lock, the two updates and the
    commit that makes seven round trips for a text that books nothing (it was eleven)."""
    seed_rider(world, "mei")
    clock = Clock(START)
    phone = Phone(make_client(clock), MEI, to=world.number)
    phone.send("hello")  # the organisation and its places are now cached, the conversation made
    clock.advance(1)
    statements: list[str] = []

    def executed(*args: object) -> None:
        statements.append(str(args[2]).split()[0])

    event.listen(world.engine, "before_cursor_execute", executed)
    event.listen(world.engine, "commit", lambda connection: statements.append("COMMIT"))
    try:
        reply = phone.send("status")
    finally:
        event.remove(world.engine, "before_cursor_execute", executed)
    assert reply is not None
    assert statements == ["INSERT", "SELECT", "SELECT", "SELECT", "UPDATE", "UPDATE", "COMMIT"]
