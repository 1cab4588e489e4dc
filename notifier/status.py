"""Delivery tracking: Twilio's status callbacks move a message's status forward only.

``POST /sms/status`` checks the signature, then the fields (a MessageSid of Twilio's shape, a
status word, a numeric ErrorCode; 400 otherwise), records each callback once as a
``DeliveryEvent`` (also for ids we do not know, which are acknowledged, not refused, so Twilio
stops retrying; a repeated one is acknowledged and not stored again), and applies it to the
message when it moves the status forward. Only the fields used are stored: Twilio's form also
carries both phone numbers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Engine, Insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from notifier.errors import Outcome as ErrorOutcome
from notifier.errors import classify_error
from shared import metrics
from shared.consent import record_consent
from shared.db import DATABASE_AWAY, get_engine
from shared.held import HeldWebhook, keep
from shared.models import AuditEvent, ConsentState, DeliveryEvent, Message, MessageStatus, utcnow
from shared.phones import mask
from shared.settings import get_settings
from shared.webhooks import signature_is_valid

log = logging.getLogger(__name__)

# Twilio's statuses in the order a text moves through them; final ones share the top rank.
_TWILIO: dict[str, tuple[int, MessageStatus]] = {
    "accepted": (2, MessageStatus.SENT),
    "queued": (2, MessageStatus.SENT),
    "sending": (2, MessageStatus.SENT),
    "sent": (2, MessageStatus.SENT),
    "delivered": (3, MessageStatus.DELIVERED),
    "undelivered": (4, MessageStatus.UNDELIVERED),
    "failed": (4, MessageStatus.FAILED),
}
_REFUSED = (MessageStatus.UNDELIVERED, MessageStatus.FAILED)
_FINAL_RANK = 3  # delivered, undelivered, failed, cancelled: nothing moves them any more
_RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.CANCELLED: 4,
}


# Twilio's message ids: SM (text) or MM (media) and 32 hex digits.
_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
_STATUS = re.compile(r"[a-z_]{1,32}")
_ERROR_CODE = re.compile(r"[0-9]{1,9}")
# What a DeliveryEvent keeps of Twilio's form; the rest (From, To, AccountSid...) is not needed.
_KEPT_FIELDS = ("MessageStatus", "ErrorCode")


class BadCallback(ValueError):
    """A status callback whose fields cannot be Twilio's; the message says which."""


def parse_callback(params: dict[str, str]) -> tuple[str, str, int | None]:
    """The provider id, status and error code of a callback's form, or ``BadCallback``."""
    provider_id = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    raw_code = params.get("ErrorCode", "")
    if not provider_id or not status:
        raise BadCallback("MessageSid and MessageStatus are required")
    if not _SID.fullmatch(provider_id):
        raise BadCallback("MessageSid must be SM or MM and 32 hexadecimal digits")
    if not _STATUS.fullmatch(status):
        raise BadCallback("MessageStatus must be a status word such as delivered")
    if raw_code and not _ERROR_CODE.fullmatch(raw_code):
        raise BadCallback("ErrorCode must be digits")
    return provider_id, status, int(raw_code) if raw_code else None


def _insert_once(session: Session) -> Insert:
    # ON CONFLICT DO NOTHING on the (provider_id, status) key: a repeated callback adds nothing.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(DeliveryEvent).on_conflict_do_nothing()
    return sqlite.insert(DeliveryEvent).on_conflict_do_nothing()


def apply_status(
    session: Session, provider_id: str, status: str, error_code: int | None, payload: dict[str, str]
) -> bool:
    """Record a callback and move the message forward; True when the message changed.

    A callback already recorded (Twilio retries, or sends one status twice) changes nothing.
    """
    message_id = session.exec(select(Message.id).where(Message.provider_id == provider_id)).first()
    stored = session.execute(
        _insert_once(session)
        .values(
            provider_id=provider_id,
            message_id=message_id,
            status=status[:32],
            error_code=error_code,
            payload={k: v[:64] for k, v in payload.items() if k in _KEPT_FIELDS},
            received_at=utcnow(),
        )
        .returning(col(DeliveryEvent.id))
    ).first()
    if stored is None:
        log.info("repeated status callback %s %s ignored", provider_id, status[:32])
        return False
    if message_id is None:
        log.info("status callback for unknown message %s recorded", provider_id)
        return False
    moved = _advance(session, col(Message.id) == message_id, status, error_code) is not None
    if moved and error_code is not None and _TWILIO[status][1] in _REFUSED:
        # Carriers report some refusals only after the send: 30005/30006 (no such handset,
        # landline) mean the number needs a person's attention, 21610 an opt-out.
        message = session.get(Message, message_id)
        assert message is not None
        record_refusal(session, message, classify_error(error_code), error_code)
    return moved


def record_refusal(
    session: Session, message: Message, outcome: ErrorOutcome, code: int | None
) -> None:
    """Act on a text refused for good: an opt-out is recorded, and a number that cannot take
    texts is shown to dispatchers in the audit log; other refusals need nothing more."""
    if outcome == "opted_out":
        record_consent(
            session,
            message.organisation_id,
            message.to_number,
            ConsentState.OPTED_OUT,
            keyword=f"carrier {code}",
            source="provider",
        )
    elif outcome == "undeliverable":
        session.add(
            AuditEvent(
                organisation_id=message.organisation_id,
                actor="notifier",
                action="number_undeliverable",
                entity="message",
                entity_id=message.id,
                after={"to": mask(message.to_number), "error_code": code},
            )
        )


def _advance(
    session: Session, which: ColumnElement[bool], status: str, error_code: int | None
) -> int | None:
    """Move the message ``which`` selects to Twilio's ``status`` if that is a step forward;
    return its id when it moved.

    One conditional UPDATE, so two callbacks racing for the same message (``sent`` and
    ``delivered``) cannot move it backwards: the second waits for the first's row lock and then
    re-checks the condition.
    """
    known = _TWILIO.get(status)
    if known is None:
        return None
    rank, new_status = known
    # Delivered and undelivered may both be reported; whichever arrives first stands.
    movable = [s for s, r in _RANK.items() if r < rank and r < _FINAL_RANK]
    now = utcnow()
    values: dict[str, object] = {"status": new_status, "updated_at": now}
    if new_status == MessageStatus.DELIVERED:
        values["delivered_at"] = now
    if error_code is not None:
        values["error_code"] = error_code
    moved = session.execute(
        update(Message)
        .where(which, col(Message.status).in_(movable))
        .values(**values)
        .returning(col(Message.id))
        .execution_options(synchronize_session=False)
    ).first()
    return None if moved is None else moved[0]


def early_callbacks(session: Session, provider_ids: Iterable[str]) -> set[str]:
    """Those of ``provider_ids`` whose callbacks arrived before the send stored them."""
    wanted = list(provider_ids)
    if not wanted:
        return set()
    return set(
        session.exec(
            select(DeliveryEvent.provider_id).where(
                col(DeliveryEvent.provider_id).in_(wanted),
                DeliveryEvent.message_id == None,  # noqa: E711  (SQL IS NULL)
            )
        ).all()
    )


def replay_early_callbacks(session: Session, provider_id: str) -> None:
    """Apply callbacks that arrived before the send stored the provider id (a known race)."""
    message_id = session.exec(select(Message.id).where(Message.provider_id == provider_id)).one()
    events = session.exec(
        select(DeliveryEvent).where(
            DeliveryEvent.provider_id == provider_id,
            DeliveryEvent.message_id == None,  # noqa: E711  (SQL IS NULL)
        )
    ).all()
    for event in sorted(events, key=lambda e: e.received_at):
        event.message_id = message_id
        session.add(event)
        _advance(session, col(Message.id) == message_id, event.status, event.error_code)


def record_callback(engine: Engine, params: dict[str, str]) -> None:
    """Store one status callback's form (already checked by ``parse_callback``)."""
    provider_id, status, error_code = parse_callback(params)
    with Session(engine) as session:
        apply_status(session, provider_id, status, error_code, params)
        session.commit()


def status_route(engine: Engine | None = None) -> Route:
    """The ``POST /sms/status`` route, on ``engine`` (default: the configured database)."""

    async def sms_status(request: Request) -> Response:
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        if not signature_is_valid(request, params, get_settings()):
            return Response("invalid signature", status_code=403, media_type="text/plain")
        try:
            _, status, _ = parse_callback(params)
        except BadCallback as exc:
            return Response(str(exc), status_code=400, media_type="text/plain")

        # Database work off the event loop, so one slow write does not stall every request.
        try:
            await run_in_threadpool(record_callback, engine or get_engine(), params)
        except DATABASE_AWAY:
            # Kept for the web app to apply once the database is back (shared.held).
            if await run_in_threadpool(keep, HeldWebhook("status", params)) is None:
                return Response("cannot take callbacks right now", status_code=503)
        metrics.status_callback(status)
        return Response(status_code=204)

    return Route("/sms/status", sms_status, methods=["POST"])
