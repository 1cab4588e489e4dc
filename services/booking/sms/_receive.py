"""One inbound text, start to finish, in one database transaction.

1. Store the ``InboundMessage`` first. Its unique ``provider_message_id`` decides retries: a
   second delivery of the same MessageSid (even a concurrent one, which waits on the first's
   lock) fails the insert, is rolled back and gets the reply stored with the first.
2. Apply the per-number rate limit (texts counted in the database).
3. Lock the number's ``Conversation`` row so texts from one number are handled one at a time.
4. A text from an active driver's number is a driver command first (``_drivers``); what is
   not one goes on to booking when the driver is also a rider.
5. Build the engine's context from the database, call ``handle`` and carry out its actions in
   a savepoint. A reference code another request already holds fails the savepoint on the
   unique constraint; the engine is then asked again with a fresh random generator.
6. Store the new state and the reply, update the re-plan ticket of each day the text changed
   (last: it is a row all of that day's bookings share), commit; re-plans are enqueued after
   the commit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services.booking.conversation._model import ConversationState, InboundText, Turn
from services.booking.conversation._text import has_cjk
from services.booking.conversation.engine import handle
from services.booking.conversation.keywords import Command, match_command
from services.booking.conversation.replies import render
from services.booking.sms._actions import apply_actions, flag
from services.booking.sms._context import (
    Parties,
    build_context,
    engine_language,
    look_up_sender,
    rider_is_usable,
)
from services.booking.sms._directory import OrgInfo, organisation_for
from services.booking.sms._drivers import driver_turn, find_driver
from services.booking.sms._limits import RateLimit, Verdict
from shared.consent import is_opted_out
from shared.i18n import Language
from shared.models import (
    ConsentState,
    Conversation,
    InboundMessage,
    InboundState,
    Rider,
)
from shared.outbox import queue_replan, queue_text
from shared.phones import mask

log = logging.getLogger(__name__)

_BODY_LIMIT = 1600
_BOOKING_ATTEMPTS = 5


@dataclass(frozen=True)
class InboundSms:
    """The parts of Twilio's webhook the conversation needs."""

    sid: str
    from_number: str
    to_number: str
    body: str
    num_media: int = 0


@dataclass(frozen=True)
class Outcome:
    """The reply to send (None: stay silent) and whether it was a retried MessageSid."""

    reply: str | None
    replayed: bool = False


def receive(
    engine: Engine,
    sms: InboundSms,
    *,
    now: datetime,
    limit: RateLimit,
    rng: Callable[[], random.Random],
    reply_by_text: bool = False,
) -> Outcome | None:
    """Store and answer one text; None when no organisation uses the ``To`` number.

    ``reply_by_text``: the webhook already answered (a text kept while the database was away
    and replayed now), so the reply goes out as an outbound text, in the same transaction.
    """
    with Session(engine, expire_on_commit=False) as session:
        org = organisation_for(engine, session, sms.to_number)
        if org is None:
            return None
        inbound = InboundMessage(
            organisation_id=org.id,
            provider_message_id=sms.sid,
            from_number=sms.from_number,
            to_number=sms.to_number,
            body=sms.body[:_BODY_LIMIT],
            num_media=sms.num_media,
            received_at=now,
        )
        session.add(inbound)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return _replay(session, org.id, sms)
        reply, days = _answer(session, org, inbound, sms, now, limit, rng)
        inbound.reply_body = None if reply is None else reply[:_BODY_LIMIT]
        session.add(inbound)
        if reply_by_text and reply is not None:
            queue_text(
                session,
                organisation_id=org.id,
                to_number=sms.from_number,
                from_number=sms.to_number,
                body=reply[:_BODY_LIMIT],
                language=Language.ZH_HANT if has_cjk(reply) else Language.EN,
                template="sms_reply",
                urgent=True,  # the answer to the rider's own text, late already
            )
        if days:
            # The day's re-plan ticket is one row every booking of that day updates: take its
            # lock last, so it is held only for the commit.
            session.flush()
            for day in sorted(days):
                queue_replan(session, org.id, day)
        session.commit()
        return Outcome(reply)


def _replay(session: Session, organisation_id: int, sms: InboundSms) -> Outcome:
    # Only a retry of the same text (same organisation, same sender) gets the stored reply;
    # a MessageSid reused for another number or organisation must not read someone else's.
    stored = session.exec(
        select(InboundMessage).where(
            InboundMessage.provider_message_id == sms.sid,
            InboundMessage.organisation_id == organisation_id,
            InboundMessage.from_number == sms.from_number,
        )
    ).first()
    if stored is None:
        log.warning("MessageSid %s reused by another sender or organisation: ignored", sms.sid)
        return Outcome(None, replayed=True)
    log.info("retried webhook for %s answered from the stored reply", sms.sid)
    return Outcome(stored.reply_body, replayed=True)


def _answer(
    session: Session,
    org: OrgInfo,
    inbound: InboundMessage,
    sms: InboundSms,
    now: datetime,
    limit: RateLimit,
    rng: Callable[[], random.Random],
) -> tuple[str | None, set[date]]:
    """The reply, and the days whose plan the text changed."""
    phone = sms.from_number
    sender = look_up_sender(session, org.id, phone, limit.count_query(org.id, phone, now))
    rider = sender.rider
    verdict = limit.verdict(sender.recent_texts)
    if verdict != Verdict.HANDLE:
        limited = _over_limit(session, org.id, sms, rider, verdict, limit)
        if limited is not None:
            log.info("SMS from %s rate-limited (%s)", mask(phone), verdict.value)
            return limited.reply, set()
    # Read again, locked (two texts from one driver take turns), only when a driver has it.
    driver = find_driver(session, org.id, phone) if sender.is_driver else None
    if driver is not None:
        opted_out = is_opted_out(session, org.id, phone)
        command = match_command(sms.body, opted_out=opted_out)
        # Opting out or back in goes through the booking conversation, for drivers as for
        # riders: one consent ledger, one wording.
        if command is None or command.command not in (Command.OPT_OUT, Command.OPT_IN):
            reply = driver_turn(
                session,
                driver,
                sms.body,
                now,
                time_zone_name=org.time_zone,
                also_rider=rider_is_usable(rider),
            )
            if reply is not None:
                inbound.processing_state = InboundState.PROCESSED
                return reply, set()
    conversation = _lock_conversation(session, org.id, phone, now)
    parties = Parties(org, phone, conversation, rider)
    stored = ConversationState.from_dict(conversation.state) if conversation.state else None
    turn, days = _run(session, parties, stored, sms, now, rng)
    conversation.state = turn.state.to_dict()
    conversation.updated_at = now
    session.add(conversation)
    inbound.processing_state = InboundState.PROCESSED
    return turn.reply, days


def _run(
    session: Session,
    parties: Parties,
    stored: ConversationState | None,
    sms: InboundSms,
    now: datetime,
    rng: Callable[[], random.Random],
) -> tuple[Turn, set[date]]:
    """Handle the text and carry out its actions, retrying on a reference code collision."""
    text = InboundText(sms.body, sms.num_media)
    ctx = build_context(session, parties, now, rng())
    rider_before = parties.rider
    for attempt in range(_BOOKING_ATTEMPTS):
        if attempt:
            ctx = replace(ctx, rng=random.SystemRandom())
        turn = handle(stored, text, ctx)
        if not turn.actions:
            return turn, set()
        try:
            with session.begin_nested():
                dates = apply_actions(session, parties, turn.actions, now)
        except IntegrityError as exc:
            parties.rider = rider_before
            log.warning("SMS actions hit a constraint (attempt %d): %s", attempt + 1, exc.orig)
            continue
        return turn, dates
    # Keep the stored state so the rider can simply try again; a person takes a look meanwhile.
    flag(session, parties, "the SMS booking could not be stored", now)
    state = stored or ConversationState()
    return Turn(state, render("error", turn.language), turn.language), set()


def _lock_conversation(
    session: Session, organisation_id: int, phone: str, now: datetime
) -> Conversation:
    """The number's conversation row, created if new and locked until the commit."""
    statement = (
        select(Conversation)
        .where(Conversation.organisation_id == organisation_id, Conversation.phone == phone)
        .with_for_update()
    )
    row = session.exec(statement).first()
    if row is not None:
        return row
    row = Conversation(organisation_id=organisation_id, phone=phone, state={}, updated_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another text from the same new number created it a moment ago: wait for its lock.
        return session.exec(statement).one()
    return row


def _over_limit(
    session: Session,
    org_id: int,
    sms: InboundSms,
    rider: Rider | None,
    verdict: Verdict,
    limit: RateLimit,
) -> Outcome | None:
    """The answer to a number over its limit: one polite text, then silence, and never a word
    to a number that opted out. None lets the text through: an opt-out or opt-in keyword."""
    conversation = session.exec(
        select(Conversation).where(
            Conversation.organisation_id == org_id, Conversation.phone == sms.from_number
        )
    ).first()
    opted_out = (conversation is not None and conversation.opted_out) or (
        rider is not None and rider.consent_state == ConsentState.OPTED_OUT
    )
    command = match_command(sms.body, opted_out=opted_out)
    if command is not None and command.command in (Command.OPT_OUT, Command.OPT_IN):
        return None
    if verdict == Verdict.SILENT or opted_out:
        return Outcome(None)
    language = Language.EN
    said_zh = conversation is not None and conversation.state.get("language") == "zh-Hant"
    if has_cjk(sms.body) or said_zh:
        language = Language.ZH_HANT
    elif conversation is None and rider is not None:
        language = engine_language(rider.preferred_language)
    return Outcome(limit.text(language))
