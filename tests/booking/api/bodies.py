"""Small named request bodies for the API tests; variants via keyword overrides."""

from __future__ import annotations

from typing import Any

DAY = "2026-12-03"


def rider(**changes: Any) -> dict[str, Any]:
    """A Cantonese-speaking rider in Scarborough."""
    return {"name": "Wong Mei Ling", "phone": "416 555 0101", "home_address": "1 Main St"} | changes


def driver(**changes: Any) -> dict[str, Any]:
    """A volunteer driver with a four-seat car."""
    return {
        "name": "Chan Ka Wai",
        "phone": "+1 647 555 0199",
        "spoken": ["yue", "en"],
        "seats": 4,
        "home_latitude": 43.77,
        "home_longitude": -79.26,
    } | changes


def place(**changes: Any) -> dict[str, Any]:
    """A clinic with a Chinese name."""
    return {
        "name": "Scarborough Health Network",
        "name_zh": "士嘉堡醫院",
        "kind": "clinic",
        "latitude": 43.7563,
        "longitude": -79.2460,
    } | changes


def appointment(rider_id: int, place_id: int, **changes: Any) -> dict[str, Any]:
    """An appointment at ``place_id`` at 10:00 Toronto time, with a pick-up home at 11:30."""
    return {
        "rider_id": rider_id,
        "kind": "appointment",
        "to_place_id": place_id,
        "service_date": DAY,
        "arrive_by": f"{DAY}T10:00:00-05:00",
        "return_pickup_at": f"{DAY}T11:30:00-05:00",
    } | changes


def grocery(rider_id: int, place_id: int, **changes: Any) -> dict[str, Any]:
    """A grocery run leaving from home after 09:00 with an hour in the store."""
    return {
        "rider_id": rider_id,
        "kind": "grocery",
        "to_place_id": place_id,
        "service_date": DAY,
        "earliest_departure": f"{DAY}T09:00:00-05:00",
        "store_minutes": 60,
    } | changes
