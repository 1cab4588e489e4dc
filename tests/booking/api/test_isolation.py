"""One organisation's key never reads or changes another organisation's rows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.booking.api.auth import hash_key
from shared.models import Organisation, Rider, RideRequest
from tests.booking.api import bodies
from tests.booking.api.conftest import API, Tenant, count


@pytest.fixture
def their_rows(theirs: Tenant) -> dict[str, Any]:
    """A rider, driver, place and booked appointment of the other organisation."""
    rider = theirs.create("/riders", bodies.rider())
    place = theirs.create("/places", bodies.place())
    return {
        "rider": rider,
        "driver": theirs.create("/drivers", bodies.driver()),
        "place": place,
        "request": theirs.create("/ride-requests", bodies.appointment(rider["id"], place["id"])),
    }


PLURAL = {"rider": "riders", "driver": "drivers", "place": "places", "request": "ride-requests"}


@pytest.mark.parametrize("kind", list(PLURAL))
def test_lists_show_only_the_callers_rows(
    ours: Tenant, their_rows: dict[str, Any], kind: str
) -> None:
    page = ours.get(f"/{PLURAL[kind]}").json()
    assert page["items"] == [] and page["total"] == 0


@pytest.mark.parametrize("kind", list(PLURAL))
def test_another_organisations_row_is_not_found(
    ours: Tenant, their_rows: dict[str, Any], kind: str
) -> None:
    row_id = their_rows[kind]["id"]
    response = ours.get(f"/{PLURAL[kind]}/{row_id}")
    missing = ours.get(f"/{PLURAL[kind]}/{row_id + 1000}")
    assert response.status_code == missing.status_code == 404
    # The message is the same as for an id that does not exist at all.
    assert response.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("kind", "change"),
    [("rider", {"name": "X"}), ("driver", {"seats": 1}), ("place", {"name": "X"})],
)
def test_another_organisations_row_cannot_be_changed(
    ours: Tenant, theirs: Tenant, their_rows: dict[str, Any], kind: str, change: dict[str, Any]
) -> None:
    path = f"/{PLURAL[kind]}/{their_rows[kind]['id']}"
    assert ours.patch(path, change).status_code == 404
    assert theirs.get(path).json() == their_rows[kind]


def test_another_organisations_rows_cannot_be_retired(
    ours: Tenant, theirs: Tenant, their_rows: dict[str, Any]
) -> None:
    assert ours.post(f"/riders/{their_rows['rider']['id']}/deactivate", None).status_code == 404
    assert ours.post(f"/drivers/{their_rows['driver']['id']}/deactivate", None).status_code == 404
    assert ours.delete(f"/places/{their_rows['place']['id']}").status_code == 404
    assert theirs.get(f"/riders/{their_rows['rider']['id']}").json()["active"] is True


def test_another_organisations_request_cannot_be_changed_or_cancelled(
    ours: Tenant, engine: Engine, their_rows: dict[str, Any]
) -> None:
    path = f"/ride-requests/{their_rows['request']['id']}"
    assert ours.patch(path, {"notes": "mine now"}).status_code == 404
    assert ours.post(f"{path}/cancel", {"reason": "not yours"}).status_code == 404
    with Session(engine) as session:
        row = session.get(RideRequest, their_rows["request"]["id"])
        assert row is not None and row.status.value == "requested" and row.notes == ""


def test_a_request_cannot_name_another_organisations_rider(
    ours: Tenant, engine: Engine, their_rows: dict[str, Any]
) -> None:
    place = ours.create("/places", bodies.place())
    response = ours.post(
        "/ride-requests", bodies.appointment(their_rows["rider"]["id"], place["id"])
    )
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == [
        {
            "field": "body.rider_id",
            "message": f"no rider {their_rows['rider']['id']} in your organisation",
        }
    ]
    assert count(engine, RideRequest) == 2  # only their appointment and its return leg


def test_a_request_cannot_name_another_organisations_place(
    ours: Tenant, their_rows: dict[str, Any]
) -> None:
    rider = ours.create("/riders", bodies.rider())
    response = ours.post(
        "/ride-requests", bodies.appointment(rider["id"], their_rows["place"]["id"])
    )
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["field"] == "body.to_place_id"


def test_a_patch_cannot_move_a_request_to_another_organisations_place(
    ours: Tenant, their_rows: dict[str, Any]
) -> None:
    rider = ours.create("/riders", bodies.rider())
    place = ours.create("/places", bodies.place())
    mine = ours.create("/ride-requests", bodies.appointment(rider["id"], place["id"]))
    response = ours.patch(
        f"/ride-requests/{mine['id']}", {"from_place_id": their_rows["place"]["id"]}
    )
    assert response.status_code == 422
    assert ours.get(f"/ride-requests/{mine['id']}").json()["from_place_id"] is None


def test_two_organisations_may_each_have_a_rider_with_the_same_phone(
    ours: Tenant, engine: Engine, their_rows: dict[str, Any]
) -> None:
    ours.create("/riders", bodies.rider())
    assert count(engine, Rider) == 2


@pytest.mark.parametrize(
    "headers",
    [[], [(b"X-API-Key", b"")], [(b"X-API-Key", b"not-a-key")], [(b"X-API-Key", "é".encode())]],
    ids=["missing", "empty", "wrong", "not ascii"],
)
def test_calls_without_a_valid_key_are_401_with_a_json_message(
    ours: Tenant, headers: list[tuple[bytes, bytes]]
) -> None:
    ours.client.headers.pop("X-API-Key")
    response = ours.client.get(f"{API}/riders", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("APIKey")
    assert "X-API-Key" in response.json()["error"]["message"]


def test_a_bad_key_is_refused_before_the_body_is_read(ours: Tenant) -> None:
    response = ours.client.post(
        f"{API}/riders", content=b"{nonsense", headers={"X-API-Key": "wrong"}
    )
    assert response.status_code == 401


def test_a_rotated_key_replaces_the_old_one(ours: Tenant, engine: Engine) -> None:
    with Session(engine) as session:
        organisation = session.get(Organisation, ours.organisation_id)
        assert organisation is not None and organisation.api_key_hash == hash_key(ours.key)
        organisation.api_key_hash = hash_key("a-brand-new-key")
        session.add(organisation)
        session.commit()
    assert ours.get("/riders").status_code == 401
    fresh = ours.client.get(f"{API}/riders", headers={"X-API-Key": "a-brand-new-key"})
    assert fresh.status_code == 200


def test_only_the_hash_of_a_key_is_stored(ours: Tenant, engine: Engine) -> None:
    with Session(engine) as session:
        organisation = session.get(Organisation, ours.organisation_id)
        assert organisation is not None
        assert ours.key not in (organisation.api_key_hash or "")
        assert len(organisation.api_key_hash or "") == 64
