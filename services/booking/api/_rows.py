"""Row access shared by every resource: scoped fetches, pages, create and patch.

Every query here filters on the caller's organisation; a row of another organisation is
indistinguishable from a row that does not exist.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, SQLModel, select

from services.booking.api._http import Call, next_url
from services.booking.api._input import validate
from services.booking.api.errors import InvalidInput
from shared.errors import NotFound

T = TypeVar("T", bound=SQLModel)


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and the next page's URL."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int
    offset: int
    next: str | None


def scoped(session: Session, table: type[T], organisation_id: int, row_id: int, noun: str) -> T:
    """The row ``row_id`` of ``table`` if it belongs to the organisation, else ``NotFound``."""
    row = session.get(table, row_id)
    if row is None or getattr(row, "organisation_id", None) != organisation_id:
        raise NotFound(f"no {noun} {row_id} in your organisation")
    return row


def page(
    call: Call,
    table: type[T],
    public: type[SQLModel],
    conditions: list[ColumnElement[bool]],
) -> dict[str, Any]:
    """One page of the organisation's rows matching ``conditions``, oldest first, as JSON."""
    owner: ColumnElement[bool] = table.organisation_id == call.organisation_id  # type: ignore[attr-defined]
    where = [owner, *conditions]
    total = call.session.exec(select(func.count()).select_from(table).where(*where)).one()
    limit: int = call.query.limit
    offset: int = call.query.offset
    rows = call.session.exec(
        select(table)
        .where(*where)
        .order_by(table.id)  # type: ignore[attr-defined]
        .limit(limit)
        .offset(offset)
    ).all()
    result = Page[public](  # type: ignore[valid-type]
        items=[public.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        next=next_url(call.url, limit, offset, total),
    )
    return result.model_dump(mode="json")


def public_json(public: type[SQLModel], row: SQLModel) -> dict[str, Any]:
    """A row as its public model's JSON."""
    return public.model_validate(row).model_dump(mode="json")


def patch(row: T, changes: SQLModel, full: type[SQLModel]) -> T:
    """Apply the fields the client sent to ``row`` after checking the result as a whole.

    Update models make every field optional and some lack the length limits of the create model,
    so the merged row is validated again with ``full`` (the create model): an explicit null for a
    required field, or a too-long text, is a 422 here rather than a database error later.
    """
    sent = changes.model_dump(exclude_unset=True)
    # Attributes, not model_dump: JSON columns come back from the database as plain strings.
    current = {name: getattr(row, name) for name in full.model_fields}
    merged = validate(full, {**current, **sent})
    for name, value in sent.items():
        if name not in full.model_fields and value is None:
            raise InvalidInput.one(f"body.{name}", "may not be null; send true or false")
    for name in sent:
        value = getattr(merged, name) if name in full.model_fields else sent[name]
        setattr(row, name, value)
    return row
