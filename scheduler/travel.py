"""Travel-time sources: straight-line estimate (default) and an OSRM table service.

Both turn a list of (lat, lon) points into integer matrices: seconds and metres. httpx is
imported only when an OSRM source is made, so the default path does not load an HTTP client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from scheduler.errors import TravelError
from scheduler.solver import Travel

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

LatLon = tuple[float, float]
EARTH_RADIUS_M = 6_371_000.0


class TravelTimes(Protocol):
    """Anything that can price every trip between a list of points."""

    def matrices(self, points: Sequence[LatLon]) -> Travel:
        """Time (s) and distance (m) matrices, indexed like ``points``."""
        ...


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


class HaversineTravel:
    """Straight-line distance stretched by a detour factor, driven at a constant speed."""

    def __init__(self, speed_kmh: float = 30.0, detour_factor: float = 1.3) -> None:
        if speed_kmh <= 0 or detour_factor < 1:
            raise ValueError("speed must be positive and the detour factor at least 1")
        self.speed_ms = speed_kmh / 3.6
        self.detour = detour_factor

    def matrices(self, points: Sequence[LatLon]) -> Travel:
        """Road-like distance and time between every pair of points (rounded up)."""
        dist = [[math.ceil(haversine_m(a, b) * self.detour) for b in points] for a in points]
        time = [[math.ceil(d / self.speed_ms) for d in row] for row in dist]
        return Travel.of(time, dist)


class OsrmTravel:
    """Times and distances from an OSRM server's ``/table`` service."""

    def __init__(self, base_url: str, client: httpx.Client | None = None) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=30.0)

    def matrices(self, points: Sequence[LatLon]) -> Travel:
        """Ask OSRM for the full table; raise ``TravelError`` on any failure."""
        import httpx

        if not points:
            return Travel((), ())
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
        url = f"{self.base_url}/table/v1/driving/{coords}"
        try:
            resp = self.client.get(url, params={"annotations": "duration,distance"})
        except httpx.HTTPError as exc:
            raise TravelError(
                f"OSRM at {self.base_url} unreachable ({exc}); check the OSRM URL setting"
            ) from exc
        body = _json(resp)
        if resp.status_code != 200 or body.get("code") != "Ok":
            msg = body.get("message") or body.get("code") or f"HTTP {resp.status_code}"
            raise TravelError(f"OSRM table request failed: {msg}")
        n = len(points)
        time = _matrix(body, "durations", n)
        dist = _matrix(body, "distances", n)
        return Travel.of(time, dist)


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise TravelError(f"OSRM answered HTTP {resp.status_code} without JSON") from None
    if not isinstance(body, dict):
        raise TravelError("OSRM answered JSON that is not an object")
    return body


def _matrix(body: dict[str, Any], key: str, n: int) -> list[list[int]]:
    rows = body.get(key)
    if not isinstance(rows, list) or len(rows) != n or any(len(r) != n for r in rows):
        raise TravelError(f"OSRM answer lacks a {n}x{n} '{key}' table")
    out: list[list[int]] = []
    for i, row in enumerate(rows):
        if any(x is None for x in row):
            raise TravelError(f"OSRM finds no route from point {i} to some point; check it")
        out.append([math.ceil(float(x)) for x in row])
    return out
