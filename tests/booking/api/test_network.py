"""Riders, drivers and places through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from shared.models import Rider
from tests.booking.api import bodies
from tests.booking.api.conftest import API, Tenant, count


def test_a_created_rider_is_stored_in_e164_and_read_back(ours: Tenant) -> None:
    created = ours.create("/riders", bodies.rider())
    assert created["phone"] == "+14165550101"
    assert created["review_state"] == "approved" and created["active"] is True
    fetched = ours.get(f"/riders/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_creating_answers_201_with_the_new_rows_location(ours: Tenant) -> None:
    response = ours.post("/places", bodies.place())
    assert response.status_code == 201
    assert response.headers["location"] == f"{API}/places/{response.json()['id']}"


def test_a_patch_changes_only_the_fields_sent(ours: Tenant) -> None:
    created = ours.create("/drivers", bodies.driver())
    response = ours.patch(f"/drivers/{created['id']}", {"seats": 6, "phone": "647-555-0198"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["seats"] == 6 and changed["phone"] == "+16475550198"
    assert changed["spoken"] == ["yue", "en"] and changed["name"] == created["name"]
    assert ours.get(f"/drivers/{created['id']}").json() == changed


def test_a_patch_that_breaks_the_create_rules_is_refused(ours: Tenant) -> None:
    created = ours.create("/places", bodies.place())
    too_long = ours.patch(f"/places/{created['id']}", {"name_zh": "醫" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["errors"][0]["field"] == "body.name_zh"
    no_name = ours.patch(f"/places/{created['id']}", {"name": None, "address": "2 Main St"})
    assert no_name.status_code == 422
    assert no_name.json()["error"]["errors"] == [
        {"field": "body.name", "message": "should be text, not null"}
    ]
    assert ours.get(f"/places/{created['id']}").json() == created


def test_a_duplicate_phone_is_a_conflict_and_stores_nothing(ours: Tenant, engine: Engine) -> None:
    ours.create("/riders", bodies.rider())
    response = ours.post("/riders", bodies.rider(name="Someone Else", phone="+14165550101"))
    assert response.status_code == 409
    assert "phone number already exists" in response.json()["error"]["message"]
    assert count(engine, Rider) == 1


def test_a_patch_onto_another_riders_phone_is_a_conflict(ours: Tenant) -> None:
    ours.create("/riders", bodies.rider())
    other = ours.create("/riders", bodies.rider(phone="4165550102"))
    response = ours.patch(f"/riders/{other['id']}", {"phone": "4165550101"})
    assert response.status_code == 409
    assert ours.get(f"/riders/{other['id']}").json()["phone"] == "+14165550102"


def test_deactivating_a_rider_keeps_the_row_and_patch_brings_it_back(ours: Tenant) -> None:
    created = ours.create("/riders", bodies.rider())
    response = ours.post(f"/riders/{created['id']}/deactivate", None)
    assert response.status_code == 200 and response.json()["active"] is False
    assert ours.get("/riders", active="false").json()["total"] == 1
    assert ours.get("/riders", active="true").json()["total"] == 0
    assert ours.patch(f"/riders/{created['id']}", {"active": True}).json()["active"] is True


def test_a_deactivated_driver_is_listed_as_inactive(ours: Tenant) -> None:
    created = ours.create("/drivers", bodies.driver())
    ours.post(f"/drivers/{created['id']}/deactivate", None)
    assert ours.get(f"/drivers/{created['id']}").json()["active"] is False


def test_a_place_no_request_uses_can_be_deleted(ours: Tenant) -> None:
    created = ours.create("/places", bodies.place())
    assert ours.delete(f"/places/{created['id']}").status_code == 204
    assert ours.get(f"/places/{created['id']}").status_code == 404


def test_a_place_a_request_uses_cannot_be_deleted(ours: Tenant) -> None:
    rider = ours.create("/riders", bodies.rider())
    clinic = ours.create("/places", bodies.place())
    ours.create("/ride-requests", bodies.appointment(rider["id"], clinic["id"]))
    response = ours.delete(f"/places/{clinic['id']}")
    assert response.status_code == 409
    assert "used by 2 ride request(s)" in response.json()["error"]["message"]
    assert ours.get(f"/places/{clinic['id']}").status_code == 200


def test_riders_are_filtered_by_phone_in_any_form(ours: Tenant) -> None:
    ours.create("/riders", bodies.rider())
    ours.create("/riders", bodies.rider(phone="4165550102"))
    found = ours.get("/riders", phone="(416) 555-0102").json()
    assert [item["phone"] for item in found["items"]] == ["+14165550102"]


def test_places_are_filtered_by_kind(ours: Tenant) -> None:
    ours.create("/places", bodies.place())
    ours.create("/places", bodies.place(name="T&T Supermarket", kind="grocery"))
    found = ours.get("/places", kind="grocery").json()
    assert found["total"] == 1 and found["items"][0]["name"] == "T&T Supermarket"


def test_pages_follow_next_links_until_every_row_is_seen(ours: Tenant) -> None:
    for number in range(7):
        ours.create("/riders", bodies.rider(phone=f"41655501{number:02d}"))
    seen: list[int] = []
    response = ours.get("/riders", limit=3)
    while True:
        page = response.json()
        assert page["total"] == 7
        seen.extend(item["id"] for item in page["items"])
        if page["next"] is None:
            break
        response = ours.client.get(page["next"])
    assert len(seen) == 7 and seen == sorted(seen)


def test_an_offset_past_the_end_gives_an_empty_last_page(ours: Tenant) -> None:
    ours.create("/riders", bodies.rider())
    page = ours.get("/riders", offset=5).json()
    assert page == {"items": [], "total": 1, "limit": 50, "offset": 5, "next": None}
