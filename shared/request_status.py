"""A ride request's status changes, each recorded with who made it and why."""

from __future__ import annotations

from shared.models import RequestStatus, RequestStatusEvent, RideRequest, utcnow

#: who changed a request when the rider did it by text (they had the answer in the reply)
SMS_ACTOR = "sms"


def change_status(
    request: RideRequest, to: RequestStatus, reason: str, actor: str
) -> RequestStatusEvent:
    """Move ``request`` to ``to`` and return the history row that records it (to be added)."""
    assert request.id is not None
    now = utcnow()
    event = RequestStatusEvent(
        request_id=request.id,
        from_status=request.status.value,
        to_status=to,
        changed_by=actor,
        reason=reason,
        at=now,
    )
    request.status = to
    request.status_changed_at = now
    request.status_changed_by = actor
    request.status_reason = reason
    request.updated_at = now
    return event
