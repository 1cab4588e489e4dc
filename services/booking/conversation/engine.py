"""The SMS booking conversation: a pure function from (state, message, context) to a turn.

``handle`` never does I/O. The webhook loads the stored state for the phone number, builds a
``ConversationContext``, calls ``handle``, carries out the returned actions, stores
``turn.state.to_dict()`` and sends ``turn.reply`` unless it is None. Because the function is
pure, the caller can retry it safely (for example with a fresh ``rng`` if a reference code
collides with an existing one under the database's unique constraint).

Wiring, in the webhook::

    state = ConversationState.from_dict(row.state) if row is not None else None
    turn = handle(state, InboundText(form["Body"], int(form["NumMedia"])), ctx)
    for action in turn.actions:
        ...  # CreateRideRequest, CancelRide, RegisterRider, OptOut, OptIn, SetLanguage, ...
    row.state = turn.state.to_dict()
    if turn.reply is not None:
        ...  # queue the reply in turn.language

Order of precedence for a message: opt-out keywords, the opted-out silence, opt-in, the idle
timeout, empty messages, then commands (language, HELP, STATUS, CANCEL <code>), then whichever
step the conversation is in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime

from services.booking.conversation._actions import (
    Action,
    CancelRide,
    CreateRideRequest,
    FlagForDispatcher,
    OptIn,
    OptOut,
    RegisterRider,
    SetLanguage,
    action_to_dict,
)
from services.booking.conversation._booking import handle_booking, handle_choice, handle_confirm
from services.booking.conversation._model import (
    NEEDS,
    ConversationContext,
    ConversationState,
    InboundText,
    RiderInfo,
    Step,
    Turn,
    UpcomingRide,
)
from services.booking.conversation._prompts import current_question
from services.booking.conversation._slots import extract
from services.booking.conversation._text import has_cjk, normalise
from services.booking.conversation._turn_builder import Session, aware_utc
from services.booking.conversation._vocabulary import OPT_OUT_MENTION
from services.booking.conversation.keywords import (
    Command,
    CommandMatch,
    Language,
    match_command,
    yes_or_no,
)
from services.booking.conversation.places import PlaceEntry
from services.booking.conversation.replies import fit_list, format_date, format_time, join, render

__all__ = [
    "Action",
    "CancelRide",
    "ConversationContext",
    "ConversationState",
    "CreateRideRequest",
    "FlagForDispatcher",
    "InboundText",
    "OptIn",
    "OptOut",
    "PlaceEntry",
    "RegisterRider",
    "RiderInfo",
    "SetLanguage",
    "Turn",
    "UpcomingRide",
    "action_to_dict",
    "handle",
]

logger = logging.getLogger(__name__)

_MAX_NAME = 60
_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:my name is|my name's|name is|i am|i'm|im|this is|it's)\b|name:"
    r"|我叫|我係|我是|我的名字是)\s*",
    re.IGNORECASE,
)
_HAS_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_STATUS_LIMIT = 3
_STATUS_BUDGET: dict[Language, int] = {"en": 200, "zh-Hant": 80}


def handle(state: ConversationState | None, message: InboundText, ctx: ConversationContext) -> Turn:
    """Answer one inbound SMS: the new state, the reply (None = stay silent) and actions.

    Never raises: an unexpected error is logged, the rider gets an apology (unless opted out)
    and a dispatcher is flagged.
    """
    try:
        return _handle(state, message, ctx)
    except Exception:
        logger.exception("SMS conversation engine failed; flagging for a dispatcher")
        language: Language = "en"
        if ctx.rider is not None and ctx.rider.language in ("en", "zh-Hant"):
            language = ctx.rider.language
        opted_out = ctx.opted_out or (state is not None and state.opted_out is True)
        fresh = ConversationState(language=language, opted_out=opted_out)
        if opted_out:
            return Turn(fresh, None, language)
        flag = FlagForDispatcher("internal error in the SMS conversation engine")
        return Turn(fresh, render("error", language), language, (flag,))


def _load(state: ConversationState | None) -> ConversationState:
    """Validate a stored state field by field (it may be old, damaged or hand-built)."""
    if state is None:
        return ConversationState()
    try:
        return ConversationState.from_dict(state.to_dict())
    except (TypeError, ValueError, AttributeError):
        return ConversationState()


def _language(state: ConversationState, ctx: ConversationContext, body: str) -> Language:
    if state.language_chosen and state.language is not None:
        return state.language
    # Someone who writes in Chinese gets Chinese, whatever we had on file.
    if has_cjk(body):
        return "zh-Hant"
    if ctx.rider is not None and ctx.rider.language in ("en", "zh-Hant"):
        return ctx.rider.language
    return state.language or "en"


def _is_stale(state: ConversationState, ctx: ConversationContext) -> bool:
    if state.step == Step.START or state.updated_at is None:
        return False
    last = datetime.fromisoformat(state.updated_at)
    return aware_utc(ctx.now) - aware_utc(last) > ctx.idle_timeout


def _fresh(state: ConversationState) -> ConversationState:
    """A new conversation that remembers only language, registration and opt-out."""
    return ConversationState(
        language=state.language,
        language_chosen=state.language_chosen,
        registered=state.registered,
        opted_out=state.opted_out,
    )


def _handle(
    stored: ConversationState | None, message: InboundText, ctx: ConversationContext
) -> Turn:
    state = _load(stored)
    body = message.body if isinstance(message.body, str) else ""
    session = Session(ctx, state, _language(state, ctx, body))
    opted_out = ctx.opted_out or state.opted_out
    command = match_command(body, opted_out=opted_out)

    if command is not None and command.command == Command.OPT_OUT:
        if opted_out:
            # One confirmation only: it went out when the number first opted out.
            session.state = replace(state, opted_out=True)
            return session.finish(None)
        session.state = replace(_fresh(state), opted_out=True)
        session.actions.append(OptOut(command.keyword))
        return session.finish(session.text("opted_out", programme=ctx.programme_name))
    if opted_out:
        if command is None or command.command != Command.OPT_IN:
            return session.finish(None)
        session.state = replace(_fresh(state), opted_out=False)
        session.actions.append(OptIn(command.keyword))
        return session.finish(session.text("opted_in", programme=ctx.programme_name))
    if command is not None and command.command == Command.OPT_IN:
        return session.finish(session.text("opted_in", programme=ctx.programme_name))

    prefix = ""
    if _is_stale(state, ctx):
        had_draft = state.step in {Step.BOOKING, Step.CHOOSE_PLACE, Step.CONFIRM}
        session.state = _fresh(state)
        prefix = session.text("expired") if had_draft else ""
        if prefix and (yes_or_no(body) is not None or not body.strip()):
            # A late "YES" must not book the stale ride; say so and start again.
            return session.finish(join(prefix, _question(session)))

    if not body.strip():
        key = "text_only" if message.num_media > 0 else "didnt_get"
        return session.finish(join(prefix, session.text(key), _question(session)))
    if command is not None:
        return session.finish(join(prefix, _command(session, command)))
    return session.finish(join(prefix, _step(session, body)))


def _needs_registration(session: Session) -> bool:
    return session.ctx.rider is None and not session.state.registered


def _question(session: Session) -> str:
    return current_question(session, needs_registration=_needs_registration(session))


def _command(session: Session, command: CommandMatch) -> str:
    ctx = session.ctx
    if command.command == Command.LANGUAGE and command.language is not None:
        session.language = command.language
        session.state = replace(session.state, language_chosen=True)
        session.actions.append(SetLanguage(command.language))
        return join(session.text("language_set"), _question(session))
    if command.command == Command.HELP:
        return session.text("help", programme=ctx.programme_name, contact=ctx.help_contact)
    if command.command == Command.STATUS:
        return _status(session)
    if command.command == Command.CANCEL_RIDE and command.code is not None:
        return _cancel(session, command.code)
    if command.command == Command.CANCEL_WHICH:
        if session.state.step in {Step.BOOKING, Step.CHOOSE_PLACE, Step.CONFIRM}:
            session.state = _fresh(session.state)
            return session.text("draft_dropped")
        rides = ctx.rider.upcoming if ctx.rider is not None else ()
        if not rides:
            return session.text("status_none")
        return session.text("cancel_which", example=rides[0].reference_code)
    # RESTART
    session.state = _fresh(session.state)
    return join(session.text("restarted"), _question(session))


def _ride_line(session: Session, ride: UpcomingRide) -> str:
    local = aware_utc(ride.at).astimezone(session.zone)
    day = format_date(local.date(), session.language)
    at = format_time(local.time(), session.language)
    place = ride.place_name_zh if session.language == "zh-Hant" else ride.place_name_en
    when = f"{day}{at}" if session.language == "zh-Hant" else f"{day} {at}"
    return f"{when} {place or ride.place_name_en} ({ride.reference_code})"


def _status(session: Session) -> str:
    rider = session.ctx.rider
    rides = sorted(rider.upcoming, key=lambda r: aware_utc(r.at)) if rider is not None else []
    if not rides:
        return session.text("status_none")
    lines = [_ride_line(session, ride) for ride in rides[:_STATUS_LIMIT]]
    budget = _STATUS_BUDGET[session.language]
    listed = fit_list(lines, session.language, budget=budget)
    return session.text("status_list", rides=listed, example=rides[0].reference_code)


def _cancel(session: Session, code: str) -> str:
    rider = session.ctx.rider
    codes = {ride.reference_code.upper() for ride in rider.upcoming} if rider else set()
    if code.upper() not in codes:
        return session.text("cancel_unknown", code=code.upper())
    session.actions.append(CancelRide(code.upper()))
    return session.text("cancelled", code=code.upper())


def _step(session: Session, body: str) -> str:
    step = session.state.step
    if step == Step.REG_NAME:
        return _registration_name(session, body)
    if step == Step.REG_ADDRESS:
        return _registration_address(session, body)
    if step == Step.START and _needs_registration(session):
        # Keep whatever ride details the first text had, so they are not asked again later.
        found = extract(body, today=session.today, catalogue=session.ctx.places)
        if found.anything:
            handle_booking(session, body)
        session.move(Step.REG_NAME)
        return session.text("welcome_new", programme=session.ctx.programme_name)
    if step == Step.START and session.ctx.rider is not None:
        # Needs on file (a wheelchair, say) apply to every new booking unless changed.
        usual = tuple(need for need in NEEDS if need in session.ctx.rider.needs)
        session.set_draft(replace(session.draft, needs=usual))
    if step == Step.CHOOSE_PLACE:
        return handle_choice(session, body)
    if step == Step.CONFIRM:
        return handle_confirm(session, body)
    return handle_booking(session, body)


def _registration_name(session: Session, body: str) -> str:
    found = extract(body, today=session.today, catalogue=session.ctx.places)
    name = _NAME_PREFIX.sub("", " ".join(body.split())).strip(" .,!")
    if found.place.places or found.ride_date or found.ride_time:
        # Ride details, not a name: keep them for after sign-up and ask for the name again.
        handle_booking(session, body)
        session.move(Step.REG_NAME)
        return session.text("ask_name_again")
    if OPT_OUT_MENTION.search(normalise(body)):
        return session.text("stop_hint")
    if yes_or_no(body) is not None or not _HAS_WORD.search(name):
        return session.text("ask_name_again")
    if len(name) > _MAX_NAME:
        return session.text("ask_name_again")
    session.state = replace(session.state, reg_name=name)
    session.move(Step.REG_ADDRESS)
    return session.text("ask_address")


def _registration_address(session: Session, body: str) -> str:
    address = " ".join(body.split())[:200]
    meaningful = len(address) >= 4 and _HAS_WORD.search(address) is not None
    if not meaningful or yes_or_no(body) is not None:
        return session.text("ask_address_again")
    name = session.state.reg_name or "?"
    session.actions.append(
        RegisterRider(name=name, home_address=address, language=session.language)
    )
    session.state = replace(session.state, registered=True, reg_name=None)
    session.move(Step.BOOKING)
    return join(session.text("registered"), current_question(session, needs_registration=False))
