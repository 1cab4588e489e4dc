"""Queued scheduler work. Actors take ids, call a plain function, and write rows."""

from __future__ import annotations

import logging
from datetime import date

from scheduler.planning import plan_and_store
from shared.db import get_engine, session_scope
from shared.outbox import finish_replan, replan_is_current
from shared.queue import actor

log = logging.getLogger(__name__)


@actor(queue_name="scheduler", max_retries=3, min_backoff=5_000)
def plan_day(organisation_id: int, service_date: str, token: str | None = None) -> None:
    """Re-plan one organisation's day and store the result as a new draft plan version.

    With a ``token`` (a debounced re-plan), the job only runs while its ticket is the newest
    one for the day, and removes the ticket when done.
    """
    day = date.fromisoformat(service_date)
    engine = get_engine()
    if token is not None:
        with session_scope(engine) as session:
            if not replan_is_current(session, organisation_id, day, token):
                log.info("re-plan of %s superseded by a newer request; skipped", service_date)
                return
    plan_and_store(organisation_id, day, created_by="plan_day", engine=engine)
    if token is not None:
        with session_scope(engine) as session:
            finish_replan(session, organisation_id, day, token)
