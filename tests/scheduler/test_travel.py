"""Travel-time sources: haversine estimate and OSRM against a local fake server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from scheduler.errors import TravelError
from scheduler.travel import HaversineTravel, OsrmTravel, haversine_m

TORONTO = (43.6532, -79.3832)
MISSISSAUGA = (43.5890, -79.6441)


def test_haversine_distance_matches_a_known_city_pair() -> None:
    """Toronto city hall to Mississauga is about 22 km as the crow flies."""
    assert 21_000 < haversine_m(TORONTO, MISSISSAUGA) < 23_000


def test_haversine_travel_stretches_distance_and_drives_at_its_speed() -> None:
    """Distance x detour, time = distance / speed, zero on the diagonal."""
    travel = HaversineTravel(speed_kmh=36, detour_factor=1.5).matrices([TORONTO, MISSISSAUGA])
    crow = haversine_m(TORONTO, MISSISSAUGA)
    assert travel.distance[0][0] == 0 and travel.time[1][1] == 0
    assert abs(travel.distance[0][1] - crow * 1.5) <= 1
    assert abs(travel.time[0][1] - travel.distance[0][1] / 10) <= 1


def fake_osrm(
    answer: Callable[[list[tuple[float, float]]], tuple[int, dict[str, Any]]],
) -> tuple[httpx.Client, dict[str, Any]]:
    """A tiny in-process OSRM: parses /table/v1/driving/{lon,lat;...} and answers ``answer``."""
    seen: dict[str, Any] = {}
    prefix = "/table/v1/driving/"

    def table(request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith(prefix):
            return httpx.Response(404, json={"code": "InvalidUrl", "message": "no such service"})
        raw = request.url.path.removeprefix(prefix).split(";")
        coords = [(float(c.split(",")[0]), float(c.split(",")[1])) for c in raw]
        seen["annotations"] = request.url.params.get("annotations")
        seen["coords"] = coords
        status, body = answer(coords)
        return httpx.Response(status, json=body)

    return httpx.Client(transport=httpx.MockTransport(table)), seen


def test_osrm_table_is_asked_lon_lat_and_answers_become_matrices() -> None:
    """Coordinates go out lon,lat; durations are rounded up to whole seconds."""

    def ok(coords: list[tuple[float, float]]) -> tuple[int, dict[str, Any]]:
        n = len(coords)
        return 200, {
            "code": "Ok",
            "durations": [[0.0 if i == j else 100.2 for j in range(n)] for i in range(n)],
            "distances": [[0.0 if i == j else 1500.0 for j in range(n)] for i in range(n)],
        }

    client, seen = fake_osrm(ok)
    with client:
        travel = OsrmTravel("http://testserver", client).matrices([TORONTO, MISSISSAUGA])
    assert seen["annotations"] == "duration,distance"
    assert seen["coords"][0] == pytest.approx((TORONTO[1], TORONTO[0]))
    assert travel.time == ((0, 101), (101, 0))
    assert travel.distance == ((0, 1500), (1500, 0))


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"code": "InvalidQuery", "message": "Query string malformed"}, "malformed"),
        (
            200,
            {"code": "Ok", "durations": [[0, None], [5, 0]], "distances": [[0, 1], [1, 0]]},
            "no route",
        ),
        (200, {"code": "Ok", "durations": [[0]]}, "2x2 'durations'"),
    ],
)
def test_osrm_failures_raise_a_clear_travel_error(
    status: int, body: dict[str, Any], message: str
) -> None:
    """Errors from the server, unroutable pairs and short tables all say what went wrong."""
    client, _ = fake_osrm(lambda _coords: (status, body))
    with client, pytest.raises(TravelError, match=message):
        OsrmTravel("http://testserver", client).matrices([TORONTO, MISSISSAUGA])


def test_osrm_unreachable_server_is_a_travel_error() -> None:
    """A transport failure names the server and what to check."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(TravelError, match="unreachable"):
        OsrmTravel("http://osrm.invalid", client).matrices([TORONTO, MISSISSAUGA])


def test_the_default_travel_source_and_the_solver_load_no_http_client_or_database() -> None:
    """httpx is imported only when an OSRM source is made; the solver pulls in nothing external.

    Run in a fresh interpreter: this test process has long imported httpx and sqlalchemy.
    """
    code = (
        "import sys, scheduler.travel, scheduler.solver\n"
        "scheduler.travel.HaversineTravel().matrices([(43.6, -79.4), (43.7, -79.4)])\n"
        "print(sorted(m for m in ('httpx', 'sqlalchemy', 'sqlmodel', 'dramatiq', 'shared')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
