"""A small city on loopback for scale-out, load and fault runs: data, web processes, signed texts.

``seed_city`` stores one organisation with places, riders and drivers (every driver available
every day, 08:00-18:00) and an API key; ``draft_plan`` gives it a day of one-way rides already
planned by hand (no solver), so publishing it writes a known number of texts; ``WebProcess``
runs ``rides serve`` as a real subprocess; ``signed_text`` builds a webhook request signed as
Twilio signs it. Used by ``tests/services/test_scale_out.py``, ``tests/notifier/test_faults.py``
and ``bench/load.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from shared.models import (
    Driver,
    DriverAvailability,
    Language,
    LegKind,
    Organisation,
    Place,
    PlaceKind,
    Plan,
    RequestKind,
    RequestSource,
    RequestStatus,
    Rider,
    RideRequest,
    Route,
    Stop,
    StopKind,
)

RIDES = str(Path(sys.executable).parent / "rides")
ORG_NUMBER = "+14165550100"
INBOUND_PATH = "/sms/inbound"
# One place of each kind the riders name, each with a single unambiguous name.
PLACES: tuple[tuple[str, str, PlaceKind, list[str]], ...] = (
    ("T&T Supermarket", "大統華超市", PlaceKind.GROCERY, ["T and T", "大統華"]),
    ("No Frills (Dundas)", "No Frills（登打士街）", PlaceKind.GROCERY, []),  # noqa: RUF001
    ("Hong Fook Clinic", "康福診所", PlaceKind.CLINIC, ["Hong Fook", "康福"]),
    ("IRCC Office", "移民局", PlaceKind.GOVERNMENT, ["IRCC"]),
)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def daytime_zone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is early afternoon now, so texts are never held for quiet
    hours (21:00-09:00 local) whatever the hour a run starts."""
    hour = (now or datetime.now(UTC)).astimezone(UTC).hour
    offset = (13 - hour + 12) % 24 - 12  # -12..+11 hours: local time is 13:xx
    # POSIX signs in the Etc zones are inverted: Etc/GMT-3 is three hours ahead of UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def rider_phone(index: int) -> str:
    """The ``index``-th rider's number."""
    return f"+1647{2000000 + index:07d}"


def driver_phone(index: int) -> str:
    """The ``index``-th driver's number."""
    return f"+1905{3000000 + index:07d}"


@dataclass(frozen=True)
class City:
    """What a run needs to know of the seeded organisation."""

    organisation_id: int
    api_key: str
    time_zone: str
    riders: int
    drivers: int


def seed_city(
    engine: Engine,
    *,
    riders: int,
    drivers: int,
    time_zone: str | None = None,
    sms_number: str = ORG_NUMBER,
    slug: str = "city",
) -> City:
    """One organisation with the four places, ``riders`` riders and ``drivers`` drivers."""
    from services.booking.api.auth import rotate_key

    zone = time_zone or daytime_zone()
    with Session(engine) as session:
        org = Organisation(
            slug=slug, name="City Rides", time_zone=zone, sms_number=sms_number,
            help_contact="416-555-0100",
        )  # fmt: skip
        session.add(org)
        session.flush()
        assert org.id is not None
        for index, (name, name_zh, kind, aliases) in enumerate(PLACES):
            session.add(
                Place(
                    organisation_id=org.id, name=name, name_zh=name_zh, kind=kind,
                    aliases=aliases, address=f"{100 + index} Main St, Toronto",
                    latitude=43.70 + 0.02 * index, longitude=-79.40 + 0.02 * index,
                )
            )  # fmt: skip
        for index in range(riders):
            session.add(
                Rider(
                    organisation_id=org.id, name=f"Rider{index} Test", phone=rider_phone(index),
                    preferred_language=Language.EN if index % 2 else Language.ZH_HANT,
                    home_latitude=43.65 + 0.001 * (index % 50),
                    home_longitude=-79.38 - 0.001 * (index % 50),
                )
            )  # fmt: skip
        for index in range(drivers):
            driver = Driver(
                organisation_id=org.id, name=f"Driver{index} Test", phone=driver_phone(index),
                seats=4, max_rides_per_day=50, vehicle_description="grey Corolla",
                home_latitude=43.66 + 0.002 * index, home_longitude=-79.39,
            )  # fmt: skip
            session.add(driver)
            session.flush()
            assert driver.id is not None
            for weekday in range(7):
                session.add(
                    DriverAvailability(
                        driver_id=driver.id, weekday=weekday,
                        start_time=clock_time(8), end_time=clock_time(18),
                    )
                )  # fmt: skip
        key = rotate_key(session, org)
        session.commit()
        return City(org.id, key, zone, riders, drivers)


def draft_plan(engine: Engine, city: City, day: date, rides_per_driver: int) -> int:
    """A draft plan of ``day`` serving one one-way ride of each of ``drivers x rides_per_driver``
    riders, built by hand; publishing it writes one text per driver and one per rider."""
    from sqlmodel import select

    with Session(engine) as session:
        places = session.exec(select(Place).where(Place.organisation_id == city.organisation_id))
        place = places.first()
        drivers = session.exec(
            select(Driver).where(Driver.organisation_id == city.organisation_id)
        ).all()
        riders = session.exec(
            select(Rider).where(Rider.organisation_id == city.organisation_id)
        ).all()
        assert place is not None and place.id is not None
        plan = Plan(organisation_id=city.organisation_id, service_date=day, version=1)
        session.add(plan)
        session.flush()
        assert plan.id is not None
        noon = datetime.combine(day, clock_time(12), tzinfo=UTC)
        index = 0
        for driver in drivers:
            assert driver.id is not None
            route = Route(plan_id=plan.id, driver_id=driver.id)
            session.add(route)
            session.flush()
            assert route.id is not None
            for seq in range(rides_per_driver):
                rider = riders[index]
                assert rider.id is not None
                at = noon + timedelta(minutes=20 * seq)
                request = RideRequest(
                    organisation_id=city.organisation_id, rider_id=rider.id,
                    kind=RequestKind.APPOINTMENT, to_place_id=place.id, service_date=day,
                    arrive_by=at + timedelta(minutes=15), source=RequestSource.API,
                    status=RequestStatus.REQUESTED, reference_code=f"R{index:05d}",
                )  # fmt: skip
                session.add(request)
                session.flush()
                assert request.id is not None
                for kind, when, address in (
                    (StopKind.PICKUP, at, f"{index} Home Ave, Toronto"),
                    (StopKind.DROPOFF, at + timedelta(minutes=10), place.address),
                ):
                    session.add(
                        Stop(
                            route_id=route.id, seq=2 * seq + (kind == StopKind.DROPOFF),
                            kind=kind, request_id=request.id, leg=LegKind.OUTBOUND,
                            planned_at=when, latitude=place.latitude,
                            longitude=place.longitude, address=address,
                        )
                    )  # fmt: skip
                index += 1
        session.commit()
        return plan.id


def signed_text(
    public_base: str, token: str, sid: str, from_number: str, body: str, to: str = ORG_NUMBER
) -> tuple[bytes, dict[str, str]]:
    """A webhook body and headers signed (twilio's ``RequestValidator``) for ``public_base``."""
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_number,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(token).compute_signature(public_base + INBOUND_PATH, params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": str(signature),
    }
    return urlencode(params).encode(), headers


class WebProcess:
    """``rides serve`` on a spare loopback port, in its own process group."""

    def __init__(
        self, env: dict[str, str], log: Path, workers: int = 1, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [RIDES, "serve", "--port", str(self.port), "--workers", str(workers)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until ``/healthz`` answers 200 (the database is reachable)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"rides serve exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"rides serve on port {self.port} did not answer in time")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop it gracefully (SIGKILL after 30 s)."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
