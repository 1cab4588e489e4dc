"""Riders, drivers and places: create, list, get, update, and retire.

Riders and drivers are deactivated rather than deleted (their ride history keeps pointing at
them); a place is deleted only while no ride request refers to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import ColumnElement, or_
from sqlmodel import SQLModel, col, func, select

from services.booking.api._http import Call, Handler, Operation, Reply
from services.booking.api._input import DEFAULT_LIMIT, Limit, Offset, Query, TrueFalse
from services.booking.api._rows import page, patch, public_json, scoped
from services.booking.api.errors import InvalidInput
from shared.errors import Conflict, InvalidPhoneNumber
from shared.models import (
    Driver,
    DriverCreate,
    DriverPublic,
    DriverUpdate,
    Place,
    PlaceCreate,
    PlaceKind,
    PlacePublic,
    PlaceUpdate,
    ReviewState,
    Rider,
    RiderCreate,
    RideRequest,
    RiderPublic,
    RiderUpdate,
)
from shared.phones import to_e164

Filter = Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Resource:
    """A network table and its API shapes."""

    path: str
    noun: str
    tag: str
    table: type[SQLModel]
    create: type[SQLModel]
    update: type[SQLModel]
    public: type[SQLModel]
    query: type[Query]
    # A filter per query parameter other than paging: parameter name -> column condition.
    filters: dict[str, Filter]


def _phone(column: Any) -> Filter:
    def condition(value: str) -> ColumnElement[bool]:
        try:
            return column == to_e164(value)  # type: ignore[no-any-return]
        except InvalidPhoneNumber as exc:
            raise InvalidInput.one("query.phone", str(exc)) from exc

    return condition


def _equals(column: Any) -> Filter:
    return lambda value: column == value


Phone = Annotated[
    str | None,
    Field(
        min_length=1, max_length=40, description="Exact phone number, in any form people type it."
    ),
]
Active = Annotated[
    TrueFalse | None, Field(description="Only active (true) or deactivated (false).")
]


class RiderQuery(Query):
    phone: Phone = None
    active: Active = None
    review_state: Annotated[ReviewState | None, Field(description="Only riders in this state.")] = (
        None
    )
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


class DriverQuery(Query):
    phone: Phone = None
    active: Active = None
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


class PlaceQuery(Query):
    kind: Annotated[PlaceKind | None, Field(description="Only places of this kind.")] = None
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


RIDERS = Resource(
    "/riders",
    "rider",
    "riders",
    Rider,
    RiderCreate,
    RiderUpdate,
    RiderPublic,
    RiderQuery,
    {
        "phone": _phone(Rider.phone),
        "active": _equals(Rider.active),
        "review_state": _equals(Rider.review_state),
    },
)
DRIVERS = Resource(
    "/drivers",
    "driver",
    "drivers",
    Driver,
    DriverCreate,
    DriverUpdate,
    DriverPublic,
    DriverQuery,
    {"phone": _phone(Driver.phone), "active": _equals(Driver.active)},
)
PLACES = Resource(
    "/places", "place", "places", Place, PlaceCreate, PlaceUpdate, PlacePublic, PlaceQuery,
    {"kind": _equals(Place.kind)},
)  # fmt: skip


def _create(resource: Resource) -> Handler:
    def handle(call: Call) -> Reply:
        row = resource.table.model_validate(
            call.body.model_dump(), update={"organisation_id": call.organisation_id}
        )
        call.session.add(row)
        call.session.flush()
        body = public_json(resource.public, row)
        return Reply(body, 201, {"Location": f"{call.url.path}/{body['id']}"})

    return handle


def _list(resource: Resource) -> Handler:
    def handle(call: Call) -> Reply:
        conditions = [
            condition(getattr(call.query, name))
            for name, condition in resource.filters.items()
            if getattr(call.query, name) is not None
        ]
        return Reply(page(call, resource.table, resource.public, conditions))

    return handle


def _get(resource: Resource) -> Handler:
    def handle(call: Call) -> Reply:
        assert call.path_id is not None
        row = scoped(
            call.session, resource.table, call.organisation_id, call.path_id, resource.noun
        )
        return Reply(public_json(resource.public, row))

    return handle


def _update(resource: Resource) -> Handler:
    def handle(call: Call) -> Reply:
        assert call.path_id is not None
        row = scoped(
            call.session, resource.table, call.organisation_id, call.path_id, resource.noun
        )
        call.session.add(patch(row, call.body, resource.create))
        call.session.flush()
        return Reply(public_json(resource.public, row))

    return handle


def _deactivate(resource: Resource) -> Handler:
    def handle(call: Call) -> Reply:
        assert call.path_id is not None
        row = scoped(
            call.session, resource.table, call.organisation_id, call.path_id, resource.noun
        )
        row.active = False
        call.session.add(row)
        call.session.flush()
        return Reply(public_json(resource.public, row))

    return handle


def _delete_place(call: Call) -> Reply:
    assert call.path_id is not None
    place = scoped(call.session, Place, call.organisation_id, call.path_id, "place")
    uses = call.session.exec(
        select(func.count())
        .select_from(RideRequest)
        .where(
            or_(
                col(RideRequest.from_place_id) == place.id,
                col(RideRequest.to_place_id) == place.id,
            )
        )
    ).one()
    if uses:
        raise Conflict(
            f"place {place.id} is used by {uses} ride request(s) and cannot be deleted; "
            "rename it instead, or cancel those requests first"
        )
    call.session.delete(place)
    return Reply(None, 204)


def operations(resource: Resource) -> list[Operation]:
    """Create, list, get and update for one resource."""
    noun, public, tag = resource.noun, resource.public, resource.tag
    item = f"{resource.path}/{{id}}"
    common: dict[str, Any] = {"noun": noun, "tag": tag}
    return [
        Operation(
            "POST", resource.path, f"create_{noun}", f"Create a {noun}", handler=_create(resource),
            body=resource.create, response=public, status=201, **common,
        ),
        Operation(
            "GET", resource.path, f"list_{tag}", f"List {tag}, filtered and paged",
            handler=_list(resource), response=public, query=resource.query, **common,
        ),
        Operation(
            "GET", item, f"get_{noun}", f"One {noun}", handler=_get(resource), response=public,
            **common,
        ),
        Operation(
            "PATCH", item, f"update_{noun}", f"Change some of a {noun}'s fields",
            handler=_update(resource), body=resource.update, merged_with=resource.create,
            response=public, **common,
        ),
    ]  # fmt: skip


def network_operations() -> list[Operation]:
    """Every operation on riders, drivers and places."""
    retire = [
        Operation(
            "POST", f"{r.path}/{{id}}/deactivate", f"deactivate_{r.noun}",
            f"Deactivate a {r.noun} (kept for history; PATCH active=true brings it back)",
            handler=_deactivate(r), response=r.public, noun=r.noun, tag=r.tag,
        )
        for r in (RIDERS, DRIVERS)
    ]  # fmt: skip
    delete_place = Operation(
        "DELETE", "/places/{id}", "delete_place", "Delete a place no ride request refers to",
        handler=_delete_place, status=204, noun="place", tag="places",
    )  # fmt: skip
    return [
        *operations(RIDERS),
        retire[0],
        *operations(DRIVERS),
        retire[1],
        *operations(PLACES),
        delete_place,
    ]
