"""Queued scheduler work. Actors take ids, call a plain function, and write rows."""

from __future__ import annotations

from datetime import date

from scheduler.planning import plan_and_store
from shared.queue import actor


@actor(queue_name="scheduler", max_retries=3, min_backoff=5_000)
def plan_day(organisation_id: int, service_date: str) -> None:
    """Re-plan one organisation's day and store the result as a new draft plan version."""
    plan_and_store(organisation_id, date.fromisoformat(service_date), created_by="plan_day")
