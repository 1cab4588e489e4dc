"""Fixtures for the inbound SMS webhook: an organisation with the scenario places, a clock, and
a phone that sends signed webhooks through the real HTTP endpoint.

Signatures are computed with twilio's own ``RequestValidator`` against ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx2
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.booking.sms._limits import RateLimit
from services.booking.sms.webhook import PATH, inbound_route
from shared.db import make_engine
from shared.models import (
    AuditEvent,
    ConsentEvent,
    ConsentState,
    Conversation,
    InboundMessage,
    Language,
    Organisation,
    Place,
    PlaceKind,
    RequestKind,
    RequestSource,
    Rider,
    RideRequest,
)
from shared.queue import build_broker, use_broker
from shared.settings import reset_settings
from tests.booking.scenarios import HELP_CONTACT, PLACES, PROGRAMME, RIDER_PHONES, RIDERS

TOKEN = "test-auth-token"
BASE = "https://rides.example.org"
URL = BASE + PATH
ORG_NUMBER = "+14165550100"
STRANGER = "+16475550199"
_PLACE_KINDS = {
    "grocery": PlaceKind.GROCERY,
    "medical": PlaceKind.CLINIC,
    "immigration": PlaceKind.GOVERNMENT,
    "legal": PlaceKind.LEGAL_AID,
}


@dataclass
class Clock:
    """The webhook's clock, moved by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(minutes=minutes)


@dataclass(frozen=True)
class World:
    """A stored organisation and its places, keyed by the scenario place ids."""

    engine: Engine
    organisation_id: int
    number: str
    place_ids: dict[str, int]


def sign(params: dict[str, str], url: str = URL) -> str:
    """Twilio's signature for a POST of ``params`` to ``url``."""
    return str(RequestValidator(TOKEN).compute_signature(url, params))


def post(
    client: TestClient, params: dict[str, str], signature: str | None = None
) -> httpx2.Response:
    """POST a webhook, signed correctly unless ``signature`` says otherwise."""
    headers = {"X-Twilio-Signature": sign(params) if signature is None else signature}
    return client.post(PATH, data=params, headers=headers)


def reply_of(response: httpx2.Response) -> str | None:
    """The text of the TwiML reply, or None for an empty ``<Response/>``."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    return messages[0].text if messages else None


_sids = itertools.count(1)


@dataclass
class Phone:
    """A rider's phone texting the organisation's number through the webhook."""

    client: TestClient
    number: str
    to: str = ORG_NUMBER
    sent: list[str] = field(default_factory=list)

    def params(self, body: str, *, num_media: int = 0, sid: str | None = None) -> dict[str, str]:
        """The form Twilio would post for this text."""
        sid = sid or f"SM{next(_sids):032d}"
        self.sent.append(sid)
        return {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.number,
            "To": self.to,
            "Body": body,
            "NumMedia": str(num_media),
        }

    def send(self, body: str, *, num_media: int = 0, sid: str | None = None) -> str | None:
        """Text ``body``; the reply, or None when the webhook stays silent."""
        return reply_of(post(self.client, self.params(body, num_media=num_media, sid=sid)))


@pytest.fixture(autouse=True)
def scheduler_queue() -> Iterator[StubBroker]:
    """An in-process broker with the scheduler's queue, so queued re-plans can be seen."""
    broker = build_broker(None)
    assert isinstance(broker, StubBroker)
    broker.declare_queue("scheduler")
    use_broker(broker)
    yield broker
    broker.flush_all()


@pytest.fixture(autouse=True)
def signed_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio's auth token and our public URL, as in production."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    reset_settings()


def seed_world(
    engine: Engine,
    time_zone: str = "America/Toronto",
    *,
    number: str = ORG_NUMBER,
    slug: str = "hk-neighbours",
) -> World:
    """The organisation of the scenarios, with every scenario place."""
    with Session(engine, expire_on_commit=False) as session:
        org = Organisation(
            slug=slug,
            name=PROGRAMME,
            help_contact=HELP_CONTACT,
            sms_number=number,
            time_zone=time_zone,
        )
        session.add(org)
        session.flush()
        assert org.id is not None
        rows = {}
        for index, entry in enumerate(PLACES):
            rows[entry.id] = Place(
                organisation_id=org.id,
                name=entry.name_en,
                name_zh=entry.name_zh,
                aliases=list(entry.aliases),
                kind=_PLACE_KINDS[entry.kind],
                latitude=43.7 + index / 100,
                longitude=-79.4,
            )
            session.add(rows[entry.id])
        session.commit()
        return World(engine, org.id, number, {key: row.id or 0 for key, row in rows.items()})


def seed_rider(world: World, key: str, *, opted_out: bool = False) -> int:
    """A scenario rider under their phone number, with their upcoming rides."""
    info = RIDERS[key]
    by_name = {entry.name_en: entry.id for entry in PLACES}
    with Session(world.engine, expire_on_commit=False) as session:
        rider = Rider(
            organisation_id=world.organisation_id,
            name=info.name,
            phone=RIDER_PHONES[key],
            preferred_language=Language(info.language),
            home_address="1 Yonge St",
            home_latitude=43.65,
            home_longitude=-79.38,
            consent_state=ConsentState.OPTED_OUT if opted_out else ConsentState.OPTED_IN,
        )
        session.add(rider)
        session.flush()
        assert rider.id is not None
        for ride in info.upcoming:
            place_id = world.place_ids[by_name[ride.place_name_en]]
            kind = RequestKind.GROCERY if "T&T" in ride.place_name_en else RequestKind.APPOINTMENT
            session.add(
                RideRequest(
                    organisation_id=world.organisation_id,
                    rider_id=rider.id,
                    kind=kind,
                    to_place_id=place_id,
                    service_date=ride.at.date(),
                    arrive_by=ride.at,
                    source=RequestSource.API,
                    reference_code=ride.reference_code,
                )
            )
        session.commit()
        return rider.id


def opt_out_stranger(world: World, phone: str) -> None:
    """An unregistered number that has opted out (its conversation remembers it)."""
    with Session(world.engine) as session:
        session.add(
            Conversation(organisation_id=world.organisation_id, phone=phone, opted_out=True)
        )
        session.commit()


def count(world: World, table: Any, *where: Any) -> int:
    """How many of the organisation's rows of ``table`` match ``where``."""
    with Session(world.engine) as session:
        statement = select(func.count()).select_from(table)
        statement = statement.where(table.organisation_id == world.organisation_id, *where)
        return session.exec(statement).one()


def totals(engine: Engine) -> dict[str, int]:
    """Rows in the tables a webhook writes to, over every organisation."""
    with Session(engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (InboundMessage, Conversation, AuditEvent, ConsentEvent, RideRequest)
        }


AppFactory = Callable[..., TestClient]


def client_for(
    engine: Engine,
    clock: Callable[[], datetime] | None = None,
    rate_limit: RateLimit | None = None,
    **options: Any,
) -> TestClient:
    """A client on an app holding only the webhook, on ``engine``."""
    route = inbound_route(
        engine,
        clock=clock or Clock(datetime(2026, 11, 22, 14, 0, tzinfo=UTC)),
        rate_limit=rate_limit or RateLimit(),
        **options,
    )
    return TestClient(Starlette(routes=[route]))


@pytest.fixture
def make_client(world: World) -> Iterator[AppFactory]:
    """Build a client on the webhook with a given clock, rate limit and code generator."""
    clients: list[TestClient] = []

    def build(
        clock: Callable[[], datetime] | None = None,
        rate_limit: RateLimit | None = None,
        **options: Any,
    ) -> TestClient:
        client = client_for(world.engine, clock, rate_limit, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per back-end for a whole test module, emptied at its end.

    Emptying PostgreSQL after every test costs more than the test; instead each test gets an
    organisation (and SMS number) of its own, which is just as clean a slate. Tests here must
    not also use the function-scoped ``engine`` fixture, whose teardown empties the database.
    """
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("webhook") / "rides.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        built = make_engine(f"sqlite:///{path}")
        yield built
        built.dispose()
        return
    built = make_engine(request.getfixturevalue("postgres_database"))
    yield built
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with built.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    built.dispose()


_organisations = itertools.count(1)


def new_world(engine: Engine, time_zone: str = "America/Toronto") -> World:
    """An organisation of its own, with the scenario places, on ``engine``."""
    index = next(_organisations)
    return seed_world(engine, time_zone, number=f"+1416557{index:04d}", slug=f"org-{index}")


@pytest.fixture
def world(shared_engine: Engine) -> World:
    """A fresh organisation in Toronto with the scenario places."""
    return new_world(shared_engine)


def local_time(at: datetime | None, zone: str) -> time | None:
    """``at`` as a wall-clock time in ``zone``."""
    return None if at is None else at.astimezone(ZoneInfo(zone)).time()
